package vm

import (
	"context"
	"encoding/json"
	"fmt"
	"math/bits"
	"os"
)

// sdDrive is the id of a raspi3b's SD card drive.
const sdDrive = "sd0"

// InsertSD puts a card holding the image d into the SD slot of a raspi3b
// started with EmptySD (qemu's blockdev-change-medium). The Pi 3's device
// tree gives its SD controller no card-detect, so the kernel polls the
// slot, once a second, and finds the card on its next poll. The image's
// size must be a power of two, as at boot.
func (vm *VM) InsertSD(ctx context.Context, d Disk) error {
	if vm.qmp == nil {
		return errNoQMP
	}
	st, err := os.Stat(d.Path)
	if err != nil {
		return fmt.Errorf("vm: insert SD card: %w", err)
	}
	if n := st.Size(); n <= 0 || bits.OnesCount64(uint64(n)) != 1 {
		return fmt.Errorf("vm: insert SD card %s: its size %d is not a power of two, as qemu needs", d.Path, n)
	}
	// The card device is the machine's own, without a qdev id: find its
	// QOM path through the drive.
	raw, err := vm.qmp.execute(ctx, "query-block", nil)
	if err != nil {
		return fmt.Errorf("vm: insert SD card: %w", err)
	}
	var blocks []struct {
		Device string `json:"device"`
		QDev   string `json:"qdev"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return fmt.Errorf("vm: insert SD card: query-block: %w", err)
	}
	qdev := ""
	for _, b := range blocks {
		if b.Device == sdDrive {
			qdev = b.QDev
		}
	}
	if qdev == "" {
		return fmt.Errorf("vm: insert SD card: no drive %s (is this a raspi3b?)", sdDrive)
	}
	mode := "read-write"
	if d.ReadOnly {
		mode = "read-only"
	}
	args := map[string]any{"id": qdev, "filename": d.Path, "format": "raw", "read-only-mode": mode}
	if _, err := vm.qmp.execute(ctx, "blockdev-change-medium", args); err != nil {
		return fmt.Errorf("vm: insert SD card %s: %w", d.Path, err)
	}
	return nil
}
