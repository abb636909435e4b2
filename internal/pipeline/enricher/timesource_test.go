package enricher

import "testing"

func TestTimeSourceText(t *testing.T) {
	tests := []struct {
		in      string
		want    TimeSource
		text    string
		wantErr bool
	}{
		{"payment_date", PaymentDate, "payment_date", false},
		{"event", PaymentDate, "payment_date", false},
		{"record", RecordTimestamp, "record", false},
		{"wall", RecordTimestamp, "", true},
	}
	for _, tt := range tests {
		ts := RecordTimestamp
		err := ts.UnmarshalText([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Fatalf("UnmarshalText(%q) error %v, want error %v", tt.in, err, tt.wantErr)
		}
		if ts != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, want %v (a failure leaves the value)", tt.in, ts, tt.want)
		}
		if b, _ := ts.MarshalText(); !tt.wantErr && string(b) != tt.text {
			t.Errorf("MarshalText of %q = %q, want %q", tt.in, b, tt.text)
		}
	}
	if s := TimeSource(9).String(); s != "TimeSource(9)" {
		t.Errorf("TimeSource(9).String() = %q", s)
	}
}
