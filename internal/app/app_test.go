package app

import (
	"context"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/salesstream/salesstream/internal/domain/schema"
	"github.com/salesstream/salesstream/internal/platform/config"
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
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			set := config.New(fs)
			var sales, summary string
			DeclareSalesTopic(set, &sales)
			DeclareSummaryTopic(set, &summary)
			if err := fs.Parse(tt.args); err != nil {
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
