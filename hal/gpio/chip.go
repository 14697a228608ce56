package gpio

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Chip is a GPIO chip the kernel offers as a character device.
type Chip struct {
	Path  string // e.g. /dev/gpiochip0
	Name  string // the kernel's name, e.g. "gpiochip0"
	Label string // the driver's label, e.g. "pinctrl-bcm2711"
	Lines int
}

func (c Chip) String() string {
	return fmt.Sprintf("%s (%s, %d lines)", c.Name, c.Label, c.Lines)
}

// HeaderLabel is how the labels of the chips carrying a Pi's header lines
// begin: pinctrl-bcm2835, pinctrl-bcm2711, pinctrl-rp1.
const HeaderLabel = "pinctrl-"

// WaitForChip waits until a GPIO chip whose label begins with prefix is
// in dev (the /dev folder), looking every poll, for at most limit, and
// returns it. The driver behind Open looks for chips once, when the first
// line is opened, so a kiosk must not open one before the chip is there.
func WaitForChip(ctx context.Context, dev, prefix string, limit, poll time.Duration) (Chip, error) {
	return waitFor(ctx, func() ([]Chip, error) { return Chips(dev) }, prefix, limit, poll)
}

// waitFor is WaitForChip over a list of chips.
func waitFor(ctx context.Context, list func() ([]Chip, error), prefix string, limit, poll time.Duration) (Chip, error) {
	deadline := time.Now().Add(limit)
	for {
		chips, err := list()
		for _, c := range chips {
			if strings.HasPrefix(c.Label, prefix) {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				var seen []string
				for _, c := range chips {
					seen = append(seen, c.String())
				}
				err = fmt.Errorf("only %d other chips: %s", len(chips), strings.Join(seen, ", "))
				if len(chips) == 0 {
					err = fmt.Errorf("no GPIO chips")
				}
			}
			return Chip{}, fmt.Errorf("gpio: no chip labelled %s* after %v: %w", prefix, limit, err)
		}
		select {
		case <-ctx.Done():
			return Chip{}, fmt.Errorf("gpio: waiting for a chip labelled %s*: %w", prefix, ctx.Err())
		case <-time.After(poll):
		}
	}
}
