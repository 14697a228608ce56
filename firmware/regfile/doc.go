// Package regfile opens and reads files that come from outside the
// program (a library's manifest and signature, kiosk.toml, a journal, a
// key, an image named on the command line) with the two guards every such
// read needs: the file must be a regular file, so that a FIFO does not
// hang the open and a device such as /dev/zero is refused by name, and a
// whole-file read is capped, so that a huge or lying file gives an error
// instead of exhausting memory. It does not parse anything.
package regfile
