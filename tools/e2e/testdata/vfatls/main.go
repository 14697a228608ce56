// Command vfatls runs as uinit in a test VM: it mounts the first
// partition of every virtio disk read-only with the kernel's own vfat
// driver and prints "FILE disk path" for every file, then "DONE", so the
// host can check that produced sticks read right in Linux, Korean names
// included. Failures print "FAIL disk why".
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

func main() {
	ents, _ := os.ReadDir("/sys/block")
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "vd") {
			continue
		}
		dir := "/mnt/" + name
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Println("FAIL", name, err)
			continue
		}
		if err := unix.Mount("/dev/"+name+"1", dir, "vfat", unix.MS_RDONLY, "utf8"); err != nil {
			fmt.Println("FAIL", name, err)
			continue
		}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				fmt.Println("FAIL", name, err)
				return nil
			}
			if !d.IsDir() {
				fmt.Println("FILE", name, strings.TrimPrefix(p, dir+"/"))
			}
			return nil
		})
		unix.Unmount(dir, 0)
	}
	fmt.Println("DONE")
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}
