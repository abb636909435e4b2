package schema

import "testing"

// TestHeaderNames pins the header names: they are part of the topics'
// format, read by other programs and by a resumed producer.
func TestHeaderNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{HeaderError, "salesstream.error"},
		{HeaderField, "salesstream.field"},
		{HeaderSource, "salesstream.source"},
		{HeaderLine, "salesstream.line"},
		{HeaderSourceTopic, "salesstream.source.topic"},
		{HeaderSourcePartition, "salesstream.source.partition"},
		{HeaderSourceOffset, "salesstream.source.offset"},
		{HeaderWatermark, "salesstream.watermark"},
		{HeaderLateWindows, "salesstream.late.windows"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("header %q, want %q", tt.got, tt.want)
		}
		if seen[tt.got] {
			t.Errorf("header %q defined twice", tt.got)
		}
		seen[tt.got] = true
	}
}
