package fakenbd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"flashkiosk/tools/fakedrive"
)

const mib = 1 << 20

// startFake serves a fake stick of real bytes (a sparse file) claiming
// claimed, and returns the server and the backing file's path.
func startFake(t *testing.T, real, claimed int64, mode fakedrive.Mode) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "real.img")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(file, real); err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), filepath.Join(dir, "nbd.sock"), Config{File: file, Claimed: claimed, Mode: mode})
	if err != nil {
		t.Fatalf("Start(%d claimed, %d real) = %v", claimed, real, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return s, file
}

// qemuIO runs qemu-io's commands (such as "write -P 0xa1 1M 4k" or
// "read -P 0xa1 1M 4k", which checks the pattern) on uri in one session.
func qemuIO(t *testing.T, uri string, cmds ...string) {
	t.Helper()
	if _, err := exec.LookPath("qemu-io"); err != nil {
		t.Fatalf("qemu-io not found (Debian package qemu-utils): %v", err)
	}
	args := []string{"-f", "raw"}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, err := exec.Command("qemu-io", append(args, uri)...).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("failed")) || bytes.Contains(out, []byte("error")) {
		t.Errorf("qemu-io %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestQEMUImgInfo(t *testing.T) {
	for _, tc := range []struct {
		real, claimed, want int64
	}{
		{64 * mib, 1 << 30, 1 << 30},
		{64 * mib, 0, 64 * mib}, // genuine
		{64 * mib, 32 * mib, 32 * mib},
	} {
		s, _ := startFake(t, tc.real, tc.claimed, fakedrive.Wrap)
		out, err := exec.Command("qemu-img", "info", "--output=json", s.URI()).Output()
		if err != nil {
			t.Fatalf("qemu-img info %s: %v (Debian package qemu-utils)", s.URI(), err)
		}
		var info struct {
			VirtualSize int64 `json:"virtual-size"`
		}
		if err := json.Unmarshal(out, &info); err != nil {
			t.Fatalf("qemu-img info: %v\n%s", err, out)
		}
		if info.VirtualSize != tc.want {
			t.Errorf("qemu-img info of a stick of %d real bytes claiming %d: virtual size %d; want %d", tc.real, tc.claimed, info.VirtualSize, tc.want)
		}
	}
}

// TestQEMUIO writes and reads through qemu's own NBD client below, across
// and past the real size (64 MiB of a claimed 1 GiB), and checks what
// comes back and what the backing file holds.
func TestQEMUIO(t *testing.T) {
	const real, claimed = 64 * mib, 1 << 30
	writes := []string{
		"write -P 0xa1 1M 4k",
		"write -P 0xb2 66M 4k", // real+2M
		"write -P 0xc3 63M 2M", // across the real size
	}
	for _, tc := range []struct {
		name  string
		mode  fakedrive.Mode
		reads []string
		file  map[int64]byte // backing file offset -> the byte there
	}{
		{"wrap", fakedrive.Wrap, []string{
			"read -P 0xa1 1M 4k",
			"read -P 0xa1 129M 4k", // 2*real+1M
			"read -P 0xb2 2M 4k",
			"read -P 0xb2 66M 4k",
			"read -P 0xb2 962M 4k", // 15*real+2M
			"read -P 0xc3 63M 2M",
			"read -P 0xc3 0 1M",
			"read -P 0xc3 1023M 1M", // the last MiB of the claimed size
			"read -P 0 10M 1M",
		}, map[int64]byte{0: 0xc3, mib - 1: 0xc3, mib: 0xa1, 2 * mib: 0xb2, 10 * mib: 0, 63 * mib: 0xc3, real - 1: 0xc3}},
		{"limbo", fakedrive.Limbo, []string{
			"read -P 0xa1 1M 4k",
			"read -P 0 129M 4k",
			"read -P 0 2M 4k",
			"read -P 0 66M 4k",
			"read -P 0xc3 63M 1M",
			"read -P 0 64M 1M",
			"read -P 0 0 1M",
			"read -P 0 1023M 1M",
		}, map[int64]byte{0: 0, mib: 0xa1, 2 * mib: 0, 63 * mib: 0xc3, real - 1: 0xc3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, file := startFake(t, real, claimed, tc.mode)
			qemuIO(t, s.URI(), writes...)
			qemuIO(t, s.URI(), tc.reads...) // a new connection: nothing cached
			img, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if len(img) != real {
				t.Errorf("backing file grew to %d bytes; want %d", len(img), real)
			}
			for off, want := range tc.file {
				if img[off] != want {
					t.Errorf("backing file at %d = %#x; want %#x", off, img[off], want)
				}
			}
			st := s.Stats()
			if want := int64(4096 + mib); st.PastReal != want {
				t.Errorf("Stats().PastReal = %d; want %d", st.PastReal, want)
			}
			if st.Clients != 2 || st.Dropped != 0 || st.Refused != 0 {
				t.Errorf("Stats() = %+v; want 2 clients, none dropped, no request refused", st)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.img")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{
		{File: filepath.Join(dir, "missing.img"), Claimed: mib},
		{File: empty, Claimed: mib},
	} {
		if e, err := Open(cfg); err == nil {
			e.Close()
			t.Errorf("Open(%+v) = nil error; want one", cfg)
		}
	}
}
