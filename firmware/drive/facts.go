package drive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Facts gathers what the policy needs to know about d beyond its identity:
// whether it is in use or the boot disk (from /proc and sysfs), and for a
// USB whole disk with a medium, what library the root of one of its FAT32
// or exFAT volumes holds, if any (by reading it, never writing). For a partition, InUse and Boot speak for its whole
// disk. Anything that cannot be read ends up in Facts.Err, so the policy
// refuses the drive; so does a drive that is gone or has changed (another
// medium under the same name) before or while the facts were gathered.
// d must come from h (the serial number tag is per Host).
func (h *Host) Facts(ctx context.Context, d Drive) Facts {
	if err := h.unchanged(d); err != nil {
		return Facts{Err: err}
	}
	f := h.facts(ctx, d)
	if err := h.unchanged(d); err != nil {
		return Facts{Err: err}
	}
	return f
}

// unchanged checks that sysfs still shows d as it was.
func (h *Host) unchanged(d Drive) error {
	now, err := h.Drive(d.Name)
	if err != nil {
		return err
	}
	if !now.Same(d) {
		return fmt.Errorf("block device %s changed: now %v", d.Name, now)
	}
	return nil
}

func (h *Host) facts(ctx context.Context, d Drive) Facts {
	var f Facts
	disk, err := h.wholeDisk(d)
	if err != nil {
		return Facts{Err: err}
	}
	family, err := h.family(disk)
	if err != nil {
		return Facts{Err: err}
	}
	used, err := h.usedDevices()
	if err != nil {
		return Facts{Err: err}
	}
	boot := h.withSlaves([]string{h.bootDevice()})
	backs := h.loopBackings()
	for _, name := range family {
		f.InUse = f.InUse || used[name] || h.held(name) || backs[name]
		f.Boot = f.Boot || boot[name]
	}
	if d.USB && !d.Partition && d.Size > 0 {
		f.Library, f.Volume, f.NotMaster, f.Err = h.library(ctx, d)
	}
	return f
}

// wholeDisk is the kernel name of d's disk.
func (h *Host) wholeDisk(d Drive) (string, error) {
	if !d.Partition {
		return d.Name, nil
	}
	dir, err := filepath.EvalSymlinks(h.path("sys", "class", "block", d.Name))
	if err != nil {
		return "", wrapGone(d.Name, err)
	}
	return filepath.Base(filepath.Dir(dir)), nil
}

// family is the disk and its partitions.
func (h *Host) family(disk string) ([]string, error) {
	dir := h.path("sys", "class", "block", disk)
	ents, err := os.ReadDir(dir + "/")
	if err != nil {
		return nil, wrapGone(disk, err)
	}
	names := []string{disk}
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "partition")); err == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// held reports whether another block device (dm, md, bcache) sits on name.
func (h *Host) held(name string) bool {
	ents, err := os.ReadDir(h.path("sys", "class", "block", name, "holders"))
	return err == nil && len(ents) > 0
}

// loopBackings is the set of block devices that a loop device reads and
// writes as its backing file (losetup /dev/loop1 /dev/sdb). The kernel
// lists no holder for them, and does not keep an exclusive open on them,
// yet writing one overwrites whatever the loop device holds, mounted or
// not.
func (h *Host) loopBackings() map[string]bool {
	set := map[string]bool{}
	ents, _ := os.ReadDir(h.path("sys", "class", "block"))
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "loop") {
			continue
		}
		b := readTrimmed(h.path("sys", "class", "block", e.Name(), "loop", "backing_file"))
		if name := h.nameOfDevPath(strings.TrimSuffix(b, " (deleted)")); name != "" {
			set[name] = true
		}
	}
	return set
}

// usedDevices is the set of kernel names of block devices that hold a
// mounted filesystem or active swap, and of the devices below those
// (the slaves of a device-mapper or RAID device, recursively).
func (h *Host) usedDevices() (map[string]bool, error) {
	mounts, err := h.mountedDevices()
	if err != nil {
		return nil, err
	}
	swaps, err := h.swapDevices()
	if err != nil {
		return nil, err
	}
	return h.withSlaves(append(mounts, swaps...)), nil
}

// withSlaves is the set of names and of the devices they are built on
// (device mapper and RAID slaves, recursively).
func (h *Host) withSlaves(names []string) map[string]bool {
	set := make(map[string]bool)
	var mark func(name string, depth int)
	mark = func(name string, depth int) {
		if name == "" || set[name] || depth > 16 {
			return
		}
		set[name] = true
		ents, _ := os.ReadDir(h.path("sys", "class", "block", name, "slaves"))
		for _, e := range ents {
			mark(e.Name(), depth+1)
		}
	}
	for _, n := range names {
		mark(n, 0)
	}
	return set
}

// mountedDevices names the block devices of mounted filesystems, from
// /proc/self/mountinfo (device number and source), else /proc/mounts.
func (h *Host) mountedDevices() ([]string, error) {
	var names []string
	err := h.eachLine(h.path("proc", "self", "mountinfo"), func(fields []string) {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
		if len(fields) < 3 {
			return
		}
		names = append(names, h.nameOfDevNum(fields[2]))
		for i, f := range fields {
			if f == "-" && i+2 < len(fields) {
				names = append(names, h.nameOfDevPath(fields[i+2]))
			}
		}
	})
	if errors.Is(err, fs.ErrNotExist) {
		names = nil
		err = h.eachLine(h.path("proc", "mounts"), func(fields []string) {
			names = append(names, h.nameOfDevPath(fields[0]))
		})
	}
	if err != nil {
		return nil, fmt.Errorf("mounted filesystems: %w", err)
	}
	return names, nil
}

// swapDevices names the block devices in /proc/swaps. A missing file
// means no swap (the kernel may be built without it).
func (h *Host) swapDevices() ([]string, error) {
	var names []string
	err := h.eachLine(h.path("proc", "swaps"), func(fields []string) {
		if fields[0] != "Filename" {
			names = append(names, h.nameOfDevPath(fields[0]))
		}
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("swap devices: %w", err)
	}
	return names, nil
}

// bootDevice is the kernel name that root= on the kernel command line
// names, or "". Only /dev/NAME and PARTUUID= (when the kernel puts
// PARTUUID in the partition's uevent) can be resolved from sysfs; the root
// filesystem is mounted anyway, which usedDevices catches.
func (h *Host) bootDevice() string {
	b, err := readAttr(h.path("proc", "cmdline"))
	if err != nil {
		return ""
	}
	for _, arg := range strings.Fields(string(b)) {
		v, ok := strings.CutPrefix(arg, "root=")
		if !ok {
			continue
		}
		if uuid, ok := strings.CutPrefix(v, "PARTUUID="); ok {
			return h.nameOfPartUUID(uuid)
		}
		if strings.HasPrefix(v, "/dev/") {
			return h.nameOfDevPath(v)
		}
	}
	return ""
}

func (h *Host) nameOfPartUUID(uuid string) string {
	ents, _ := os.ReadDir(h.path("sys", "class", "block"))
	for _, e := range ents {
		env, err := readEnv(h.path("sys", "class", "block", e.Name(), "uevent"))
		if err == nil && env["PARTUUID"] != "" && strings.EqualFold(env["PARTUUID"], uuid) {
			return e.Name()
		}
	}
	return ""
}

// nameOfDevNum maps "MAJ:MIN" to a kernel name through /sys/dev/block;
// "" for numbers without a block device (proc, tmpfs, btrfs subvolumes).
func (h *Host) nameOfDevNum(majmin string) string {
	dir, err := filepath.EvalSymlinks(h.path("sys", "dev", "block", majmin))
	if err != nil {
		return ""
	}
	return filepath.Base(dir)
}

// nameOfDevPath maps a device file such as /dev/sda1 or
// /dev/mapper/root to a kernel name; "" for sources that are not device
// files (proc, tmpfs, a server:/share).
func (h *Host) nameOfDevPath(p string) string {
	if !strings.HasPrefix(p, "/dev/") {
		return ""
	}
	p = unescapeOctal(p)
	if real, err := filepath.EvalSymlinks(h.path(p)); err == nil {
		p = real
	}
	return filepath.Base(p)
}

// eachLine calls fn with the fields of every non-empty line of a file.
func (h *Host) eachLine(path string, fn func(fields []string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 0 {
			fn(fields)
		}
	}
	return sc.Err()
}

// unescapeOctal undoes the \040-style escapes of /proc mount tables.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
