package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"flashkiosk/firmware/regfile"
)

// resources says what the process holds: resident memory, open file
// descriptors and goroutines, read from /proc/self, and the peak resident
// memory since it started. kioskd logs it after every job, so that a long
// run shows whether anything grows and a benchmark what the jobs cost.
func resources() string {
	rss, peak := "unknown", "unknown"
	if b, err := regfile.ReadFile("/proc/self/status", regfile.Follow, 64<<10); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			key, v, _ := strings.Cut(line, ":")
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			switch {
			case err != nil:
			case key == "VmRSS":
				rss = fmt.Sprintf("%d kB", kb)
			case key == "VmHWM":
				peak = fmt.Sprintf("%d kB", kb)
			}
		}
	}
	fds := "unknown"
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = strconv.Itoa(len(ents) - 1) // less the one ReadDir itself held
	}
	return fmt.Sprintf("rss %s, %s fds, %d goroutines, peak rss %s", rss, fds, runtime.NumGoroutine(), peak)
}
