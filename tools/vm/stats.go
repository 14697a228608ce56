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
	want := fmt.Sprintf("disk%d", i)
	return vm.blockStats(ctx, "disk "+want, func(device, _ string) bool { return device == want })
}

// StickStats returns the counters of the stick plugged as id, from qemu's
// query-blockstats: what the guest read and wrote since it was plugged.
func (vm *VM) StickStats(ctx context.Context, id string) (DiskStats, error) {
	return vm.blockStats(ctx, "stick "+id, func(_, node string) bool { return node == id+"-file" })
}

// blockStats returns the counters of the block backend that match picks
// by its device name (disks attached at boot) or top node's name (sticks).
func (vm *VM) blockStats(ctx context.Context, what string, match func(device, node string) bool) (DiskStats, error) {
	if vm.qmp == nil {
		return DiskStats{}, errNoQMP
	}
	raw, err := vm.qmp.execute(ctx, "query-blockstats", nil)
	if err != nil {
		return DiskStats{}, err
	}
	var all []struct {
		Device string `json:"device"`
		Node   string `json:"node-name"`
		Stats  struct {
			ReadBytes  int64 `json:"rd_bytes"`
			WriteBytes int64 `json:"wr_bytes"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		return DiskStats{}, fmt.Errorf("vm: query-blockstats: %w", err)
	}
	for _, d := range all {
		if match(d.Device, d.Node) {
			return DiskStats{ReadBytes: d.Stats.ReadBytes, WriteBytes: d.Stats.WriteBytes}, nil
		}
	}
	return DiskStats{}, fmt.Errorf("vm: no %s in query-blockstats", what)
}
