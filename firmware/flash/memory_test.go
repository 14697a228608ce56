package flash

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"

	"flashkiosk/firmware/library"
)

// The library TestJobMemory writes: by default enough small files that
// what a job holds per file shows over what it holds at all, few enough to
// build in seconds. With -jobheap it also writes the heap profile it
// measured, to see where the memory goes:
//
//	go test -run TestJobMemory ./firmware/flash -args -jobfiles 100000 -jobheap heap.prof
//	go tool pprof -sample_index=inuse_space -top heap.prof
var (
	jobFiles = flag.Int("jobfiles", 12000, "files in TestJobMemory's library")
	jobHeap  = flag.String("jobheap", "", "write TestJobMemory's heap profile half-way through the write to this `file`")
)

// TestJobMemory writes a library of many small files to an image file and
// measures, half-way through the write, what the job holds beyond the
// opened library: its selection, the planned volume and the stream, and
// what the library remembers as the job reads it. Issue 14's budget is
// about 100 bytes a file for a job and its library together; the job's
// own share measured about 22 (the planned volume's 4-5, the selection's
// bitmap and marks well under 1, the memory of verified files 12, which
// the library keeps for the next job), so the bound is 40. The opened
// library's share is bounded by TestManifestMemory.
func TestJobMemory(t *testing.T) {
	n := *jobFiles
	if *jobHeap != "" {
		runtime.MemProfileRate = 4096
	}
	lib := manyFiles(t, n)
	img := sparseFile(t, max(128*mib, int64(n)*8192))
	var before, during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	measured := false
	_, err := Write(context.Background(), openDev(t, img), Options{Library: lib, Progress: func(p Progress) {
		if p.Phase == Writing && p.Done >= p.Total/2 && !measured {
			measured = true
			runtime.GC()
			runtime.ReadMemStats(&during)
			if *jobHeap != "" {
				if err := writeHeap(*jobHeap); err != nil {
					t.Error(err)
				}
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !measured {
		t.Fatal("no progress reported half-way through the write")
	}
	perFile := (float64(during.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
	t.Logf("a job of %d files holds %.0f bytes a file half-way through its write", n, perFile)
	if perFile > 40 {
		t.Errorf("a job holds %.0f bytes a file of the library; want at most 40", perFile)
	}
	runtime.KeepAlive(lib)
}

// writeHeap writes the heap profile to name.
func writeHeap(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// manyFiles builds a library of n small files, 200 to a folder.
func manyFiles(t testing.TB, n int) *library.Library {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	for i := range n {
		p := filepath.Join(src, fmt.Sprintf("위키/%03d", i/200), fmt.Sprintf("문서 %06d.html", i))
		if i%200 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, noise(i, 300+i%3500), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib, err := library.Build(context.Background(), src, filepath.Join(t.TempDir(), "lib"), library.BuildOptions{Name: "many", Date: libDate})
	if err != nil {
		t.Fatal(err)
	}
	return lib
}
