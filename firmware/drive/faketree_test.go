package drive

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// buildTree makes a fake machine root from a description in
// testdata/sysfs, so tests run against the shapes of real sysfs trees:
//
//	# comment
//	set NAME VALUE        later $NAME in paths and values is VALUE
//	block SYSPATH KEY=VALUE...
//	                      a block device at sys/SYSPATH, with the
//	                      attributes a kernel gives it: dev=MAJ:MIN,
//	                      size= (512-byte units), ro=, lbs= (logical
//	                      block size, disks), diskseq=, partuuid= (a
//	                      partition when SYSPATH's parent is a block
//	                      device); plus the links in sys/class/block,
//	                      sys/block (disks) and sys/dev/block, and the
//	                      disk's link "device" to its hardware, and a
//	                      sparse file of its size (all zeros) at dev/NAME
//	file PATH VALUE...    a file holding VALUE and a newline
//	file PATH <<          a file holding the lines up to one that is "EOF"
//	link PATH TARGET      a symbolic link to TARGET, a path in the tree
func buildTree(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	f, err := os.Open(filepath.Join("testdata", "sysfs", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	expand := func(s string) string { return os.Expand(s, func(k string) string { return vars[k] }) }
	write := func(p, content string) {
		p = filepath.Join(root, expand(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(p, target string) {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) < 2 {
			t.Fatalf("%s:%d: too short", name, line)
		}
		switch fields[0] {
		case "set":
			vars[fields[1]] = expand(strings.Join(fields[2:], " "))
		case "file":
			if len(fields) == 3 && fields[2] == "<<" {
				var b strings.Builder
				for sc.Scan() && sc.Text() != "EOF" {
					b.WriteString(expand(sc.Text()) + "\n")
				}
				write(fields[1], b.String())
				continue
			}
			write(fields[1], expand(strings.Join(fields[2:], " "))+"\n")
		case "link":
			p := expand(fields[1])
			link(p, rel(t, filepath.Dir(p), expand(fields[2])))
		case "block":
			sysPath := expand(fields[1])
			attrs := map[string]string{"ro": "0", "lbs": "512", "size": "0"}
			for _, kv := range fields[2:] {
				k, v, _ := strings.Cut(expand(kv), "=")
				attrs[k] = v
			}
			dev := filepath.Join("sys", sysPath)
			kname := filepath.Base(sysPath)
			_, errParent := os.Stat(filepath.Join(root, filepath.Dir(dev), "dev"))
			partition := errParent == nil
			major, minor, _ := strings.Cut(attrs["dev"], ":")
			env := "MAJOR=" + major + "\nMINOR=" + minor + "\nDEVNAME=" + kname + "\n"
			if partition {
				partn := strings.TrimPrefix(kname, strings.TrimRight(kname, "0123456789"))
				env += "DEVTYPE=partition\nPARTN=" + partn + "\n"
				write(filepath.Join(dev, "partition"), partn+"\n")
				if u := attrs["partuuid"]; u != "" {
					env += "PARTUUID=" + u + "\n"
				}
			} else {
				env += "DEVTYPE=disk\n"
				write(filepath.Join(dev, "queue", "logical_block_size"), attrs["lbs"]+"\n")
				link(filepath.Join("sys", "block", kname), rel(t, "sys/block", dev))
				// The device link leads to the hardware device: the SCSI
				// device or MMC card above "block/", the NVMe controller.
				if parent := filepath.Dir(dev); !strings.HasPrefix(sysPath, "devices/virtual/") {
					if filepath.Base(parent) == "block" {
						parent = filepath.Dir(parent)
					}
					link(filepath.Join(dev, "device"), rel(t, dev, parent))
				}
			}
			if s := attrs["diskseq"]; s != "" {
				env += "DISKSEQ=" + s + "\n"
			}
			write(filepath.Join(dev, "uevent"), env)
			write(filepath.Join(dev, "dev"), attrs["dev"]+"\n")
			write(filepath.Join(dev, "size"), attrs["size"]+"\n")
			write(filepath.Join(dev, "ro"), attrs["ro"]+"\n")
			for _, d := range []string{"holders", "slaves"} {
				if err := os.MkdirAll(filepath.Join(root, dev, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			link(filepath.Join("sys", "class", "block", kname), rel(t, "sys/class/block", dev))
			sparse(t, filepath.Join(root, "dev", kname), attrs["size"])
			link(filepath.Join("sys", "dev", "block", attrs["dev"]), rel(t, "sys/dev/block", dev))
		default:
			t.Fatalf("%s:%d: unknown directive %q", name, line, fields[0])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return root
}

// sparse makes a file of sectors 512-byte sectors that takes no room.
func sparse(t *testing.T, path, sectors string) {
	t.Helper()
	n, err := strconv.ParseInt(sectors, 10, 64)
	if err != nil {
		t.Fatalf("device %s: size %q: %v", path, sectors, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(n * 512); err != nil {
		t.Fatal(err)
	}
}

// rel is the relative symlink target from folder dir to target, as sysfs
// writes its links.
func rel(t *testing.T, dir, target string) string {
	t.Helper()
	r, err := filepath.Rel(dir, target)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
