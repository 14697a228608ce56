package panel

import (
	"testing"
	"time"
)

func TestFit(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 3, "abc"},
		{"a\\b~c", 5, "a?b?c"},
		{"도서관", 4, "??? "},
		{"\ue000\ue008", 2, "\ue000?"},
		{"x", 0, ""},
		{"\x00\x7f", 2, "??"},
	}
	for _, tt := range tests {
		if got := fit(tt.s, tt.n); got != tt.want {
			t.Errorf("fit(%q, %d) = %q; want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		b    uint64
		want string
	}{
		{0, "0M"},
		{512_000_000, "512M"},
		{1_000_000_000, "1G"},
		{7_800_000_000, "7.8G"},
		{8_000_000_000, "8G"},
		{9_990_000_000, "10G"},
		{61_900_000_000, "62G"},
		{999_000_000_000, "999G"},
		{1_200_000_000_000, "1.2T"},
		{2_000_000_000_000, "2T"},
		{^uint64(0), "18446744.1T"},
	}
	for _, tt := range tests {
		if got := size(tt.b); got != tt.want {
			t.Errorf("size(%d) = %q; want %q", tt.b, got, tt.want)
		}
	}
}

func TestDur(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{45 * time.Second, "45s"},
		{7*time.Minute + 12*time.Second, "7m12s"},
		{time.Hour + 5*time.Minute + 40*time.Second, "1h05m"},
	}
	for _, tt := range tests {
		if got := dur(tt.d); got != tt.want {
			t.Errorf("dur(%v) = %q; want %q", tt.d, got, tt.want)
		}
	}
}

func TestETA(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, ""},
		{-time.Minute, ""},
		{40 * time.Second, "40s"},
		{3*time.Minute + 10*time.Second, "4m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "2h"},
	}
	for _, tt := range tests {
		if got := eta(tt.d); got != tt.want {
			t.Errorf("eta(%v) = %q; want %q", tt.d, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		s           string
		n           int
		first, rest string
	}{
		{"short", 20, "short", ""},
		{"line 12: go_pin: pin 14 is the UART", 20, "line 12: go_pin: pin", "14 is the UART"},
		{"nospacesatallinthistext", 10, "nospacesat", "allinthistext"},
	}
	for _, tt := range tests {
		if f, r := wrap(tt.s, tt.n); f != tt.first || r != tt.rest {
			t.Errorf("wrap(%q, %d) = %q, %q; want %q, %q", tt.s, tt.n, f, r, tt.first, tt.rest)
		}
	}
}
