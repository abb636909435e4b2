package producer

import "testing"

func TestEventTimeText(t *testing.T) {
	tests := []struct {
		in      string
		want    EventTime
		wantErr bool
	}{
		{"now", Now, false},
		{"original", Original, false},
		{"shifted", Shifted, false},
		{"later", Shifted, true},
	}
	for _, tt := range tests {
		e := Shifted
		err := e.UnmarshalText([]byte(tt.in))
		if (err != nil) != tt.wantErr || e != tt.want {
			t.Fatalf("UnmarshalText(%q) = %v, %v; want %v, error %v", tt.in, e, err, tt.want, tt.wantErr)
		}
		if b, _ := e.MarshalText(); !tt.wantErr && string(b) != tt.in {
			t.Errorf("MarshalText of %q = %q", tt.in, b)
		}
	}
}
