package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moveAndLink moves the library folder or file at rel elsewhere and puts
// a link to it in its place, so that what the link reaches still matches
// the manifest: only the link is wrong.
func moveAndLink(t *testing.T, l *Library, rel string) string {
	t.Helper()
	p := filepath.Join(l.Dir, filepath.FromSlash(rel))
	away := filepath.Join(t.TempDir(), "away")
	if err := os.Rename(p, away); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(away, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestContentLinksRefused checks that no way into a library's content
// follows a link, wherever on the path it is, though what it points to
// matches the manifest: Build refuses links, and a link could point
// anywhere.
func TestContentLinksRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		link string // the library path made a link
		file string // the file whose reading must fail
	}{
		{"content is a link", ContentDir, "a.txt"},
		{"a folder in content is a link", ContentDir + "/z", "z/last.bin"},
		{"a file is a link", ContentDir + "/위키/문서.html", "위키/문서.html"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := buildLib(t, verifyFiles)
			link := moveAndLink(t, l, tt.link)
			check := func(what string, err error) {
				t.Helper()
				var ce *ContentError
				if !errors.As(err, &ce) || ce.Path != tt.file || !strings.Contains(err.Error(), link+" is a symbolic link") {
					t.Errorf("%s with %s a link = %v; want a *ContentError for %q saying %s is a symbolic link", what, tt.link, err, tt.file, link)
				}
			}
			_, err := l.Open(tt.file)
			check("Open("+tt.file+")", err)
			check("Verify()", l.Verify(context.Background()))
			check("CheckSizes()", l.CheckSizes())
		})
	}
}
