// Command disks runs in the vm package's test VM as uinit: it prints
// "DISKS name name…" (the entries of /sys/block with a non-zero size)
// at start and whenever they change, and for each new disk "READ name
// ok|error seconds" after reading its first MiB.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	last := "-"
	seen := map[string]bool{}
	for {
		var names []string
		ents, _ := os.ReadDir("/sys/block")
		for _, e := range ents {
			b, err := os.ReadFile("/sys/block/" + e.Name() + "/size")
			if err == nil && strings.TrimSpace(string(b)) != "0" && !strings.HasPrefix(e.Name(), "mtd") {
				names = append(names, e.Name())
			}
		}
		if s := strings.Join(names, " "); s != last {
			fmt.Println("DISKS", s)
			last = s
		}
		now := map[string]bool{}
		for _, n := range names {
			now[n] = true
			if !seen[n] {
				go readStart(n)
			}
		}
		seen = now
		time.Sleep(20 * time.Millisecond)
	}
}

// readStart reads the first MiB of a disk and says how it went.
func readStart(name string) {
	start := time.Now()
	f, err := os.Open("/dev/" + name)
	if err == nil {
		_, err = io.CopyN(io.Discard, f, 1<<20)
		f.Close()
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	fmt.Printf("READ %s %s %.2f\n", name, result, time.Since(start).Seconds())
}
