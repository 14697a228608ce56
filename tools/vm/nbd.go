package vm

// nbdNode is the blockdev-add definition of the default export of the NBD
// server on a unix socket, read through qemu's own NBD client: the guest
// kernels have none, and the guest sees an ordinary USB stick.
func nbdNode(socket string) map[string]any {
	return map[string]any{"driver": "nbd", "server": map[string]any{"type": "unix", "path": socket}}
}
