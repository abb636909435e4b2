package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/config"
	"github.com/salesstream/salesstream/internal/platform/config/configtest"
	"github.com/salesstream/salesstream/internal/platform/registryconn"
	"github.com/salesstream/salesstream/pkg/registry"
)

func TestTopicSettings(t *testing.T) {
	tests := []struct {
		name             string
		args             []string
		env              map[string]string
		sales, summary   string
		wantErr          string
		salesSrc, sumSrc config.Source
	}{
		{"defaults", nil, nil, schema.SalesTopic, schema.SummaryTopic, "", config.FromDefault, config.FromDefault},
		{"flags", []string{"--sales-topic", "a", "--summary-topic", "b"}, nil, "a", "b", "", config.FromFlag, config.FromFlag},
		{"environment", nil, map[string]string{"SALES_TOPIC": "shop.sales", "SUMMARY_TOPIC": "shop.summary"}, "shop.sales", "shop.summary", "", config.FromEnv, config.FromEnv},
		{"flag beats environment", []string{"--sales-topic", "a"}, map[string]string{"SALES_TOPIC": "b"}, "a", schema.SummaryTopic, "", config.FromFlag, config.FromDefault},
		{"empty", []string{"--summary-topic", ""}, nil, "", "", "--summary-topic must not be empty: give a topic name such as " + schema.SummaryTopic, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := configtest.Quiet("t")
			var sales, summary string
			DeclareSalesTopic(set, &sales)
			DeclareSummaryTopic(set, &summary)
			if err := set.FlagSet().Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			if err := set.Resolve(context.Background(), env, nil); err != nil {
				t.Fatal(err)
			}
			err := set.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate = %v, want %q", err, tt.wantErr)
				}
				return
			}
			s1, _ := set.Source("sales-topic")
			s2, _ := set.Source("summary-topic")
			if err != nil || sales != tt.sales || summary != tt.summary || s1 != tt.salesSrc || s2 != tt.sumSrc {
				t.Fatalf("got %q (%s), %q (%s), %v; want %q (%s), %q (%s)", sales, s1, summary, s2, err, tt.sales, tt.salesSrc, tt.summary, tt.sumSrc)
			}
		})
	}
}

// TestPartitions: a job's Partitions is its topics' partition count, the
// default when it is not positive.
func TestPartitions(t *testing.T) {
	for n, want := range map[int32]int32{-1: DefaultPartitions, 0: DefaultPartitions, 1: 1, 12: 12} {
		if got := Partitions(n); got != want {
			t.Errorf("Partitions(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestHint: a job's result passes through Hint as it is; a registry's
// not-found error gains the hint to register the schemas, other errors
// and nil are left alone.
func TestHint(t *testing.T) {
	other := errors.New("disk full")
	for _, tc := range []struct {
		err  error
		want string // in the error; empty: nil
	}{
		{nil, ""},
		{other, "disk full"},
		{fmt.Errorf("read schema: %w", registry.ErrNotFound), registryconn.RegisterHint},
	} {
		v, err := Hint(42, tc.err)
		if v != 42 {
			t.Errorf("Hint(42, %v) gave the result %d", tc.err, v)
		}
		if (err == nil) != (tc.want == "") || err != nil && (!strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.err)) {
			t.Errorf("Hint(42, %v) error = %v, want one with %q", tc.err, err, tc.want)
		}
	}
}
