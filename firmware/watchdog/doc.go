// Package watchdog arms and feeds the hardware watchdog of a Linux machine
// (/dev/watchdog: bcm2835_wdt on a Raspberry Pi, i6300esb in qemu), so that
// a kiosk whose main loop hangs is reset instead of standing dead in front
// of a volunteer. Keep feeds it only while the caller says it is healthy.
//
// It uses the watchdog ioctls directly: u-root's pkg/watchdog passes the
// timeout in nanoseconds where the kernel wants seconds.
package watchdog
