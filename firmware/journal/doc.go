// Package journal is the kiosk's crash-safe record of its work: one Record
// per drive and running Counters, kept on a small raw partition of the SD
// card (an image file in tests) that has no file system.
//
// The kiosk can lose power at any instant and has no real-time clock, so
// the journal counts boots itself (every Open starts a new one) and a
// record carries the time since boot, not a date. A power cut loses at most
// the record being written: when Append returns, its record is on the
// medium, and Open recovers everything committed before a cut.
//
// # Format
//
// The partition is read and written in 512-byte sectors, each with its own
// magic, format version and CRC-32C (over bytes 0..507, stored in bytes
// 508..511; magic, version and CRC sit at those places in every version).
// Sectors 0 and 1 are two copies of the header (magic "FKJH": boot number,
// ring size); Open writes the new boot number into copy boot%2, so a torn
// header write leaves the other copy, one boot older, intact. The ring of
// N record sectors follows (N is fixed when the journal is made: the
// partition's size, at most 16384 sectors, 8 MiB). Record number s (magic
// "FKJR", numbered from 0 over the journal's life) lives in ring sector
// s mod N and carries N and the counters as they stood after it, so the
// counters stay right when the ring wraps and drops its oldest record, and
// the ring size can be recovered if both header copies are lost. A torn
// write fails its CRC and counts as not written; the only sector Append
// ever writes is the next one, which holds nothing or the oldest record.
//
// The package does not know what drives, jobs or outcomes are: the kiosk
// passes outcome names as strings, and Counters groups them by name.
package journal
