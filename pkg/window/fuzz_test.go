package window

import (
	"encoding/binary"
	"testing"
	"time"
)

// FuzzTable decodes a configuration and a stream from the fuzzer's bytes
// and checks the Table against the oracle, with the same checks as
// TestTableMatchesOracle.
func FuzzTable(f *testing.F) {
	f.Add([]byte{5, 2, 1, 10, 0, 3, 7, 0, 2, 9, 0, 1, 255, 2, 0, 1, 4, 8, 255})
	f.Add([]byte{1, 0, 0, 0, 2, 0, 200, 3, 1, 100, 4, 2, 0, 255, 5, 0, 130, 255, 255})
	f.Add([]byte{7, 3, 6, 4, 1, 1, 10, 1, 2, 250, 3, 3, 5, 255, 1, 0, 0, 0, 0, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, ops, ok := decodeCase(data)
		if !ok {
			t.Skip()
		}
		if err := runCase(cfg, ops); err != nil {
			t.Fatalf("config %+v: %v", cfg, err)
		}
	})
}

// decodeCase reads a config from the first 5 bytes (slide, size factor,
// start, delay, mode) and then ops of 3 bytes: a key byte (255 = trigger),
// then a signed 16-bit time step.
func decodeCase(data []byte) (Config, []op, bool) {
	if len(data) < 5 {
		return Config{}, nil, false
	}
	slide := int64(data[0]%16 + 1)
	size := slide*int64(data[1]%4+1) + int64(data[1]/4)%slide
	cfg := Config{
		Size:  time.Duration(size) * time.Millisecond,
		Slide: time.Duration(slide) * time.Millisecond,
		Start: time.Duration(int64(data[2])%slide) * time.Millisecond,
		Delay: time.Duration(data[3]%64) * time.Millisecond,
		Mode:  Mode(data[4] % 3),
	}
	var ops []op
	now := int64(0)
	for rest := data[5:]; len(rest) > 0; {
		if rest[0] == 255 {
			ops = append(ops, op{trigger: true})
			rest = rest[1:]
			continue
		}
		if len(rest) < 3 {
			break
		}
		step := int64(int16(binary.BigEndian.Uint16(rest[1:3])))
		now += step / 256 // mostly small steps, either way
		ops = append(ops, op{key: string(rune('a' + rest[0]%4)), ts: now, v: int64(rest[0])})
		rest = rest[3:]
	}
	return cfg, append(ops, op{trigger: true}), true
}
