package vm

import (
	"context"
	"encoding/json"
	"fmt"
)

// DiskStats are the I/O counters qemu keeps for a disk: what the guest
// read from and wrote to it.
type DiskStats struct {
	ReadBytes, WriteBytes int64
}

// DiskStats returns the counters of Config.Disks[i], from qemu's
// query-blockstats.
func (vm *VM) DiskStats(ctx context.Context, i int) (DiskStats, error) {
	raw, err := vm.qmp.execute(ctx, "query-blockstats", nil)
	if err != nil {
		return DiskStats{}, err
	}
	var all []struct {
		Device string `json:"device"`
		Stats  struct {
			ReadBytes  int64 `json:"rd_bytes"`
			WriteBytes int64 `json:"wr_bytes"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		return DiskStats{}, fmt.Errorf("vm: query-blockstats: %w", err)
	}
	want := fmt.Sprintf("disk%d", i)
	for _, d := range all {
		if d.Device == want {
			return DiskStats{ReadBytes: d.Stats.ReadBytes, WriteBytes: d.Stats.WriteBytes}, nil
		}
	}
	return DiskStats{}, fmt.Errorf("vm: no disk %d in query-blockstats", i)
}
