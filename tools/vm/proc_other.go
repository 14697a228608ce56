//go:build !linux

package vm

import "syscall"

// killWithParent has no equivalent here: Close and the context kill qemu.
func killWithParent() *syscall.SysProcAttr { return nil }
