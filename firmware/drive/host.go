package drive

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"flashkiosk/firmware/regfile"
)

// Host reads block devices from one machine's sysfs, procfs and /dev.
// Use it by pointer; the zero value reads the live system.
type Host struct {
	// Root is the folder that holds sys/, proc/ and dev/: "/" (or "") on a
	// live system, a fake tree in tests.
	Root string
	// Ports maps USB port paths to the board's port names, so that the USB 2
	// and USB 3 paths of one socket (on a Pi 4, "1-1.1" and "2-1") are one
	// port. A device behind a hub takes the name of the hub's port plus its
	// own port numbers ("1-1.1.4" is "A.4" when "1-1.1" is "A"). Unmapped
	// paths name themselves.
	Ports map[string]string
	// Now stamps Drive.Appeared; nil means time.Now.
	Now func() time.Time
	// Library checks the signature of a content library found on a drive
	// (see Facts). With nil, the library of any drive with a FAT32 or
	// exFAT volume holding a manifest.json and a manifest.sig at its root
	// is Untrusted: a master drive all the same, as unsure means refuse.
	Library LibraryVerifier
	// AsUSB makes the whole disks it names by kernel name (loop devices)
	// count as USB drives in the port it gives: only for tests that run a
	// real kiosk against loop devices. A kiosk never sets it.
	AsUSB map[string]string

	once sync.Once
	seed maphash.Seed
}

func (h *Host) path(elem ...string) string {
	root := h.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

// DevicePath is the device node of the drive with kernel name name, below
// the host's root.
func (h *Host) DevicePath(name string) string { return h.path("dev", name) }

func (h *Host) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Host) tag(serial string) uint64 {
	if serial == "" {
		return 0
	}
	h.once.Do(func() { h.seed = maphash.MakeSeed() })
	return maphash.String(h.seed, serial)
}

var (
	// usbPortRE matches a USB device's sysfs name: bus-port[.port...].
	usbPortRE = regexp.MustCompile(`^[0-9]+-[0-9]+(\.[0-9]+)*$`)
	// usbRootRE matches a USB root hub's sysfs name.
	usbRootRE = regexp.MustCompile(`^usb[0-9]+$`)
	// scsiRE matches a SCSI device's sysfs name: host:channel:target:lun.
	scsiRE = regexp.MustCompile(`^[0-9]+:[0-9]+:[0-9]+:([0-9]+)$`)
)

// ErrNoDevice says the block device does not exist (any more).
var ErrNoDevice = errors.New("no such block device")

// Drive reads the block device with kernel name name from sysfs.
func (h *Host) Drive(name string) (Drive, error) {
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return Drive{}, fmt.Errorf("block device %q: bad name", name)
	}
	sys := h.path("sys")
	dir, err := filepath.EvalSymlinks(filepath.Join(sys, "class", "block", name))
	if errors.Is(err, fs.ErrNotExist) {
		return Drive{}, fmt.Errorf("block device %s: %w", name, ErrNoDevice)
	}
	if err != nil {
		return Drive{}, fmt.Errorf("block device %s: %w", name, err)
	}
	rel, err := filepath.Rel(sys, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return Drive{}, fmt.Errorf("block device %s: sysfs link leads outside %s to %s", name, sys, dir)
	}
	d := Drive{Name: name, SysPath: "/" + filepath.ToSlash(rel)}
	env, err := readEnv(filepath.Join(dir, "uevent"))
	if err != nil {
		return Drive{}, wrapGone(name, err)
	}
	if d.Dev, err = parseDevNum(env["MAJOR"], env["MINOR"]); err != nil {
		return Drive{}, fmt.Errorf("block device %s: %w", name, err)
	}
	if s := env["DISKSEQ"]; s != "" {
		if d.DiskSeq, err = strconv.ParseUint(s, 10, 64); err != nil {
			return Drive{}, fmt.Errorf("block device %s: DISKSEQ %q: %w", name, s, err)
		}
	}
	d.Partition = env["DEVTYPE"] == "partition"
	if d.Partition {
		if d.PartNum, err = strconv.Atoi(env["PARTN"]); err != nil {
			return Drive{}, fmt.Errorf("block device %s: partition number %q: %w", name, env["PARTN"], err)
		}
	}
	disk := dir
	if d.Partition {
		disk = filepath.Dir(dir)
	}
	sectors, err := readUint(filepath.Join(dir, "size"))
	if err != nil {
		return Drive{}, wrapGone(name, err)
	}
	if sectors > (1<<64-1)/512 {
		return Drive{}, fmt.Errorf("block device %s: size of %d sectors overflows", name, sectors)
	}
	d.Size = sectors * 512 // sysfs counts 512-byte units whatever the sector size
	ss, err := readUint(filepath.Join(disk, "queue", "logical_block_size"))
	if err != nil {
		return Drive{}, wrapGone(name, err)
	}
	d.SectorSize = uint32(ss)
	ro, err := readUint(filepath.Join(dir, "ro"))
	if err != nil {
		return Drive{}, wrapGone(name, err)
	}
	d.ReadOnly = ro != 0

	d.Vendor = readTrimmed(filepath.Join(disk, "device", "vendor"))
	d.Model = readTrimmed(filepath.Join(disk, "device", "model"))
	if d.Model == "" {
		d.Model = readTrimmed(filepath.Join(disk, "device", "name")) // MMC and SD cards
	}
	h.placeUSB(&d)
	if port, ok := h.AsUSB[name]; ok && !d.USB && !d.Partition {
		d.USB, d.Port = true, port
	}
	d.Appeared = h.now()
	return d, nil
}

// placeUSB fills in the USB fields from the resolved sysfs path: the
// transport is in the path, not in the unreliable "removable" attribute.
func (h *Host) placeUSB(d *Drive) {
	elems := strings.Split(d.SysPath, "/")
	root, port := -1, -1
	for i, e := range elems {
		switch {
		case usbRootRE.MatchString(e):
			root = i
		case root >= 0 && usbPortRE.MatchString(e):
			port = i
		case scsiRE.MatchString(e):
			n, _ := strconv.Atoi(scsiRE.FindStringSubmatch(e)[1])
			d.LUN = n
		}
	}
	if port < 0 {
		d.LUN = 0
		return
	}
	d.USB = true
	d.PortPath = elems[port]
	d.Port = h.portName(d.PortPath)
	usbDev := h.path(append([]string{"sys"}, elems[:port+1]...)...)
	d.serialTag = h.tag(readTrimmed(filepath.Join(usbDev, "serial")))
}

// portName maps a USB port path to the board's name for it: the longest
// mapped prefix, followed by the rest of the path.
func (h *Host) portName(path string) string {
	for p := path; ; {
		if name, ok := h.Ports[p]; ok {
			return name + path[len(p):]
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return path
		}
		p = p[:i]
	}
}

// Scan reads every block device in sysfs (disks, partitions, empty card
// reader slots), sorted by name. Devices that vanish while being read are
// left out; other failures are returned together with the devices read.
func (h *Host) Scan() ([]Drive, error) {
	ents, err := os.ReadDir(h.path("sys", "class", "block"))
	if err != nil {
		return nil, fmt.Errorf("scan block devices: %w", err)
	}
	var drives []Drive
	var errs []error
	for _, e := range ents {
		d, err := h.Drive(e.Name())
		switch {
		case errors.Is(err, ErrNoDevice):
		case err != nil:
			errs = append(errs, err)
		default:
			drives = append(drives, d)
		}
	}
	sort.Slice(drives, func(i, j int) bool { return drives[i].Name < drives[j].Name })
	return drives, errors.Join(errs...)
}

func wrapGone(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("block device %s: %w", name, ErrNoDevice)
	}
	return fmt.Errorf("block device %s: %w", name, err)
}

func parseDevNum(major, minor string) (DevNum, error) {
	ma, err1 := strconv.ParseUint(major, 10, 32)
	mi, err2 := strconv.ParseUint(minor, 10, 32)
	if err1 != nil || err2 != nil {
		return DevNum{}, fmt.Errorf("bad device number %q:%q", major, minor)
	}
	return DevNum{uint32(ma), uint32(mi)}, nil
}

// maxAttr caps a read of a sysfs or proc attribute. The kernel serves at
// most a page; the cap holds for a tree that is not the kernel's.
const maxAttr = 64 << 10

// readAttr reads a sysfs or proc attribute: a regular file, not a link,
// of at most maxAttr bytes.
func readAttr(path string) ([]byte, error) {
	return regfile.ReadFile(path, regfile.Refuse, maxAttr)
}

// readEnv reads a KEY=VALUE per line file such as sysfs "uevent".
func readEnv(path string) (map[string]string, error) {
	b, err := readAttr(path)
	if err != nil {
		return nil, err
	}
	env := make(map[string]string)
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env, nil
}

func readUint(path string) (uint64, error) {
	b, err := readAttr(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// readTrimmed reads an optional attribute; absent means empty.
func readTrimmed(path string) string {
	b, err := readAttr(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
