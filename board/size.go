package board

import (
	"fmt"
	"strconv"
	"strings"
)

// sizeUnits are the suffixes ParseSize takes, binary and decimal.
var sizeUnits = []struct {
	suffix string
	mult   uint64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"KB", 1e3}, {"B", 1},
}

// ParseSize reads a size as people write it: "256MiB", "512GiB", "64GB"
// (decimal, as sticks are sold), "1.5GiB", or a plain number of bytes.
func ParseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	mult := uint64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if n, err := strconv.ParseUint(t, 10, 64); err == nil {
		if n > ^uint64(0)/mult {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || t == "" || strings.ContainsAny(t, "eEnN") {
		return 0, fmt.Errorf("size %q: want a number and a unit, like 256MiB or 64GB", s)
	}
	if f*float64(mult) >= 1<<64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return uint64(f * float64(mult)), nil
}

// FormatSize writes n bytes in the largest binary unit that keeps it whole.
func FormatSize(n uint64) string {
	for _, u := range sizeUnits[:4] {
		if n >= u.mult && n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.suffix)
		}
	}
	return strconv.FormatUint(n, 10)
}
