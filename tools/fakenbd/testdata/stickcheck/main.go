// Command stickcheck runs as uinit in a test VM (tools/vm's NBD test) and
// checks each USB disk (sd*) that appears, in turn: it prints
// "SIZE name bytes" as the kernel sees it, runs the kiosk's capacity
// probe (firmware/flash.Probe) and prints
// "PROBE name reported real kind", then writes a 4 KiB stamp
// ("STICKCHECK" repeated) to the last 4 KiB of the disk, flushes it and
// prints "STAMP name offset". Failures print "FAIL name why".
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"flashkiosk/firmware/flash"
)

func main() {
	seen := map[string]bool{}
	for {
		ents, _ := os.ReadDir("/sys/block")
		now := map[string]bool{}
		for _, e := range ents {
			name := e.Name()
			b, err := os.ReadFile("/sys/block/" + name + "/size")
			if err != nil || !strings.HasPrefix(name, "sd") || strings.TrimSpace(string(b)) == "0" {
				continue
			}
			now[name] = true
			if !seen[name] {
				sectors, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
				check(name, sectors*512)
			}
		}
		seen = now
		time.Sleep(20 * time.Millisecond)
	}
}

func check(name string, size int64) {
	fmt.Println("SIZE", name, size)
	if err := probe(name); err != nil {
		fmt.Println("FAIL", name, err)
		return
	}
	off := size - 4096
	if err := stamp(name, off); err != nil {
		fmt.Println("FAIL", name, err)
		return
	}
	fmt.Println("STAMP", name, off)
}

func probe(name string) error {
	dev, err := flash.Open("/dev/"+name, false)
	if err != nil {
		return err
	}
	defer dev.Close()
	res, err := flash.Probe(context.Background(), dev)
	if err != nil {
		return err
	}
	fmt.Println("PROBE", name, res.Reported, res.Real, res.Kind)
	return nil
}

func stamp(name string, off int64) error {
	f, err := os.OpenFile("/dev/"+name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(bytes.Repeat([]byte("STICKCHECK"), 4096/10+1)[:4096], off)
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
