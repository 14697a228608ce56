// Package toolchain runs the go command for image assembly: it builds
// u-root initramfs images and finds the folders of the code-less modules
// (kernels, Pi firmware) that go.mod pins. It imports nothing of the
// project, so that test helpers anywhere can use it.
package toolchain

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

// Initramfs says what goes into a u-root initramfs.
type Initramfs struct {
	Arch string // GOARCH: "arm64" or "amd64"
	// Uinit is the command u-root's init starts: a Go command's import
	// path, or a path like ./firmware/cmd/kioskd relative to the module
	// root, then its arguments.
	Uinit []string
	// Commands are more Go commands to include.
	Commands []string
}

// BuildInitramfs writes a u-root initramfs to out: u-root's init, which
// starts spec.Uinit, and the other commands of spec. Each command is
// a separate binary (u-root's "binary" mode, which Go's build cache
// makes quick to rebuild). The same inputs give the same bytes. The
// u-root tool comes from go.mod's tool directive; the go command runs in
// the current folder, which must be in the module.
func BuildInitramfs(ctx context.Context, out string, spec Initramfs) error {
	if len(spec.Uinit) == 0 {
		return fmt.Errorf("initramfs needs a uinit command")
	}
	urootBin, err := goCmd(ctx, "tool", "-n", "u-root")
	if err != nil {
		return fmt.Errorf("find the u-root tool (go get -tool github.com/u-root/u-root): %w", err)
	}
	root, err := ModuleRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "u-root")
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	defer os.RemoveAll(tmp)
	uinitCmd := path.Base(spec.Uinit[0])
	if len(spec.Uinit) > 1 {
		uinitCmd += " " + strings.Join(spec.Uinit[1:], " ")
	}
	args := []string{"-build=binary", "-o", out, "-tmp-dir", tmp, "-uinitcmd=" + uinitCmd}
	pkgs := []string{"github.com/u-root/u-root/cmds/core/init", spec.Uinit[0]}
	// No shell: nobody at the kiosk's keyboard or serial port may get one.
	// Should uinit ever end, init ends and the kernel reboots (panic=).
	args = append(args, "-defaultsh=")
	cmd := exec.CommandContext(ctx, strings.TrimSpace(string(urootBin)), append(append(args, pkgs...), spec.Commands...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOARCH="+spec.Arch, "GOOS=linux", "CGO_ENABLED=0")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("u-root: %w\n%s", err, log.String())
	}
	return nil
}

// ModuleRoot is the root folder of the Go module the current folder is in.
func ModuleRoot(ctx context.Context) (string, error) {
	gomod, err := goCmd(ctx, "env", "GOMOD")
	p := strings.TrimSpace(string(gomod))
	if err != nil || p == "" || p == os.DevNull {
		return "", fmt.Errorf("not inside a Go module (%v)", err)
	}
	return filepath.Dir(p), nil
}

// ModuleDir is the folder of the module mod, at the version go.mod pins,
// downloading it if needed: how the code-less kernel and firmware modules
// are found.
func ModuleDir(ctx context.Context, mod string) (string, error) {
	out, err := goCmd(ctx, "mod", "download", "-json", mod)
	if err != nil {
		return "", fmt.Errorf("module %s (is it in go.mod?): %w", mod, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("module %s: go mod download said %q (%v)", mod, out, err)
	}
	return info.Dir, nil
}

// goCmd runs the go command and returns its standard output.
func goCmd(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
