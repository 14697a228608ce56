// Package flash turns one drive (a block device or an image file) into a
// finished flash drive: it probes the drive's real capacity, writes the
// planned FAT32 volume and the wipe fill in one sequential pass, flushes,
// and verifies everything by reading it back past the page cache.
//
// Every way a job can end is a typed outcome (see errors.go) that the
// kiosk's panel and kioskctl name in one line. The package knows nothing
// about buttons, LEDs or which drives are eligible: callers decide that.
package flash
