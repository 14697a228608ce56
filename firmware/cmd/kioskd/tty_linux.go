package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// noEcho stops the terminal behind in, if it is one (the serial console),
// from echoing what it receives: the simulated panel's button lines would
// otherwise come back out among the panel's own.
func noEcho(in io.Reader) error {
	f, ok := in.(*os.File)
	if !ok {
		return nil
	}
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return nil // not a terminal: a pipe in tests, nothing to do
	}
	t.Lflag &^= unix.ECHO | unix.ECHONL
	return unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
}
