package vm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
)

// Stick is a virtual USB mass-storage device backed by an image file or
// an NBD export.
type Stick struct {
	Image    string // raw image file
	ReadOnly bool   // the guest sees a write-protected drive
	// Port is the xHCI port (or hub port path, such as "1.2" for port 2 of
	// a hub in port 1) to plug into; "" lets qemu choose. qemu-xhci has
	// USB 2 ports 1-4 and USB 3 ports 5-8; usb-storage is a USB 2 device.
	// raspi3b's controller has the one port 1, where qemu puts a hub of
	// its own for the first device that is not a hub: plug a hub there
	// first (PlugHub) to choose the port path.
	Port string
	// Serial is the USB serial number; "" lets qemu make one up.
	Serial string
	// Throttle limits reads and writes together to this many bytes per
	// second, for slow sticks; 0 means no limit.
	Throttle int64
	// FailSectors are 512-byte sectors whose reads and writes fail with an
	// I/O error (qemu's blkdebug), for dying sticks.
	FailSectors []int64
	// NBD, if not "", is the unix socket of an NBD server (such as
	// tools/fakenbd) whose default export backs the stick instead of Image.
	NBD string
}

// blockNode is the blockdev-add definition of the stick's block node
// id+"-file": the image or NBD export, under blkdebug when sectors must
// fail, under a throttle filter when it must be slow (its throttle group
// is made first).
func (vm *VM) blockNode(ctx context.Context, id string, s Stick) (map[string]any, error) {
	file := map[string]any{"driver": "file", "filename": s.Image}
	if s.NBD != "" {
		file = nbdNode(s.NBD)
	}
	if len(s.FailSectors) > 0 {
		var inject []map[string]any
		for _, sector := range s.FailSectors {
			for _, ev := range []string{"read_aio", "write_aio"} {
				inject = append(inject, map[string]any{"event": ev, "errno": 5, "sector": sector, "immediately": true})
			}
		}
		file = map[string]any{"driver": "blkdebug", "inject-error": inject, "image": file}
	}
	node := map[string]any{"driver": "raw", "read-only": s.ReadOnly, "file": file}
	if s.Throttle > 0 {
		group := map[string]any{"qom-type": "throttle-group", "id": id + "-throttle",
			"limits": map[string]any{"bps-total": s.Throttle}}
		if _, err := vm.qmp.execute(ctx, "object-add", group); err != nil {
			return nil, err
		}
		node = map[string]any{"driver": "throttle", "throttle-group": id + "-throttle", "read-only": s.ReadOnly, "file": node}
	}
	node["node-name"] = id + "-file"
	return node, nil
}

// PlugUSB hot-plugs a stick as device id (a name of the caller's choice,
// used again for UnplugUSB): a block node "id-file", then a usb-storage
// device on the xHCI controller (on raspi3b, its USB controller).
func (vm *VM) PlugUSB(ctx context.Context, id string, s Stick) error {
	if vm.qmp == nil {
		return errNoQMP
	}
	node, err := vm.blockNode(ctx, id, s)
	if err != nil {
		return fmt.Errorf("plug %s: %w", id, err)
	}
	if _, err := vm.qmp.execute(ctx, "blockdev-add", node); err != nil {
		vm.dropThrottle(ctx, id, s)
		return fmt.Errorf("plug %s: %w", id, err)
	}
	dev := map[string]any{"driver": "usb-storage", "drive": id + "-file", "id": id, "removable": true}
	if vm.usbBus != "" {
		dev["bus"] = vm.usbBus
	}
	if s.Port != "" {
		dev["port"] = s.Port
	}
	if s.Serial != "" {
		dev["serial"] = s.Serial
	}
	if _, err := vm.qmp.execute(ctx, "device_add", dev); err != nil {
		_, _ = vm.qmp.execute(ctx, "blockdev-del", map[string]any{"node-name": id + "-file"})
		vm.dropThrottle(ctx, id, s)
		return fmt.Errorf("plug %s: %w", id, err)
	}
	vm.mu.Lock()
	if vm.sticks == nil {
		vm.sticks = make(map[string]Stick)
	}
	vm.sticks[id] = s
	vm.mu.Unlock()
	return nil
}

// dropThrottle removes the stick's throttle group, if it has one.
func (vm *VM) dropThrottle(ctx context.Context, id string, s Stick) error {
	if s.Throttle <= 0 {
		return nil
	}
	_, err := vm.qmp.execute(ctx, "object-del", map[string]any{"id": id + "-throttle"})
	return err
}

// PlugHub hot-plugs a USB hub (8 ports) as device id into port ("" lets
// qemu choose); sticks then go into its ports as "PORT.N".
func (vm *VM) PlugHub(ctx context.Context, id, port string) error {
	if vm.qmp == nil {
		return errNoQMP
	}
	dev := map[string]any{"driver": "usb-hub", "id": id}
	if vm.usbBus != "" {
		dev["bus"] = vm.usbBus
	}
	if port != "" {
		dev["port"] = port
	}
	if _, err := vm.qmp.execute(ctx, "device_add", dev); err != nil {
		return fmt.Errorf("plug hub %s: %w", id, err)
	}
	return nil
}

// UnplugUSB pulls the stick id: device_del, then, once qemu reports the
// device gone (the guest has let go), blockdev-del of its block node.
func (vm *VM) UnplugUSB(ctx context.Context, id string) error {
	if vm.qmp == nil {
		return errNoQMP
	}
	if _, err := vm.qmp.execute(ctx, "device_del", map[string]any{"id": id}); err != nil {
		return fmt.Errorf("unplug %s: %w", id, err)
	}
	err := vm.qmp.waitEvent(ctx, "DEVICE_DELETED", func(data json.RawMessage) bool {
		var d struct {
			Device string `json:"device"`
		}
		return json.Unmarshal(data, &d) == nil && d.Device == id
	})
	if err != nil {
		return fmt.Errorf("unplug %s: %w", id, err)
	}
	if _, err := vm.qmp.execute(ctx, "blockdev-del", map[string]any{"node-name": id + "-file"}); err != nil {
		return fmt.Errorf("unplug %s: %w", id, err)
	}
	vm.mu.Lock()
	s := vm.sticks[id]
	delete(vm.sticks, id)
	vm.mu.Unlock()
	if err := vm.dropThrottle(ctx, id, s); err != nil {
		return fmt.Errorf("unplug %s: %w", id, err)
	}
	return nil
}

// SparseImage makes (or truncates) a raw disk image of size bytes, all
// zeros, that takes no room until written.
func SparseImage(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("vm: %w", err)
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("vm: %w", err)
	}
	return nil
}
