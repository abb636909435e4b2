package readerapp

import (
	"context"
	"testing"

	"github.com/salesstream/salesstream/internal/app"
	"github.com/salesstream/salesstream/internal/platform/config/configtest"
)

// TestAuditOpensRegionsAsTheEnricher: reader --audit opens its --regions
// file with the input settings the enricher has, --data-bucket and the
// shared AWS settings, rather than with a bare opener that ignores them.
func TestAuditOpensRegionsAsTheEnricher(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		resolve string // what the default --regions resolves to
		region  string
	}{
		{"local", nil, "data/regions.csv", ""},
		{"bucket", []string{"--data-bucket", "my-bucket", "--aws-region", "eu-west-1"}, "s3://my-bucket/data/regions.csv", "eu-west-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := configtest.Quiet("reader")
			conn := app.DeclareConnections(set, "salesstream-reader", true)
			aj, _ := declareAudit(set, conn.Files)
			if err := set.Parse(context.Background(), tc.args, nil); err != nil {
				t.Fatal(err)
			}
			if aj.Opener == nil || aj.Opener.AWS == nil {
				t.Fatalf("opener %+v: want the declared input settings", aj.Opener)
			}
			if got := aj.Opener.Resolve(aj.Regions); got != tc.resolve {
				t.Errorf("--regions resolves to %q, want %q", got, tc.resolve)
			}
			if aj.Opener.AWS.Region != tc.region {
				t.Errorf("AWS region %q, want %q", aj.Opener.AWS.Region, tc.region)
			}
		})
	}
}

// TestReaderDeclaresInputSettings: the reader binary declares the input
// settings its --audit opens --regions with.
func TestReaderDeclaresInputSettings(t *testing.T) {
	set := configtest.Quiet("reader")
	Declare(set)
	if err := set.Parse(context.Background(), []string{"--audit", "--data-bucket", "my-bucket", "--aws-region", "eu-west-1"}, nil); err != nil {
		t.Fatalf("reader --audit --data-bucket: %v", err)
	}
}

// TestSettingsChecked: the reader's settings are checked with the others,
// so that --print-config refuses what a run would: --audit-max-sales
// below 1 (not taken silently as the default), the table's selection and
// --follow with --audit (which checks the whole table once, and would
// ignore them), a bad --since or --until, or an empty range.
func TestSettingsChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // empty: accepted
	}{
		{"defaults", nil, ""},
		{"audit max sales 1", []string{"--audit-max-sales", "1"}, ""},
		{"audit max sales 0", []string{"--audit-max-sales", "0"}, "--audit-max-sales 0: give the most sales offsets the audit may hold, at least 1"},
		{"audit max sales negative", []string{"--audit-max-sales", "-5"}, "--audit-max-sales -5"},
		{"audit alone", []string{"--audit"}, ""},
		{"table flags without audit", []string{"--follow", "--region", "Europe", "--since", "2024-03-01"}, ""},
		{"audit and follow", []string{"--audit", "--follow"}, "drop --follow, or drop --audit"},
		{"audit and a selection", []string{"--audit", "--region", "Europe", "--until", "2024-03-02"}, "drop --region, --until, or drop --audit"},
		{"a range", []string{"--since", "2024-03-01", "--until", "2024-03-01 12:00"}, ""},
		{"a bad time", []string{"--since", "yesterday"}, "--since: time \"yesterday\""},
		{"an empty range", []string{"--since", "2024-03-02", "--until", "2024-03-01"}, "--since 2024-03-02 is not before --until 2024-03-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			configtest.Validate(t, "reader", Declare, tc.args, tc.want)
		})
	}
}
