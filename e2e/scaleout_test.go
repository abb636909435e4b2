package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salesstream/salesstream/internal/platform/syncbuf"
)

const (
	enricherGroup    = "salesstream-enricher"
	repartitionTopic = enricherGroup + "-repartition"
)

// scaleOutArgs are the flags of enricher instance i of the scale-out tests.
//
// The watermark is 240 hours, longer than the span of the test's sales:
// the instances forward sales to the repartition partitions each at its
// own pace, so a partition can receive one sales partition's sales hours
// of event time after another's. With the reference 10-minute watermark
// some would be late, dropped from windows the watermark had closed, and
// the result would then rightly differ from the batch aggregation (as it
// would in Spark, whose watermark likewise depends on how the partitions
// are read). With no late event, every correct run gives the batch answer.
func scaleOutArgs(i int, extra ...string) []string {
	return append([]string{"--transactional-id", "enricher-" + strconv.Itoa(i), "--watermark", "240h",
		"--regions", "../data/regions.csv", "--partitions", "3", "--log-level", "info"}, extra...)
}

// TestScaleOut runs three enrichers in one consumer group while 60,000
// sales arrive on three partitions. It kills one that owns a repartition
// partition with SIGKILL and starts it again, later scales the group down
// to two by stopping another that owns one (SIGTERM), and waits until the
// two have windowed everything; then it stops them, sends 5,000 more
// sales, and ends with `enricher --once` alone. The summary must equal the
// batch aggregation exactly, both before and after the --once run, no
// committed row may ever go back, and the state of the partitions that
// moved must have been restored where they went.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("long: three enrichers over 60,000 sales")
	}
	s := schemaStack(t)
	const sales = 60_000
	salesPath := salesFile(t, sales, 500*time.Millisecond)

	// The broker refuses one transactional offset commit in five: each
	// such micro-batch aborts while its instance lives on, so its tables
	// must roll back to the last commit before its records come again.
	// The broker asks When about each partition of a request: count
	// requests, and fail every partition of each fifth.
	var (
		mu       sync.Mutex
		last     kmsg.Request
		requests int
	)
	refused := s.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.TxnOffsetCommit}, Count: -1,
		When: func(r kmsg.Request) bool {
			mu.Lock()
			defer mu.Unlock()
			if r != last {
				last = r
				requests++
			}
			return requests%5 == 0
		}})

	type instance struct {
		cmd *exec.Cmd
		out *syncbuf.Buffer
	}
	start := func(i int) instance {
		cmd, out := startBin(t, s, "enricher", scaleOutArgs(i, "--trigger", "200ms")...)
		return instance{cmd, out}
	}
	inst := map[int]instance{}
	// logMarks returns how long each instance's log is now.
	logMarks := func() map[int]int {
		m := map[int]int{}
		for i, in := range inst {
			m[i] = len(in.out.String())
		}
		return m
	}
	for i := range 3 {
		inst[i] = start(i)
	}
	prod, prodOut := startBin(t, s, "producer", "--input", salesPath, "--event-time", "original", "--rate", "3000", "--partitions", "3")
	prodDone := watchExit(prod)
	defer func() {
		if t.Failed() || os.Getenv("E2E_DEBUG") != "" {
			for i, in := range inst {
				t.Logf("enricher-%d output:\n%s", i, in.out)
			}
		}
	}()

	// A crash: SIGKILL an instance that owns a repartition partition,
	// then start it again under the same id.
	waitFor(t, time.Minute, "a quarter of the sales committed", func() bool {
		_, committed := salesProgress(t, s)
		return committed >= sales/4
	})
	victim := stateOwner(t, s, -1)
	crashed := repartitionOwners(t, s)[victim]
	t.Logf("killing enricher-%d, owner of repartition partitions %v", victim, crashed)
	afterCrash := logMarks()
	if err := inst[victim].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	inst[victim].cmd.Wait()
	inst[victim] = start(victim)
	afterCrash[victim] = 0 // a new log

	// Scale down to two: stop an instance that owns a repartition
	// partition for good.
	waitFor(t, time.Minute, "60% of the sales committed", func() bool {
		_, committed := salesProgress(t, s)
		return committed >= sales*6/10
	})
	leaver := stateOwner(t, s, victim)
	moved := repartitionOwners(t, s)[leaver]
	t.Logf("stopping enricher-%d, owner of repartition partitions %v", leaver, moved)
	afterStop := logMarks()
	stop(t, inst[leaver].cmd, inst[leaver].out)
	leaveGroup(t, s, leaver)
	waitFor(t, time.Minute, "the survivors to own every repartition partition", func() bool {
		owners := repartitionOwners(t, s)
		if _, ok := owners[leaver]; ok {
			return false
		}
		var all []int32
		for _, ps := range owners {
			all = append(all, ps...)
		}
		slices.Sort(all)
		return slices.Equal(all, []int32{0, 1, 2})
	})

	awaitExit(t, prodDone, 2*time.Minute, "producer", prodOut)
	if !strings.Contains(prodOut.String(), fmt.Sprintf("sent %d sales", sales)) {
		t.Fatalf("producer did not send every sale:\n%s", prodOut)
	}
	waitFor(t, 2*time.Minute, "the two survivors to commit and window every sale", func() bool {
		end, committed := salesProgress(t, s)
		return end == sales && committed == sales && repartitionDrained(t, s)
	})
	assertSummary(t, s, salesPath, "../data/regions.csv")

	// The state of the partitions of the crashed instance, and of those
	// that moved from the stopped one, was restored where they went
	// (logged since the crash, or since the stop).
	restored := func(since map[int]int, p int32) bool {
		for i, in := range inst {
			if restoredWindows(in.out.String()[since[i]:], p) {
				return true
			}
		}
		return false
	}
	for _, p := range crashed {
		if !restored(afterCrash, p) {
			t.Errorf("no instance restored the windows of repartition partition %d after enricher-%d crashed", p, victim)
		}
	}
	for _, p := range moved {
		if !restored(afterStop, p) {
			t.Errorf("no survivor restored the windows of repartition partition %d, which moved from enricher-%d", p, leaver)
		}
	}

	// The end: the last two stop, more sales arrive, and one instance
	// alone forwards and windows them on top of the state of all three
	// partitions.
	var rest []int
	for i := range inst {
		if i != leaver {
			rest = append(rest, i)
		}
	}
	for _, i := range rest {
		stop(t, inst[i].cmd, inst[i].out)
	}
	leaveGroup(t, s, rest...)
	more := filepath.Join(t.TempDir(), "more.csv")
	writeSalesSeeded(t, more, 5000, 500*time.Millisecond, 99, time.Date(2023, 1, 2, 8, 0, 0, 0, time.UTC))
	mustRun(t, s, "producer", "--input", more, "--event-time", "original", "--delay", "0")
	once := mustRun(t, s, "enricher", scaleOutArgs(0, "--once")...)
	if !strings.Contains(once.stdout, "consumed 5000 sales") || !strings.Contains(once.stdout, "0 late") {
		t.Errorf("enricher --once did not report 5000 sales, none late:\n%s", once.stdout)
	}
	assertSummary(t, s, concatCSV(t, salesPath, more), "../data/regions.csv")
	aborted := assertMonotonic(t, s)
	mu.Lock()
	t.Logf("%d abort markers on the summary topic; %d of %d transactional offset commits refused", aborted, requests/5, requests)
	mu.Unlock()
	if refused.Hits() == 0 {
		t.Error("no offset commit was refused: the test did not exercise rollbacks")
	}
}

// TestScaleOutMatchesSingleInstance runs the same 20,000 sales through one
// enricher on one stack and through three enrichers in one group on
// another: the two summary tables must be identical, row for row, and
// equal the batch aggregation, and the audit passes on the running ones,
// mid-stream and caught up.
func TestScaleOutMatchesSingleInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("long: two stacks, four enrichers")
	}
	const sales = 20_000
	salesPath := filepath.Join(t.TempDir(), "sales.csv")
	writeSalesSeeded(t, salesPath, sales, time.Second, 11, time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC))
	tables := map[int]string{}
	for _, n := range []int{1, 3} {
		s := schemaStack(t)
		mustRun(t, s, "producer", "--input", salesPath, "--event-time", "original", "--delay", "0", "--partitions", "3")
		var cmds []*exec.Cmd
		var outs []*syncbuf.Buffer
		for i := range n {
			cmd, out := startBin(t, s, "enricher", scaleOutArgs(i, "--trigger", "100ms")...)
			cmds, outs = append(cmds, cmd), append(outs, out)
		}
		// Mid-stream, the instances committing as the audit cuts.
		if v := auditMidStream(t, s, "--regions", "../data/regions.csv"); v.Sales >= sales {
			t.Logf("%d enrichers: the audit mid-stream found every sale already read: %+v", n, v)
		}
		waitFor(t, 2*time.Minute, fmt.Sprintf("%d enrichers to commit and window every sale", n), func() bool {
			end, committed := salesProgress(t, s)
			return end == sales && committed == sales && repartitionDrained(t, s)
		})
		// The audit of the running instances, whose settings records
		// and watermarks are spread over the state partitions.
		if v := mustAudit(t, s, "--regions", "../data/regions.csv"); v.Sales != sales || v.Aggregated != sales {
			t.Errorf("%d enrichers: the audit accounted for %+v, want %d sales, all aggregated", n, v, sales)
		}
		for i, cmd := range cmds {
			stop(t, cmd, outs[i])
		}
		if n > 1 {
			owners := 0
			for _, out := range outs {
				if strings.Contains(out.String(), `msg="window state restored"`) {
					owners++
				}
			}
			t.Logf("%d of %d instances held window tables", owners, n)
		}
		out := mustRun(t, s, "reader", "--format", "json")
		compareRows(t, out.stdout, batchAggregate(t, salesPath, "../data/regions.csv", 10*time.Minute, 5*time.Minute))
		lines := strings.Split(strings.TrimSpace(out.stdout), "\n")
		sort.Strings(lines)
		tables[n] = strings.Join(lines, "\n")
	}
	if tables[1] != tables[3] {
		a, b := strings.Split(tables[1], "\n"), strings.Split(tables[3], "\n")
		t.Errorf("one instance printed %d rows, three printed %d, and the tables differ", len(a), len(b))
		for i := 0; i < min(len(a), len(b)); i++ {
			if a[i] != b[i] {
				t.Errorf("first difference, row %d:\n one: %s\nthree: %s", i, a[i], b[i])
				break
			}
		}
	}
}

// stop sends SIGTERM to an enricher and waits for it to exit cleanly.
func stop(t *testing.T, cmd *exec.Cmd, out *syncbuf.Buffer) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := watchExit(cmd)
	awaitExit(t, done, time.Minute, "enricher after SIGTERM", out)
}

// leaveGroup removes stopped enricher instances, static members that do
// not leave the group when they stop, so that their partitions move at
// once rather than after the session timeout; an operator does the same
// after scaling down, or waits.
func leaveGroup(t *testing.T, s endpoints, instances ...int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl := newClient(t, s)
	defer cl.Close()
	var ids []string
	for _, i := range instances {
		ids = append(ids, "enricher-"+strconv.Itoa(i))
	}
	resp, err := kadm.NewClient(cl).LeaveGroup(ctx, kadm.LeaveGroup(enricherGroup).InstanceIDs(ids...))
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("remove %v from group %s: %v", ids, enricherGroup, err)
	}
}

// repartitionOwners returns the repartition partitions each member of the
// enricher group is assigned, by instance number.
func repartitionOwners(t *testing.T, s endpoints) map[int][]int32 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl := newClient(t, s)
	defer cl.Close()
	groups, err := kadm.NewClient(cl).DescribeGroups(ctx, enricherGroup)
	if err != nil {
		t.Fatalf("describe group %s: %v", enricherGroup, err)
	}
	owners := map[int][]int32{}
	for _, m := range groups[enricherGroup].Members {
		c, ok := m.Assigned.AsConsumer()
		if !ok || m.InstanceID == nil {
			continue
		}
		i, err := strconv.Atoi(strings.TrimPrefix(*m.InstanceID, "enricher-"))
		if err != nil {
			t.Fatalf("unexpected member %s", *m.InstanceID)
		}
		owners[i] = []int32{}
		for _, tp := range c.Topics {
			if tp.Topic == repartitionTopic {
				owners[i] = append(owners[i], tp.Partitions...)
			}
		}
		slices.Sort(owners[i])
	}
	return owners
}

// stateOwner waits for an instance other than not that owns a repartition
// partition, and returns its number.
func stateOwner(t *testing.T, s endpoints, not int) int {
	t.Helper()
	owner := -1
	waitFor(t, time.Minute, "an instance owning a repartition partition", func() bool {
		for i, ps := range repartitionOwners(t, s) {
			if i != not && len(ps) > 0 {
				owner = i
				return true
			}
		}
		return false
	})
	return owner
}

// restoredWindows reports whether an enricher's log shows it restored
// repartition partition p's table with at least one window.
func restoredWindows(log string, p int32) bool {
	re := regexp.MustCompile(`msg="window state restored" topic=\S+ partition=` + strconv.Itoa(int(p)) + ` windows=([0-9]+)`)
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		if m[1] != "0" {
			return true
		}
	}
	return false
}
