package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
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
	out, err := goCmd(ctx, nil, "mod", "download", "-json", mod)
	if err != nil {
		return "", fmt.Errorf("vm: kernel for %s (is %s in go.mod?): %w", arch, mod, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("vm: kernel for %s: go mod download said %q (%v)", arch, out, err)
	}
	k := filepath.Join(info.Dir, "vmlinuz")
	if _, err := os.Stat(k); err != nil {
		return "", fmt.Errorf("vm: kernel for %s: %w", arch, err)
	}
	return k, nil
}

// BuildInitramfs writes a u-root initramfs for arch to out. It holds
// u-root's init, which starts uinit (a Go command's import path or a
// path like ./firmware/drive/testdata/x relative to the module root, and
// its arguments), and the other Go commands in extra. Each command is a
// separate binary (u-root's "binary" mode, which Go's build cache makes
// quick to rebuild). The u-root tool comes from go.mod's tool directive;
// the go command runs in the current folder, which must be in the module.
func BuildInitramfs(ctx context.Context, arch, out string, uinit []string, extra ...string) error {
	if len(uinit) == 0 {
		return fmt.Errorf("vm: initramfs needs a uinit command")
	}
	urootBin, err := goCmd(ctx, nil, "tool", "-n", "u-root")
	if err != nil {
		return fmt.Errorf("vm: find the u-root tool (go get -tool github.com/u-root/u-root): %w", err)
	}
	gomod, err := goCmd(ctx, nil, "env", "GOMOD")
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return fmt.Errorf("vm: not inside a Go module (%v)", err)
	}
	tmp, err := os.MkdirTemp("", "u-root")
	if err != nil {
		return fmt.Errorf("vm: %w", err)
	}
	defer os.RemoveAll(tmp)
	uinitCmd := path.Base(uinit[0])
	if len(uinit) > 1 {
		uinitCmd += " " + strings.Join(uinit[1:], " ")
	}
	args := []string{"-build=binary", "-o", out, "-tmp-dir", tmp, "-defaultsh=", "-uinitcmd=" + uinitCmd,
		"github.com/u-root/u-root/cmds/core/init", uinit[0]}
	cmd := exec.CommandContext(ctx, strings.TrimSpace(string(urootBin)), append(args, extra...)...)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = append(os.Environ(), "GOARCH="+arch, "GOOS=linux", "CGO_ENABLED=0")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("vm: u-root: %w\n%s", err, log.String())
	}
	return nil
}

// goCmd runs the go command and returns its standard output.
func goCmd(ctx context.Context, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
