package flash

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"flashkiosk/firmware/library"
)

// TestCopyTime: the copy's start comes from the library alone: the same
// manifest gives the same time, another content another time, always a
// working hour within 14 days after the library's date.
func TestCopyTime(t *testing.T) {
	date := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	m := func(sum string) *library.Manifest {
		t.Helper()
		doc := fmt.Sprintf(`{"format":1,"name":"t","date":"2026-11-25","tiers":[{"tier":1,"paths":["**"]}],`+
			`"files":[{"path":"a.html","size":1,"sha256":"%s","tier":1},{"path":"b/c.mp4","size":1,"sha256":"%s","tier":1}],"folders":[]}`,
			strings.Repeat(sum, 32), strings.Repeat("00", 32))
		m, err := library.ParseManifest([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	seen := map[time.Time]bool{}
	for _, sum := range []string{"11", "12", "13", "14", "15", "16"} {
		got := CopyTime(m(sum), date)
		if again := CopyTime(m(sum), date); !again.Equal(got) {
			t.Errorf("CopyTime = %v, then %v; want one time for one library", got, again)
		}
		if got.Before(date.AddDate(0, 0, 1)) || !got.Before(date.AddDate(0, 0, 15)) || got.Hour() < 9 || got.Hour() > 17 {
			t.Errorf("CopyTime(%s) = %v; want 09:00 to 17:59 on one of the 14 days after %v", sum, got, date)
		}
		seen[got] = true
	}
	if len(seen) < 5 {
		t.Errorf("six libraries got %d copy times; want them to differ", len(seen))
	}
}
