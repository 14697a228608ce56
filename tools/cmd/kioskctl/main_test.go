package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// step is one kioskctl command line and what it must do.
type step struct {
	args   string // split on spaces; DIR is replaced by the test's folder
	code   int
	stdout []string // each in stdout
	stderr string   // in stderr; "" for empty stderr
}

// runSteps runs steps in order in one folder, with empty standard input.
func runSteps(t *testing.T, dir string, steps []step) {
	t.Helper()
	runStepsIn(t, dir, "", steps)
}

// runStepsIn runs steps in order in one folder, each reading stdin.
func runStepsIn(t *testing.T, dir, stdin string, steps []step) {
	t.Helper()
	for _, s := range steps {
		args := strings.Fields(strings.ReplaceAll(s.args, "DIR", dir))
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
		if code != s.code {
			t.Errorf("run(%s) = %d; want %d\nstdout: %s\nstderr: %s", s.args, code, s.code, stdout.String(), stderr.String())
			continue
		}
		for _, want := range s.stdout {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("run(%s) stdout = %q; want it to contain %q", s.args, stdout.String(), want)
			}
		}
		if s.stderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), s.stderr) {
			t.Errorf("run(%s) stderr = %q; want %q", s.args, stderr.String(), s.stderr)
		}
		if code == 1 && (strings.Count(stderr.String(), "\n") != 1 || !strings.HasPrefix(stderr.String(), "kioskctl: ")) {
			t.Errorf("run(%s) stderr = %q; want one line starting kioskctl:", s.args, stderr.String())
		}
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUsage(t *testing.T) {
	runSteps(t, t.TempDir(), []step{
		{"", 2, nil, "kioskctl: missing command\nusage: kioskctl COMMAND"},
		{"frobnicate", 2, nil, `kioskctl: unknown command "frobnicate"`},
		{"help", 0, []string{"usage: kioskctl COMMAND", "library"}, ""},
		{"library", 2, nil, "usage: kioskctl library COMMAND"},
		{"library --help", 0, []string{"build", "keygen", "sign", "inspect"}, ""},
		{"library build -h", 0, []string{"usage: kioskctl library build --src DIR --out LIBDIR", "-date"}, ""},
		{"library build --out DIR/lib", 2, nil, "kioskctl: missing --src\nusage: kioskctl library build"},
		{"library build --src DIR --out DIR/lib --date 2026-13-01", 2, nil, `kioskctl: --date: date "2026-13-01" is not a date in the form YYYY-MM-DD`},
		{"library build --src DIR --out DIR/lib --date 1970-01-01", 2, nil, "outside what FAT can store"},
		{"library build --src DIR --out DIR/lib --bogus", 2, nil, "kioskctl: flag provided but not defined: -bogus"},
		{"library build --src DIR --out DIR/lib extra", 2, nil, "kioskctl: want 0 argument(s), got 1"},
		{"library sign DIR", 2, nil, "kioskctl: missing --key"},
		{"library inspect", 2, nil, "kioskctl: want 1 argument(s), got 0"},
		{"library keygen", 2, nil, "kioskctl: missing --out"},
	})
}

func TestLibraryCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	writeFiles(t, dir, map[string]string{
		"src/index.html":  "<h1>위키</h1>",
		"src/위키/대문.html":  "대한민국",
		"src/films/a.mkv": "film",
		"src/.DS_Store":   "junk",
		"src/tiers.toml":  "[[tier]]\nname = \"core\"\npaths = [\"index.html\", \"위키\"]\n",
		"bad/a.txt":       "a",
		"bad/A.TXT":       "b",
		"other/x.txt":     "x",
	})
	runSteps(t, dir, []step{
		{"library build --src DIR/src --out DIR/lib --name 한국어 --date 2026-11-25", 0, []string{
			"built " + filepath.Join(dir, "lib"),
			`name "한국어", dated 2026-11-25`,
			`tier 1 "core": 2 files, 27 bytes; paths index.html, 위키`,
			"tier 2: 1 file, 4 bytes; paths ** (all that no earlier tier lists)",
			"total: 3 files, 31 bytes (31 bytes)",
			"skipped 1 file or folder of operating-system junk: .DS_Store",
		}, ""},
		{"library build --src DIR/src --out DIR/lib", 1, nil, "exists and is not empty"},
		{"library build --src DIR/bad --out DIR/badlib", 1, nil, `kioskctl: ` + filepath.Join(dir, "bad") + `: "A.TXT" and "a.txt" differ only in case`},
		{"library build --src DIR/missing --out DIR/x", 1, nil, "cannot read the source: no such file or directory"},
		{"library keygen --out DIR/key", 0, []string{"wrote private key " + filepath.Join(dir, "key"), "fingerprint "}, ""},
		{"library keygen --out DIR/key", 1, nil, "refusing to overwrite " + filepath.Join(dir, "key")},
		{"library keygen --out DIR/other-key", 0, nil, ""},
		{"library inspect DIR/lib", 0, []string{
			"signature: none: the library is not signed",
			"content: every file matches its SHA-256",
			"    1 GB  everything",
			"  256 GB  everything",
			"and larger get all of tier 1",
			"and larger get everything",
		}, ""},
		{"library inspect --pub DIR/key.pub DIR/lib", 1, []string{"signature: none"}, "kioskctl: " + filepath.Join(dir, "lib") + ": signature none: the library is not signed"},
		{"library sign --key DIR/key.pub DIR/lib", 1, nil, "this is a public key; give the private key file"},
		{"library sign --key DIR/key DIR/lib", 0, []string{"checked every file and signed"}, ""},
		{"library inspect DIR/lib --quick", 0, []string{
			"signature: valid signature by key ",
			"not checked against a trusted key (give --pub to check it)",
			"content: every file has its size (SHA-256 not checked: --quick)",
		}, ""},
		{"library inspect --pub DIR/key.pub DIR/lib", 0, []string{"signature: valid, by trusted key "}, ""},
		{"library inspect --pub DIR/other-key.pub DIR/lib", 1, []string{"which is not trusted"}, "which is not trusted"},
		{"library inspect DIR/src", 1, nil, "is not a library: no manifest.json"},
	})

	// Damage a file: inspect names it, sign refuses.
	content := filepath.Join(dir, "lib", "content", "위키", "대문.html")
	os.Remove(content)
	writeFiles(t, dir, map[string]string{"lib/content/위키/대문.html": "대한밈국"})
	runSteps(t, dir, []step{
		{"library inspect --pub DIR/key.pub DIR/lib", 1, []string{"signature: valid", `content: content corrupt: "위키/대문.html": SHA-256 `}, `content corrupt: "위키/대문.html"`},
		{"library inspect --quick DIR/lib", 0, []string{"every file has its size"}, ""},
		{"library sign --key DIR/key DIR/lib", 1, nil, `kioskctl: refusing to sign ` + filepath.Join(dir, "lib") + `: content corrupt: "위키/대문.html"`},
	})

	// Change the manifest: the signature fails.
	manifest := filepath.Join(dir, "lib", "manifest.json")
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, bytes.Replace(data, []byte("한국어"), []byte("한국인"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	runSteps(t, dir, []step{
		{"library inspect --quick --pub DIR/key.pub DIR/lib", 1, []string{"signature: bad signature"}, "the manifest changed after signing"},
	})
}

func TestDrivesTable(t *testing.T) {
	// A hand-made library of sparse files, checked with --quick, so that
	// nothing hashes gigabytes.
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	files := []struct {
		path string
		size int64
		tier int
	}{{"core/big", 1500e6, 1}, {"films/a.mkv", 3000e6, 2}, {"films/b.mkv", 400e6, 2}}
	var list []string
	for _, f := range files {
		list = append(list, fmt.Sprintf(`{"path": %q, "size": %d, "sha256": %q, "tier": %d}`, f.path, f.size, strings.Repeat("0", 64), f.tier))
		p := filepath.Join(dir, "lib", "content", filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, f.size); err != nil {
			t.Fatal(err)
		}
	}
	data := `{"format": 1, "name": "films", "date": "2026-11-25", "tiers": [{"tier": 1, "paths": ["core"]}, {"tier": 2, "paths": ["films"]}], "files": [` +
		strings.Join(list, ", ") + `], "folders": []}`
	writeFiles(t, dir, map[string]string{"lib/manifest.json": string(data)})
	runSteps(t, dir, []step{
		{"library inspect --quick DIR/lib", 0, []string{
			"    1 GB  too small: tier 1 needs 1.50 GB plus FAT overhead",
			"    2 GB  tier 1; tier 2: 1 of 2 files (400 MB of 3.40 GB)",
			"    4 GB  tier 1; tier 2: 1 of 2 files (400 MB of 3.40 GB)",
			"    8 GB  everything",
			"  256 GB  everything",
			"drives of 1.51 GB (1,505,755,136 bytes)",
			"and larger get all of tier 1",
			"drives of 4.91 GB (4,9",
			"and larger get everything",
		}, ""},
	})
}

func TestSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1, "1 byte"}, {999, "999 bytes"}, {1000, "1.00 kB"}, {12345, "12.3 kB"},
		{999_499, "999 kB"}, {999_500, "1.00 MB"}, {1_500_000_000, "1.50 GB"}, {2 << 40, "2.20 TB"},
	}
	for _, tt := range tests {
		if got := size(tt.n); got != tt.want {
			t.Errorf("size(%d) = %q; want %q", tt.n, got, tt.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := digits(n); got != want {
			t.Errorf("digits(%d) = %q; want %q", n, got, want)
		}
	}
}

// TestInterrupts sends this process two real SIGINTs: the first cancels
// the context, the second exits at once with status 130.
func TestInterrupts(t *testing.T) {
	var stderr syncBuffer
	exited := make(chan int, 1)
	ctx, stop := interrupts(&stderr, func(code int) { exited <- code })
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first SIGINT did not cancel the context within 10 s")
	}
	select {
	case code := <-exited:
		t.Fatalf("the first SIGINT exited with %d; want only the context cancelled", code)
	case <-time.After(100 * time.Millisecond):
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != exitInterrupted {
			t.Errorf("the second SIGINT exited with %d; want %d", code, exitInterrupted)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second SIGINT did not exit within 10 s")
	}
	want := "kioskctl: interrupt: stopping (again to exit at once)\nkioskctl: interrupt again: exiting at once\n"
	if got := stderr.String(); got != want {
		t.Errorf("stderr = %q; want %q", got, want)
	}
}
