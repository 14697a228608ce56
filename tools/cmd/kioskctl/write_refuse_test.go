package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteRefusesBadInput runs write with the mistakes of issue 11: each
// is refused before the target is touched, or said on the done line.
func TestWriteRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	writeFiles(t, dir, map[string]string{
		"src/index.html": "<h1>위키</h1>",
		"src/a.bin":      strings.Repeat("a", 5000),
		"empty.img":      "",
		"tiny.img":       strings.Repeat("t", 8191),
	})
	stick := filepath.Join(dir, "stick.img")
	donor := bytes.Repeat([]byte("DONOR-DATA;"), (64<<20)/11+1)[:64<<20]
	if err := os.WriteFile(stick, donor, 0o644); err != nil {
		t.Fatal(err)
	}
	runSteps(t, dir, []step{
		{"library build --src DIR/src --out DIR/lib --date 2026-11-25", 0, nil, ""},
		{"write --library DIR/lib --label BAD/LABEL DIR/stick.img", 2, nil, "--label "},
		{"write --library DIR/lib --json --label BAD/LABEL DIR/stick.img", 2, []string{`"outcome": "bad-usage"`}, "--label "},
		{"write --library DIR/lib --label FLASHKIOSK DIR/stick.img", 2, nil, `--label "FLASHKIOSK" names the project`},
	})
	if got, _ := os.ReadFile(stick); !bytes.Equal(got, donor) {
		t.Fatal("a write refused for its --label changed the target")
	}
	runSteps(t, dir, []step{
		{"write --library DIR/lib DIR/lib/manifest.json", 1, nil, "is the file manifest.json of library"},
		{"write --library DIR/lib DIR/lib/content/a.bin", 1, nil, "is the file content/a.bin of library"},
		{"write --library DIR/lib DIR/src/a.bin", 1, nil, "is a hard link to its file a.bin"},
		{"write --library DIR/lib --json DIR/missing.img", 1, []string{`"outcome": "refused"`, `"error"`}, "missing.img"},
		{"write --library DIR/lib DIR/missing.img", 1, nil, "kioskctl: stat " + filepath.Join(dir, "missing.img") + ": no such file or directory\n"},
		{"check --library DIR/lib DIR/missing.img", 1, nil, "kioskctl: open " + filepath.Join(dir, "missing.img") + ": no such file or directory\n"},
		{"write --library DIR/lib DIR/empty.img", 1, nil, "kioskctl: " + filepath.Join(dir, "empty.img") + ": too-small: drive too small: tier 1 needs 5015 bytes plus FAT overhead; the drive has 0 bytes free"},
		{"write --library DIR/lib --json DIR/tiny.img", 1, []string{`"outcome": "too-small"`}, "too-small"},
		{"write --library DIR/nolib --json DIR/stick.img", 1, []string{`"outcome": "failed"`, `"error": "`}, "is not a library"},
		{"write --library DIR/lib DIR/stick.img", 0, []string{"WARNING: the library is unsigned: written anyway because no --pub was given"}, ""},
		{"library keygen --out DIR/key", 0, nil, ""},
		{"library sign --key DIR/key DIR/lib", 0, nil, ""},
		{"write --library DIR/lib DIR/stick.img", 0, []string{"the library is signed by key ", "which was not checked"}, ""},
		{"write --library DIR/lib --pub DIR/key.pub DIR/stick.img", 0, []string{"done: "}, ""},
	})
	sig := filepath.Join(dir, "lib", "manifest.sig")
	data, _ := os.ReadFile(sig)
	i := bytes.Index(data, []byte(`"signature": "`)) + len(`"signature": "`)
	data[i] ^= 'A' ^ 'B'
	if data[i] == '"' {
		data[i] = 'C'
	}
	os.WriteFile(sig, data, 0o644)
	runSteps(t, dir, []step{
		{"write --library DIR/lib DIR/stick.img", 0, []string{"WARNING: the library is signed, but the signature does not verify"}, ""},
	})
	if got, _ := os.ReadFile(stick); bytes.Contains(got, []byte("DONOR-DATA;")) {
		t.Error("the donor's data survived a write")
	}
	mcopy := exec.Command("mcopy", "-i", stick+"@@1M", filepath.Join(dir, "lib", "manifest.json"), "::/manifest.json")
	mcopy.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := mcopy.CombinedOutput(); err != nil {
		t.Fatalf("mcopy: %v\n%s", err, out)
	}
	runSteps(t, dir, []step{
		{"write --library DIR/lib DIR/stick.img", 1, nil, "holds a content library (in partition 1): refused (give --force to overwrite it)"},
		{"write --library DIR/lib --force DIR/stick.img", 0, []string{"done: "}, ""},
		{"check --library DIR/lib DIR/stick.img", 0, []string{"free space: not checked (give --wipe zero or --wipe random to check that it holds only the fill)"}, ""},
		{"check --library DIR/lib --wipe zero DIR/stick.img", 0, []string{"of it free space, the rest gaps and file ends): all of it holds the zero fill", "OK: "}, ""},
		{"check --library DIR/lib --wipe random DIR/stick.img", 1, []string{": the random fill is not in "}, "but the random fill is not in "},
		{"check --library DIR/lib --json --wipe zero DIR/stick.img", 0, []string{`"ok": true`, `"fill": "zero"`}, ""},
		{"check --library DIR/lib --wipe ones DIR/stick.img", 2, nil, `--wipe "ones": want zero or random`},
	})
}
