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
// descriptors and goroutines, read from /proc/self. kioskd logs it after
// every job, so that a long run shows whether anything grows.
func resources() string {
	rss := "unknown"
	if b, err := regfile.ReadFile("/proc/self/status", regfile.Follow, 64<<10); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
					rss = fmt.Sprintf("%d kB", kb)
				}
			}
		}
	}
	fds := "unknown"
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds = strconv.Itoa(len(ents) - 1) // less the one ReadDir itself held
	}
	return fmt.Sprintf("rss %s, %s fds, %d goroutines", rss, fds, runtime.NumGoroutine())
}
