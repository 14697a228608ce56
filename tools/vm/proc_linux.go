package vm

import "syscall"

// killWithParent makes the kernel kill qemu when the process that started
// it dies, so a crashed or killed test leaves no guest running.
func killWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
