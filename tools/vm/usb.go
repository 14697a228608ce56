package vm

import (
	"context"
	"encoding/json"
	"fmt"
)

// Stick is a virtual USB mass-storage device backed by an image file.
type Stick struct {
	Image    string // raw image file
	ReadOnly bool   // the guest sees a write-protected drive
	// Port is the xHCI port (or hub port path, such as "1.2" for port 2 of
	// a hub in port 1) to plug into; "" lets qemu choose. qemu-xhci has
	// USB 2 ports 1-4 and USB 3 ports 5-8; usb-storage is a USB 2 device.
	Port string
	// Serial is the USB serial number; "" lets qemu make one up.
	Serial string
}

// PlugUSB hot-plugs a stick as device id (a name of the caller's choice,
// used again for UnplugUSB): a block node "id-file", then a usb-storage
// device on the xHCI controller.
func (vm *VM) PlugUSB(ctx context.Context, id string, s Stick) error {
	if vm.qmp == nil {
		return errNoQMP
	}
	node := map[string]any{
		"node-name": id + "-file",
		"driver":    "raw",
		"read-only": s.ReadOnly,
		"file":      map[string]any{"driver": "file", "filename": s.Image},
	}
	if _, err := vm.qmp.execute(ctx, "blockdev-add", node); err != nil {
		return fmt.Errorf("plug %s: %w", id, err)
	}
	dev := map[string]any{"driver": "usb-storage", "bus": "xhci.0", "drive": id + "-file", "id": id, "removable": true}
	if s.Port != "" {
		dev["port"] = s.Port
	}
	if s.Serial != "" {
		dev["serial"] = s.Serial
	}
	if _, err := vm.qmp.execute(ctx, "device_add", dev); err != nil {
		_, _ = vm.qmp.execute(ctx, "blockdev-del", map[string]any{"node-name": id + "-file"})
		return fmt.Errorf("plug %s: %w", id, err)
	}
	return nil
}

// PlugHub hot-plugs a USB hub (8 ports) as device id into port ("" lets
// qemu choose); sticks then go into its ports as "PORT.N".
func (vm *VM) PlugHub(ctx context.Context, id, port string) error {
	if vm.qmp == nil {
		return errNoQMP
	}
	dev := map[string]any{"driver": "usb-hub", "bus": "xhci.0", "id": id}
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
	return nil
}
