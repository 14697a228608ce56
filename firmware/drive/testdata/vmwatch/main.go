// Command vmwatch runs in a test VM as u-root's uinit: it watches drives
// with package drive and prints, on the serial console, one line per
// event ("EVENT {json}"), the set of present drives after each ("STATE
// sda sdb"), and each raw block or USB device uevent it sees ("UEVENT
// base64"), so the host test can check them and keep them as test data.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"flashkiosk/firmware/drive"
)

func main() {
	ports := flag.String("ports", "", "board port map, as PATH=NAME,PATH=NAME")
	flag.Parse()
	h := &drive.Host{Ports: map[string]string{}}
	for _, kv := range strings.Split(*ports, ",") {
		if p, n, ok := strings.Cut(kv, "="); ok {
			h.Ports[p] = n
		}
	}
	go printUevents()
	events := make(chan drive.Event)
	go func() {
		fmt.Println("READY")
		if err := h.Watch(context.Background(), events); err != nil {
			fmt.Println("FAIL", err)
		}
	}()
	present := map[string]bool{}
	for e := range events {
		ok, reason := drive.Policy{}.Eligible(e.Drive, h.Facts(context.Background(), e.Drive))
		d := e.Drive
		line, _ := json.Marshal(map[string]any{
			"kind": e.Kind, "name": d.Name, "usb": d.USB, "port": d.Port, "port_path": d.PortPath, "lun": d.LUN,
			"size": d.Size, "sector": d.SectorSize, "ro": d.ReadOnly, "vendor": d.Vendor, "model": d.Model,
			"eligible": ok, "reason": reason,
		})
		fmt.Printf("EVENT %s\n", line)
		present[d.Name] = e.Kind == drive.Added
		var names []string
		for n, p := range present {
			if p {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		fmt.Printf("STATE %s\n", strings.Join(names, " "))
	}
}

// printUevents prints the kernel's raw uevents about block and USB
// devices, from a socket of its own: the recording must not depend on the
// code under test.
func printUevents() {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM, unix.NETLINK_KOBJECT_UEVENT)
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1})
	}
	if err != nil {
		fmt.Println("FAIL uevent socket:", err)
		os.Exit(1)
	}
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue
		}
		b := buf[:n]
		if strings.Contains(string(b), "\x00SUBSYSTEM=block\x00") || strings.Contains(string(b), "\x00DEVTYPE=usb_device\x00") {
			fmt.Println("UEVENT", base64.StdEncoding.EncodeToString(b))
		}
	}
}
