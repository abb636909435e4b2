package reader

import "testing"

func TestFormatText(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"table", Table, false},
		{"json", JSON, false},
		{"csv", CSV, false},
		{"yaml", CSV, true},
	}
	for _, tt := range tests {
		f := CSV
		err := f.UnmarshalText([]byte(tt.in))
		if (err != nil) != tt.wantErr || f != tt.want {
			t.Fatalf("UnmarshalText(%q) = %v, %v; want %v, error %v", tt.in, f, err, tt.want, tt.wantErr)
		}
		if b, _ := f.MarshalText(); !tt.wantErr && string(b) != tt.in {
			t.Errorf("MarshalText of %q = %q", tt.in, b)
		}
	}
	if s := Format(7).String(); s != "Format(7)" {
		t.Errorf("Format(7).String() = %q", s)
	}
}
