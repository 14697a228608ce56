package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTree creates files under dir: a name ending in "/" is an empty
// folder, anything else a file with the given content.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var testDate = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// buildLib builds a library from files into a fresh folder and returns it.
func buildLib(t *testing.T, files map[string]string) *Library {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	writeTree(t, src, files)
	out := filepath.Join(t.TempDir(), "lib")
	l, err := Build(context.Background(), src, out, BuildOptions{Name: "test", Date: testDate})
	if err != nil {
		t.Fatalf("Build(%v) = %v; want no error", files, err)
	}
	return l
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
