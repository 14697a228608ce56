// Package fat lays out, writes and reads FAT32 volumes the way Windows
// formats a USB stick and fills it by copying files.
//
// Plan computes a complete layout (MBR, boot sectors, FATs, directories,
// file placement) for a disk size and a list of files; a Stream emits that
// disk front to back as one sequential byte stream, generating FATs and
// directories as it goes so memory does not grow with the volume size.
// A layout keeps a few bytes per file: names and sizes stay in the
// caller's own form of the list (Files, PlanFiles), which a stream reads
// again as it renders each folder.
// Budget answers "does this still fit" incrementally, with the same
// arithmetic as Plan. The reader opens an existing FAT32 volume without
// mounting it.
//
// The package knows nothing about block devices, hashes or the content
// library: callers supply sizes, names and file contents.
package fat
