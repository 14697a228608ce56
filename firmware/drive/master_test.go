package drive

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"flashkiosk/firmware/fat"
)

// fatImage makes a 64 MiB disk image with one FAT32 volume, by mkfs.fat
// and mtools, holding the given files at its root. With mbr, the volume
// is a partition at 1 MiB, as Windows lays out a stick; otherwise it fills
// the image (a "superfloppy").
func fatImage(t *testing.T, mbr bool, files map[string]string) string {
	t.Helper()
	for _, tool := range []string{"mkfs.fat", "mcopy", "mmd"} {
		if _, err := lookTool(tool); err != nil {
			t.Fatalf("%s not found (Debian packages dosfstools, mtools; `make deps` installs them): %v", tool, err)
		}
	}
	const size, offset = 64 << 20, 1 << 20
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	args := []string{"-F", "32", "-n", "LIBRARY"}
	target := img
	if mbr {
		args = append(args, "--offset", strconv.Itoa(offset/512))
		var sector [512]byte
		e := sector[446:462]
		e[4] = 0x0c // FAT32 LBA
		binary.LittleEndian.PutUint32(e[8:], offset/512)
		binary.LittleEndian.PutUint32(e[12:], (size-offset)/512)
		sector[510], sector[511] = 0x55, 0xaa
		if _, err := f.WriteAt(sector[:], 0); err != nil {
			t.Fatal(err)
		}
		target = fmt.Sprintf("%s@@%d", img, offset)
	}
	f.Close()
	mkfs, _ := lookTool("mkfs.fat")
	blocks := size / 1024
	if mbr {
		blocks = (size - offset) / 1024
	}
	run(t, mkfs, append(args, img, strconv.Itoa(blocks))...)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names) // folders before what they hold
	for _, name := range names {
		content := files[name]
		src := filepath.Join(dir, "src")
		if content == "<dir>" {
			run(t, "mmd", "-i", target, "::"+name)
			continue
		}
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, "mcopy", "-i", target, src, "::"+name)
	}
	return img
}

func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// goodSig is the signature the test verifier trusts, otherSig one it
// finds valid but by another key.
const (
	goodSig  = "signed by the partner's key"
	otherSig = "signed by someone else's key"
)

var testVerifier = VerifierFunc(func(manifest, sig []byte) (Trust, error) {
	switch string(sig) {
	case goodSig:
		return Trusted, nil
	case otherSig:
		return Untrusted, errors.New("signed by key 0123456789abcdef, which is not trusted")
	}
	return BadSignature, errors.New("bad signature")
})

// failingReader fails every read, as a dying drive does.
type failingReader struct{}

func (failingReader) ReadAt(p []byte, off int64) (int, error) {
	return 0, fmt.Errorf("read at %d: input/output error", off)
}

func TestMasterVolume(t *testing.T) {
	library := map[string]string{"manifest.json": `{"name":"wiki"}`, "manifest.sig": goodSig, "wiki": "<dir>"}
	mbr := Volume{Partition: 1, Offset: 1 << 20, Type: "vfat"}
	for _, tc := range []struct {
		name    string
		mbr     bool
		files   map[string]string
		v       LibraryVerifier
		want    Trust
		wantVol Volume
	}{
		{"signed library, MBR", true, library, testVerifier, Trusted, mbr},
		{"signed library, superfloppy", false, library, testVerifier, Trusted, Volume{Type: "vfat"}},
		{"no verifier: any signed-looking library is a master drive", true, library, nil, Untrusted, mbr},
		{"signature does not verify", true, map[string]string{"manifest.json": "{}", "manifest.sig": "forged"}, testVerifier, BadSignature, mbr},
		{"signed by another key", true, map[string]string{"manifest.json": "{}", "manifest.sig": otherSig}, testVerifier, Untrusted, mbr},
		{"manifest without signature", true, map[string]string{"manifest.json": "{}"}, nil, NoLibrary, Volume{}},
		{"signature without manifest", true, map[string]string{"manifest.sig": goodSig}, nil, NoLibrary, Volume{}},
		{"manifest is a folder", true, map[string]string{"manifest.json": "<dir>", "manifest.sig": goodSig}, nil, NoLibrary, Volume{}},
		{"library in a subfolder", true, map[string]string{"lib": "<dir>", "lib/manifest.json": "{}", "lib/manifest.sig": goodSig}, nil, NoLibrary, Volume{}},
		{"donor's files", true, map[string]string{"photo.jpg": "jpeg", "notes.txt": "hello"}, testVerifier, NoLibrary, Volume{}},
	} {
		img := fatImage(t, tc.mbr, tc.files)
		checkMasterVolume(t, tc.name, img, tc.v, tc.want, tc.wantVol)
	}

	zeros := make([]byte, 4<<20)
	garbage := make([]byte, 4<<20)
	for i := range garbage {
		garbage[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name string
		r    interface {
			ReadAt([]byte, int64) (int, error)
		}
		size    uint64
		wantErr bool
	}{
		{"blank drive", bytesReaderAt(zeros), uint64(len(zeros)), false},
		{"garbage", bytesReaderAt(garbage), uint64(len(garbage)), false},
		{"read error", failingReader{}, 1 << 30, true},
		{"absurd size", bytesReaderAt(zeros), 1 << 63, true},
	} {
		got, _, why, err := masterVolume(tc.r, tc.size, 512, nil)
		if got != NoLibrary || (err != nil) != tc.wantErr || (why == "") != tc.wantErr {
			t.Errorf("%s: masterVolume() = %v, %q, %v; want no library, a reason or error %v", tc.name, got, why, err, tc.wantErr)
		}
	}
}

// checkMasterVolume runs masterVolume on the image file img.
func checkMasterVolume(t *testing.T, name, img string, v LibraryVerifier, want Trust, wantVol Volume) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	got, vol, why, err := masterVolume(f, uint64(st.Size()), 512, v)
	if got != want || err != nil || (why == "") != (got == Trusted) || (got != NoLibrary && vol != wantVol) {
		t.Errorf("%s: masterVolume() = %v, %+v, %q, %v; want %v, %+v, a reason unless trusted", name, got, vol, why, err, want, wantVol)
	}
}

// exfatImage makes a 64 MiB disk image with one exFAT volume, by
// mkfs.exfat and the FUSE exFAT driver on a loop device (the host kernel
// has no exFAT), holding files at its root. With mbr, the volume is
// partition 1 (type 0x07) at 1 MiB, as Windows and macOS lay out a stick.
func exfatImage(t *testing.T, mbr bool, files map[string]string) string {
	t.Helper()
	const size, offset = 64 << 20, 1 << 20
	img := filepath.Join(t.TempDir(), "exfat.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	args := []string{"-f", "--show", img}
	if mbr {
		var sector [512]byte
		e := sector[446:462]
		e[4] = 0x07
		binary.LittleEndian.PutUint32(e[8:], offset/512)
		binary.LittleEndian.PutUint32(e[12:], (size-offset)/512)
		sector[510], sector[511] = 0x55, 0xaa
		f, err := os.OpenFile(img, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteAt(sector[:], 0)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		args = append([]string{"-o", strconv.Itoa(offset)}, args...)
	}
	losetup := mustTool(t, "losetup")
	out, err := exec.Command(losetup, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup %v: %v: %s", args, err, out)
	}
	loop := strings.TrimSpace(string(out))
	defer exec.Command(losetup, "-d", loop).Run()
	run(t, mustTool(t, "mkfs.exfat"), "-L", "MASTER", loop)
	dir := t.TempDir()
	run(t, mustTool(t, "mount.exfat-fuse"), loop, dir)
	for name, content := range files {
		p := filepath.Join(dir, name)
		var err error
		if content == "<dir>" {
			err = os.Mkdir(p, 0o755)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			exec.Command("umount", dir).Run()
			t.Fatal(err)
		}
	}
	run(t, mustTool(t, "umount"), dir)
	return img
}

func mustTool(t *testing.T, name string) string {
	t.Helper()
	p, err := lookTool(name)
	if err != nil {
		t.Fatalf("%s not found (Debian packages exfatprogs, exfat-fuse, mount; `make deps` installs them): %v", name, err)
	}
	return p
}

// TestMasterVolumeExFAT: a master drive formatted exFAT, as partition 1
// or filling the drive, is found as one FAT32's would be; an exFAT stick
// of a donor is no master drive.
func TestMasterVolumeExFAT(t *testing.T) {
	library := map[string]string{"manifest.json": `{"name":"wiki"}`, "manifest.sig": goodSig, "content": "<dir>"}
	mbr := Volume{Partition: 1, Offset: 1 << 20, Type: "exfat"}
	for _, tc := range []struct {
		name    string
		mbr     bool
		files   map[string]string
		want    Trust
		wantVol Volume
	}{
		{"signed library, MBR", true, library, Trusted, mbr},
		{"signed library, superfloppy", false, library, Trusted, Volume{Type: "exfat"}},
		{"signed by another key", true, map[string]string{"manifest.json": "{}", "manifest.sig": otherSig}, Untrusted, mbr},
		{"donor's files", true, map[string]string{"photo.jpg": "jpeg"}, NoLibrary, Volume{}},
	} {
		checkMasterVolume(t, "exFAT: "+tc.name, exfatImage(t, tc.mbr, tc.files), testVerifier, tc.want, tc.wantVol)
	}
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, errors.New("EOF")
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, errors.New("EOF")
	}
	return n, nil
}

// TestFactsMaster puts a master drive into a fake Pi: it is refused as a
// master drive, a blank one beside it is not.
func TestFactsMaster(t *testing.T) {
	root := buildTree(t, "pi4.txt")
	img := fatImage(t, true, map[string]string{"manifest.json": "{}", "manifest.sig": goodSig})
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dev", "sdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sys", "class", "block", "sdb", "size"), []byte(strconv.Itoa(len(data)/512)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := &Host{Root: root, Library: testVerifier}
	for _, tc := range []struct {
		name string
		want Reason
	}{{"sdb", MasterDrive}, {"sda", OK}} {
		d, err := h.Drive(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		f := h.Facts(context.Background(), d)
		if _, r := (Policy{MinSize: 1 << 20}).Eligible(d, f); r != tc.want {
			t.Errorf("Eligible(%s) with facts %+v = %v; want %v", tc.name, f, r, tc.want)
		}
	}
	d, err := h.Drive("sdb")
	if err != nil {
		t.Fatal(err)
	}
	if f := h.Facts(context.Background(), d); f.Library != Trusted || f.Volume != (Volume{Partition: 1, Offset: 1 << 20, Type: "vfat"}) {
		t.Errorf("Facts(sdb) = %+v; want a trusted library in partition 1 (vfat) at 1 MiB", f)
	}
	// The device to mount is the partition that starts where the volume
	// was found, or the drive when the volume fills it.
	if err := os.WriteFile(filepath.Join(root, "sys", "class", "block", "sda1", "start"), []byte("2048\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sda, err := h.Drive("sda")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		vol     Volume
		want    string
		wantErr bool
	}{
		{Volume{Partition: 1, Offset: 1 << 20, Type: "vfat"}, h.DevicePath("sda1"), false},
		{Volume{Type: "exfat"}, h.DevicePath("sda"), false},
		{Volume{Partition: 1, Offset: 2 << 20, Type: "vfat"}, "", true},
		{Volume{Partition: 2, Offset: 1 << 20, Type: "vfat"}, "", true},
	} {
		got, err := h.VolumeDevice(sda, tc.vol)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("VolumeDevice(sda, %+v) = %q, %v; want %q, error %v", tc.vol, got, err, tc.want, tc.wantErr)
		}
	}
	// A drive that cannot be read cannot be cleared as "not a master".
	if err := os.Remove(filepath.Join(root, "dev", "sdb")); err != nil {
		t.Fatal(err)
	}
	if f := h.Facts(context.Background(), d); f.Err == nil {
		t.Errorf("Facts(sdb) without a device file = %+v; want an error", f)
	}
}

// TestMasterVolumeHostile checks that a stick whose FAT claims more than
// it holds, or links its chains wrongly, is no master drive, says why, and
// is found so at once, without reading or allocating what it claims.
func TestMasterVolumeHostile(t *testing.T) {
	img := fatImage(t, true, map[string]string{"manifest.json": strings.Repeat("{}", 3000), "manifest.sig": goodSig})
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	vol, err := fat.OpenVolume(bytesReaderAt(data), int64(len(data)))
	if err != nil {
		t.Fatalf("OpenVolume(clean image) = %v", err)
	}
	entry := func(name string) *fat.DirEntry {
		st, err := vol.Stat(name)
		if err != nil {
			t.Fatalf("Stat(%s) = %v", name, err)
		}
		return st.Sys().(*fat.DirEntry)
	}
	const boot = 1 << 20 // the partition fatImage makes
	fatStart := int64(boot + 512*int(binary.LittleEndian.Uint16(data[boot+14:])))
	type patch struct {
		off int64
		b   []byte
	}
	le32 := func(off int64, v uint32) patch { return patch{off, binary.LittleEndian.AppendUint32(nil, v)} }
	size := func(name string, n uint32) patch { return le32(entry(name).Offset+28, n) }
	manifest, sig := entry("manifest.json"), entry("manifest.sig")
	for _, tc := range []struct {
		desc    string
		patches []patch
		want    string
	}{
		{"manifest claims 4 GiB", []patch{size("manifest.json", 0xFFFFFFFF)},
			"manifest.json is 4294967295 bytes; at most 67108864 are read: refused, as it may be a master drive"},
		{"signature claims 4 GiB", []patch{size("manifest.sig", 0xFFFFFFFF)},
			"manifest.sig is 4294967295 bytes; at most 65536 are read"},
		{"manifest claims 60 MiB, holds less", []patch{size("manifest.json", 60<<20)},
			"damaged FAT32 volume: open manifest.json: "},
		{"manifest chain loops", []patch{size("manifest.json", 60<<20), le32(fatStart+4*int64(manifest.FirstCluster), manifest.FirstCluster)},
			"loops back to cluster"},
		{"manifest in the signature's cluster", []patch{
			{manifest.Offset + 26, binary.LittleEndian.AppendUint16(nil, uint16(sig.FirstCluster))}, // the high word is 0 on 64 MiB
			size("manifest.json", uint32(len(goodSig)))},
			"cross-linked"},
	} {
		clean := bytes.Clone(data)
		for _, p := range tc.patches {
			copy(data[p.off:], p.b)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		got, _, why, err := masterVolume(bytesReaderAt(data), uint64(len(data)), 512, testVerifier)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		// A signature beside a manifest too large to read could be a
		// real master drive's: that is an error (the drive is refused),
		// every other case is no master drive.
		refuse := strings.HasSuffix(tc.want, "as it may be a master drive")
		switch {
		case refuse && (got != NoLibrary || err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: masterVolume() = %v, %q, %v; want an error saying %q", tc.desc, got, why, err, tc.want)
		case !refuse && (got != NoLibrary || err != nil || !strings.Contains(why, tc.want)):
			t.Errorf("%s: masterVolume() = %v, %q, %v; want false, a reason saying %q", tc.desc, got, why, err, tc.want)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%s: masterVolume allocated %d bytes; want at most 1 MiB", tc.desc, n)
		}
		t.Logf("%s: classified in %v", tc.desc, took) // no wall-clock limit: the machines are shared
		data = clean
	}
}

// tableImage makes a 128 MiB disk image with the partition table label
// ("gpt" or "dos") written by sfdisk, each partition formatted by
// mkfs.fat with its files copied to its root if it is a fat one.
func tableImage(t testing.TB, label string, parts []tablePart) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 128<<20); err != nil {
		t.Fatal(err)
	}
	script := "label: " + label + "\n"
	for _, p := range parts {
		script += fmt.Sprintf("start=%d, size=%d, type=%s\n", p.start<<11, p.size<<11, p.typ)
	}
	sfdisk, err := lookTool("sfdisk")
	if err != nil {
		t.Fatalf("sfdisk not found (Debian package fdisk): %v", err)
	}
	cmd := exec.Command(sfdisk, "--no-reread", "--no-tell-kernel", img)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v: %s", err, out)
	}
	mkfs, _ := lookTool("mkfs.fat")
	for _, p := range parts {
		if !p.fat {
			continue
		}
		run(t, mkfs, "-F", "32", "--offset", strconv.Itoa(p.start<<11), img, strconv.Itoa(p.size<<10))
		for name, content := range p.files {
			src := filepath.Join(t.TempDir(), "src")
			if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			run(t, "mcopy", "-i", fmt.Sprintf("%s@@%d", img, p.start<<20), src, "::"+name)
		}
	}
	return img
}

// tablePart is a partition of tableImage.
type tablePart struct {
	start, size int // MiB
	typ         string
	fat         bool
	files       map[string]string
}

// TestMasterVolumeTables: the library may be on any FAT32 volume of the
// drive, behind an EFI system partition as macOS makes one on a GPT disk,
// or in the second of two MBR partitions; partitions of other kinds are
// passed over.
func TestMasterVolumeTables(t *testing.T) {
	library := map[string]string{"manifest.json": `{"name":"wiki"}`, "manifest.sig": goodSig}
	const (
		efi   = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
		basic = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
		apfs  = "7C3457EF-0000-11AA-AA11-00306543ECAC"
	)
	for _, tc := range []struct {
		name    string
		label   string
		parts   []tablePart
		want    Trust
		wantVol Volume
	}{
		{"GPT, behind an EFI system partition", "gpt", []tablePart{
			{1, 40, efi, true, nil}, {41, 80, basic, true, library}}, Trusted, Volume{Partition: 2, Offset: 41 << 20, Type: "vfat"}},
		{"GPT, behind an APFS partition", "gpt", []tablePart{
			{1, 20, apfs, false, nil}, {21, 100, basic, true, library}}, Trusted, Volume{Partition: 2, Offset: 21 << 20, Type: "vfat"}},
		{"GPT, donor's files", "gpt", []tablePart{{1, 120, basic, true, map[string]string{"photo.jpg": "jpeg"}}}, NoLibrary, Volume{}},
		{"MBR, the second partition", "dos", []tablePart{
			{1, 40, "c", true, map[string]string{"notes.txt": "hello"}}, {41, 80, "c", true, library}}, Trusted, Volume{Partition: 2, Offset: 41 << 20, Type: "vfat"}},
	} {
		checkMasterVolume(t, tc.name, tableImage(t, tc.label, tc.parts), testVerifier, tc.want, tc.wantVol)
	}
}

// paddedDevice is a device of size bytes whose first bytes are data and
// the rest zeros.
type paddedDevice struct {
	data []byte
	size int64
}

func (p paddedDevice) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 || off >= p.size {
		return 0, errors.New("EOF")
	}
	n := 0
	if off < int64(len(p.data)) {
		n = copy(b, p.data[off:])
	}
	m := min(int64(len(b)), p.size-off)
	clear(b[n:m])
	if m < int64(len(b)) {
		return int(m), errors.New("EOF")
	}
	return int(m), nil
}

// FuzzPartitionTables runs the master check on fuzzed partition tables
// (a drive's first 64 KiB, MBR or GPT, the rest zeros): no panic, no
// error but read errors, bounded memory.
func FuzzPartitionTables(f *testing.F) {
	for label, typ := range map[string]string{"gpt": "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "dos": "c"} {
		img := tableImage(f, label, []tablePart{{1, 40, typ, false, nil}, {41, 80, typ, false, nil}})
		data, err := os.ReadFile(img)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:64<<10])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			b = b[:64<<10]
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, _, err := masterVolume(paddedDevice{b, 128 << 20}, 128<<20, 512, testVerifier)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Errorf("masterVolume(fuzzed table) = %v; want a verdict", err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
			t.Errorf("masterVolume allocated %d bytes; want at most 16 MiB", n)
		}
	})
}
