package flash

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestSetHeapGrowth(t *testing.T) {
	const started = 100 // the target the process started with
	for _, tc := range []struct {
		name string
		gogc string // "" for unset
		want int
	}{
		{"GOGC unset", "", HeapGrowth},
		{"GOGC set", "150", started},
		{"GOGC off", "off", started},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc) // restored after the test
			if tc.gogc == "" {
				os.Unsetenv("GOGC")
			}
			defer debug.SetGCPercent(debug.SetGCPercent(started))
			SetHeapGrowth()
			if got := debug.SetGCPercent(started); got != tc.want {
				t.Errorf("with GOGC %q the collector's target is %d after SetHeapGrowth; want %d", tc.gogc, got, tc.want)
			}
		})
	}
}
