// Package vm boots a Linux kernel and initramfs in qemu for tests (on the
// arm64 virt or amd64 q35 machine, or a Raspberry Pi 3 B with its own
// kernel and device tree), reads its serial console line by line, and
// hot-plugs virtual USB sticks over QMP, qemu's control protocol (and, on
// the Pi, an SD card inserted after boot). For the Pi it also does what
// qemu leaves out, the GPU firmware's part of the boot (PiFirmware).
//
// A VM is always killed by Close (use t.Cleanup), when the context given
// to Start ends, and when the test process dies, so no stray guest eats a
// core. The package finds the kernels the module pins (Kernel); initramfs
// images come from images/toolchain. It knows nothing of the kiosk: what
// runs in the guest is the caller's.
//
// qemu runs with -accel tcg: KVM is not available on the project's
// machines.
package vm
