package watchdog

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Watchdog is an armed hardware watchdog. From Open on, the machine resets
// unless Feed is called within every Timeout.
type Watchdog struct {
	f       *os.File
	timeout time.Duration
}

// Open arms the watchdog at path (usually /dev/watchdog) and asks for
// timeout, rounded up to whole seconds; the driver may choose another one
// (bcm2835_wdt allows at most 15 s), which Timeout reports.
func Open(path string, timeout time.Duration) (*Watchdog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	w := &Watchdog{f: f}
	fd := int(f.Fd())
	if _, err := unix.IoctlGetWatchdogInfo(fd); err != nil {
		f.Close()
		return nil, fmt.Errorf("watchdog: %s is not a watchdog: %w", path, err)
	}
	secs := int((timeout + time.Second - 1) / time.Second)
	if err := unix.IoctlSetPointerInt(fd, unix.WDIOC_SETTIMEOUT, secs); err != nil {
		w.disarm()
		return nil, fmt.Errorf("watchdog: %s: set timeout %ds: %w", path, secs, err)
	}
	got, err := unix.IoctlGetInt(fd, unix.WDIOC_GETTIMEOUT)
	if err != nil {
		w.disarm()
		return nil, fmt.Errorf("watchdog: %s: read timeout: %w", path, err)
	}
	w.timeout = time.Duration(got) * time.Second
	return w, w.Feed()
}

// Timeout is how long the machine runs without a Feed.
func (w *Watchdog) Timeout() time.Duration { return w.timeout }

// Feed restarts the watchdog's countdown.
func (w *Watchdog) Feed() error {
	if err := unix.IoctlWatchdogKeepalive(int(w.f.Fd())); err != nil {
		return fmt.Errorf("watchdog: feed: %w", err)
	}
	return nil
}

// Close disarms the watchdog (the "magic close") and closes it. A kiosk
// never calls it: if kioskd ends, the machine must reset.
func (w *Watchdog) Close() error {
	return w.disarm()
}

func (w *Watchdog) disarm() error {
	_, werr := w.f.Write([]byte("V"))
	cerr := w.f.Close()
	if werr != nil {
		return fmt.Errorf("watchdog: disarm: %w", werr)
	}
	return cerr
}
