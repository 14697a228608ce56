// Package drive finds the drives plugged into the kiosk and says whether the
// kiosk may write them.
//
// Watch reports drives as they come and go, from kernel uevents read off a
// netlink socket and a sysfs scan at start (and again whenever the kernel
// says it dropped uevents). Host reads a drive's identity from sysfs: kernel
// name, device number, USB port, vendor, model, size, sector size and
// write protection. Host.Facts gathers what the policy needs beyond the
// identity (mounted filesystems, the boot disk, a signed content library on
// the drive), and Policy.Eligible decides, as a pure function, with a Reason
// the panel can show.
//
// The package never writes to a drive and never mounts one. Every sysfs,
// procfs and /dev access goes through Host.Root, so tests run on fake trees.
package drive
