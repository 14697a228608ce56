// Package images assembles a kiosk's system disk: the SD-card image a
// Raspberry Pi boots and the disk the qemu "vm" board gets as vda.
//
// A system disk has three MBR partitions: p1, FAT32 labelled FLASHKIOSK,
// holds kiosk.toml, the trusted library.pub and, on the Pi, the boot
// firmware, kernel, DTBs, overlays, config.txt, cmdline.txt and the u-root
// initramfs kiosk.cpio; p2, FAT32 labelled LIBRARY, holds a signed library
// folder; p3, type 0xDA, is the kiosk's journal, all zeros. The kiosk
// mounts the FAT partitions read-only and writes only the journal.
//
// Everything is written without root, loop devices or mounting, by
// package fat, into a sparse file, and is byte-reproducible: volume IDs
// and the disk signature come from a hash of the contents, every
// timestamp is the library's date, and files go in sorted order.
//
// The package also makes the small demo library a Pi image carries when
// no library is given; package toolchain builds the initramfs. It does not
// compress images or write them to cards.
package images
