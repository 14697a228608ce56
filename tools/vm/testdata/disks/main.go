// Command disks runs in the vm package's test VM as uinit: it prints
// "DISKS name name…" (the entries of /sys/block with a non-zero size)
// at start and whenever they change.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	last := "-"
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
		time.Sleep(20 * time.Millisecond)
	}
}
