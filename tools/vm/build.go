package vm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"flashkiosk/images/toolchain"
)

// kernelModules are the kernels the module pins, by arch.
var kernelModules = map[string]string{
	"arm64": "github.com/gokrazy/kernel.arm64",
	"amd64": "github.com/gokrazy/kernel.amd64",
}

// Kernel returns the kernel image for arch ("arm64" or "amd64") from the
// gokrazy kernel module that go.mod pins, downloading it if needed. It
// runs the go command in the current folder, which must be in the module.
func Kernel(ctx context.Context, arch string) (string, error) {
	mod, ok := kernelModules[arch]
	if !ok {
		return "", fmt.Errorf("vm: no kernel for arch %q", arch)
	}
	dir, err := toolchain.ModuleDir(ctx, mod)
	if err != nil {
		return "", fmt.Errorf("vm: kernel for %s: %w", arch, err)
	}
	k := filepath.Join(dir, "vmlinuz")
	if _, err := os.Stat(k); err != nil {
		return "", fmt.Errorf("vm: kernel for %s: %w", arch, err)
	}
	return k, nil
}
