package drive

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// uevent is one kernel uevent: "ACTION@DEVPATH" followed by KEY=VALUE pairs.
type uevent struct {
	Action  string // add, remove, change, move, online, offline, bind, unbind
	DevPath string // below /sys, e.g. /devices/virtual/block/loop0
	Env     map[string]string
}

// errNotKernelUevent marks datagrams that are not kernel uevents, such as
// udev's "libudev" messages.
var errNotKernelUevent = errors.New("not a kernel uevent")

// parseUevent parses one netlink datagram as the kernel sends it:
// "ACTION@DEVPATH\0KEY=VALUE\0...". It checks that the header agrees with
// the ACTION and DEVPATH keys, so a truncated or forged message is refused
// rather than half-read.
func parseUevent(b []byte) (uevent, error) {
	fields := bytes.Split(b, []byte{0})
	if len(fields) > 0 && len(fields[len(fields)-1]) == 0 {
		fields = fields[:len(fields)-1]
	}
	if len(fields) == 0 {
		return uevent{}, fmt.Errorf("empty datagram: %w", errNotKernelUevent)
	}
	action, devpath, ok := strings.Cut(string(fields[0]), "@")
	if !ok || action == "" || !strings.HasPrefix(devpath, "/") {
		return uevent{}, fmt.Errorf("header %q: %w", truncate(fields[0]), errNotKernelUevent)
	}
	ev := uevent{Action: action, DevPath: devpath, Env: make(map[string]string, len(fields)-1)}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(string(f), "=")
		if !ok || k == "" {
			return uevent{}, fmt.Errorf("uevent %s: field %q is not KEY=VALUE", devpath, truncate(f))
		}
		if _, dup := ev.Env[k]; dup {
			return uevent{}, fmt.Errorf("uevent %s: key %s repeated", devpath, k)
		}
		ev.Env[k] = v
	}
	if ev.Env["ACTION"] != action || ev.Env["DEVPATH"] != devpath {
		return uevent{}, fmt.Errorf("uevent %s: header disagrees with ACTION=%q DEVPATH=%q", devpath, ev.Env["ACTION"], ev.Env["DEVPATH"])
	}
	return ev, nil
}

// bytes renders the uevent in the kernel's wire format, keys sorted.
func (ev uevent) bytes() []byte {
	var b bytes.Buffer
	b.WriteString(ev.Action + "@" + ev.DevPath)
	b.WriteByte(0)
	keys := make([]string, 0, len(ev.Env))
	for k := range ev.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + "=" + ev.Env[k])
		b.WriteByte(0)
	}
	return b.Bytes()
}

// sysName is the device's name in sysfs (/sys/class/block/NAME): the last
// element of DEVPATH.
func (ev uevent) sysName() string {
	return ev.DevPath[strings.LastIndexByte(ev.DevPath, '/')+1:]
}

func truncate(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
