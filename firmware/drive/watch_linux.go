package drive

import "context"

// Watch sends an Added event for every whole disk with a medium present,
// then Added and Removed events as disks and media come and go, until ctx
// ends; it then returns ctx.Err(). Partitions and empty devices (card
// reader slots, detached loop devices) are not reported. Watch listens
// before it scans, so no drive slips between the scan and the first uevent.
func (h *Host) Watch(ctx context.Context, out chan<- Event) error {
	// A large buffer makes overflows (and so rescans) rare when a hub full
	// of sticks comes up at once.
	c, err := dialUevents(4 << 20)
	if err != nil {
		return err
	}
	defer c.Close()
	return h.watch(ctx, c, out)
}
