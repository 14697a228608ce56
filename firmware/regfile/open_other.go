//go:build !linux

package regfile

import "os"

// open checks with Lstat before opening where the system has no
// O_NOFOLLOW and O_NONBLOCK to hand: a FIFO is refused before it is opened.
func open(name string, links Links) (*os.File, error) {
	if err := Check(name, links); err != nil {
		return nil, err
	}
	if _, err := os.Stat(name); err != nil {
		return nil, err
	}
	return os.Open(name)
}
