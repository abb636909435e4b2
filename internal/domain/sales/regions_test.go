package sales

import (
	"strings"
	"testing"
)

func TestRegionsHash(t *testing.T) {
	header := []string{"country", "region"}
	read := func(text string) *Regions {
		t.Helper()
		r, err := ReadRegions(strings.NewReader(text), header)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	base := read("country,region\nFrance,Europe\nJapan,Asia\n").Hash()
	for _, tc := range []struct {
		name, text string
		same       bool
	}{
		{"same file", "country,region\nFrance,Europe\nJapan,Asia\n", true},
		{"other order, quoting and spacing", "\"country\",\"region\"\n\"Japan\", \"Asia\"\r\n France ,Europe\n\n", true},
		{"a country in another region", "country,region\nFrance,Asia\nJapan,Asia\n", false},
		{"a country more", "country,region\nFrance,Europe\nJapan,Asia\nPeru,Americas\n", false},
		{"a country less", "country,region\nFrance,Europe\n", false},
		{"fields run together", "country,region\nFranceE,urope\nJapan,Asia\n", false},
	} {
		if got := read(tc.text).Hash(); (got == base) != tc.same {
			t.Errorf("%s: hash %s, base %s, want same %v", tc.name, got, base, tc.same)
		}
	}
}
