package window

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// flags names the fields as a command line might.
var flags = map[string]string{"Size": "--window", "Slide": "--slide", "Start": "--window-offset", "Delay": "--watermark", "Mode": "--output-mode"}

func TestFieldErrorMessages(t *testing.T) {
	const m = time.Minute
	tests := []struct {
		name string
		cfg  Config
		err  []string // Error() of each field error, in order
		desc []string // Describe with flag names
	}{
		{"slide above size", Config{Size: 5 * m, Slide: 10 * m},
			[]string{"window Slide 10m must not exceed Size 5m, or events would fall in no window"},
			[]string{"--slide 10m must not exceed --window 5m, or events would fall in no window"}},
		{"negative watermark", Config{Size: 10 * m, Slide: 5 * m, Delay: -5 * m},
			[]string{"window Delay -5m must not be negative"},
			[]string{"--watermark -5m must not be negative"}},
		{"zero size", Config{},
			[]string{"window Size 0s must be positive, for example 10m"},
			[]string{"--window 0s must be positive, for example 10m"}},
		{"offset of tumbling windows", Config{Size: time.Hour, Start: 90 * m},
			[]string{"window Start 1h30m must not be negative and must be less than Size 1h"},
			[]string{"--window-offset 1h30m must not be negative and must be less than --window 1h"}},
		{"offset of sliding windows", Config{Size: 10 * m, Slide: 5 * m, Start: -m},
			[]string{"window Start -1m must not be negative and must be less than Slide 5m"},
			[]string{"--window-offset -1m must not be negative and must be less than --slide 5m"}},
		{"too many windows", Config{Size: time.Hour, Slide: time.Millisecond},
			[]string{fmt.Sprintf("window Slide 1ms puts each event in 3600000 windows of Size 1h, more than %d: make it larger", MaxWindowsPerEvent)},
			[]string{fmt.Sprintf("--slide 1ms puts each event in 3600000 windows of --window 1h, more than %d: make it larger", MaxWindowsPerEvent)}},
		{"two fields wrong", Config{Size: 1500 * time.Microsecond, Delay: -time.Second, Mode: 9},
			[]string{"window Size 1.5ms must be a whole number of milliseconds", "window Delay -1s must not be negative", "window Mode Mode(9) is not an output mode: use update, complete or append"},
			[]string{"--window 1.5ms must be a whole number of milliseconds", "--watermark -1s must not be negative", "--output-mode Mode(9) is not an output mode: use update, complete or append"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			// Wrapped, as a caller would: FieldErrors still finds them all.
			fes := FieldErrors(fmt.Errorf("configure: %w", err))
			if len(fes) != len(tt.err) {
				t.Fatalf("Validate = %v: %d field errors, want %d", err, len(fes), len(tt.err))
			}
			for i, fe := range fes {
				if got := fe.Error(); got != tt.err[i] {
					t.Errorf("Error() = %q, want %q", got, tt.err[i])
				}
				if got := fe.Describe(func(f string) string { return flags[f] }); got != tt.desc[i] {
					t.Errorf("Describe = %q, want %q", got, tt.desc[i])
				}
				if strings.Contains(fe.Error(), "--") {
					t.Errorf("the library's own message %q names a flag", fe.Error())
				}
			}
			if len(tt.err) == 1 {
				var fe *FieldError
				if !errors.As(err, &fe) || err.Error() != tt.err[0] {
					t.Errorf("a single error %v is not the *FieldError itself", err)
				}
			}
		})
	}
	if FieldErrors(errors.New("other")) != nil || FieldErrors(nil) != nil {
		t.Error("FieldErrors found field errors in an error without any")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 10 * time.Minute: "10m", time.Hour: "1h", 90 * time.Minute: "1h30m", -5 * time.Minute: "-5m",
		time.Hour + time.Second: "1h0m1s", 1500 * time.Microsecond: "1.5ms", 30 * time.Second: "30s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
