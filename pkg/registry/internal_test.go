package registry

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 1 ", time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(4 * time.Second).Format(http.TimeFormat), 4 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNewAPIError(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		title     string
		detail    string
		code      int
		causes    int
		notFound  bool
		retryable bool
		auth      bool
	}{
		{name: "v3 ProblemDetails", status: 404, body: `{"status":404,"title":"No artifact with ID 'x' in group 'default' was found.","detail":"ArtifactNotFoundException: ...","name":"ArtifactNotFoundException"}`,
			title: "No artifact with ID 'x' in group 'default' was found.", detail: "ArtifactNotFoundException: ...", code: 404, notFound: true},
		{name: "v2 Error", status: 404, body: `{"error_code":40401,"message":"No artifact with ID 'x' in group 'null' was found."}`,
			title: "No artifact with ID 'x' in group 'null' was found.", code: 40401, notFound: true},
		{name: "rule violation", status: 409, body: `{"error_code":409,"message":"Incompatible artifact","causes":[{"description":"field removed","context":"/"}]}`,
			title: "Incompatible artifact", code: 409, causes: 1},
		{name: "html", status: 503, body: "<html><body>Service Unavailable</body></html>",
			detail: `unexpected text/html body "<html><body>Service Unavailable</body></html>"`, retryable: true},
		{name: "empty", status: 429, retryable: true},
		{name: "json without fields", status: 403, body: `{"foo":1}`, detail: `unexpected text/html body "{\"foo\":1}"`, auth: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIError("GET", "http://r/x", tt.status, "text/html", []byte(tt.body))
			if e.Title != tt.title || e.Detail != tt.detail || e.ErrorCode != tt.code || len(e.Causes) != tt.causes {
				t.Fatalf("got %+v", e)
			}
			if errors.Is(e, ErrNotFound) != tt.notFound || errors.Is(e, ErrUnavailable) != tt.retryable || errors.Is(e, ErrAuth) != tt.auth {
				t.Fatalf("Is: notFound %v retryable %v auth %v", errors.Is(e, ErrNotFound), errors.Is(e, ErrUnavailable), errors.Is(e, ErrAuth))
			}
		})
	}
}

func TestAPITime(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{`"2024-01-02T03:04:05Z"`, want},
		{`"2024-01-02T03:04:05+0000"`, want},
		{`"2024-01-02T04:04:05.000+0100"`, want},
		{`"2024-01-02T03:04Z"`, want.Truncate(time.Minute)},
		{`1704164645000`, want},
		{`null`, time.Time{}},
		{`"yesterday"`, time.Time{}},
	}
	for _, tt := range tests {
		var got apiTime
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !time.Time(got).Equal(tt.want) {
			t.Errorf("%s = %v, want %v", tt.in, time.Time(got), tt.want)
		}
	}
}

func TestFlexString(t *testing.T) {
	tests := []struct{ in, want string }{{`"1.0.1"`, "1.0.1"}, {`3`, "3"}, {`null`, ""}}
	for _, tt := range tests {
		var f flexString
		if err := json.Unmarshal([]byte(tt.in), &f); err != nil || string(f) != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.in, f, err, tt.want)
		}
	}
	var f flexString
	if err := json.Unmarshal([]byte(`{}`), &f); err == nil {
		t.Error("an object was accepted as a version")
	}
}

func TestOutcomeString(t *testing.T) {
	tests := []struct {
		o    Outcome
		want string
	}{{Created, "created"}, {NewVersion, "new version"}, {Unchanged, "unchanged"}, {0, "Outcome(0)"}}
	for _, tt := range tests {
		if got := tt.o.String(); got != tt.want {
			t.Errorf("%d.String() = %q, want %q", int(tt.o), got, tt.want)
		}
	}
}

func TestParseExpiresIn(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{{`300`, 300, true}, {`"300"`, 300, true}, {``, 0, false}, {`0`, 0, false}, {`-1`, 0, false}, {`"x"`, 0, false}}
	for _, tt := range tests {
		got, ok := parseExpiresIn(json.RawMessage(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseExpiresIn(%s) = %d, %v", tt.in, got, ok)
		}
	}
}
