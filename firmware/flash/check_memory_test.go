package flash

import (
	"context"
	"flag"
	"io"
	"runtime"
	"testing"
)

// The larger library TestCheckMemory checks, a quarter of it the smaller.
// With -checkheap it also writes the heap profile of the larger library's
// sample where Check held the most, to see where the memory goes:
//
//	go test -run TestCheckMemory ./firmware/flash -args -checkfiles 100000 -checkheap heap.prof
//	go tool pprof -sample_index=inuse_space -top heap.prof
var (
	checkFiles = flag.Int("checkfiles", 12000, "files in TestCheckMemory's larger library")
	checkHeap  = flag.String("checkheap", "", "write TestCheckMemory's heap profile where Check held the most to this `file`")
)

// heapSampler is a device that, every few reads, measures what the heap
// holds after a collection, keeping the most: what a check holds at its
// fullest, whatever it reads at the time.
type heapSampler struct {
	r     io.ReaderAt
	every int // reads between samples
	reads int
	most  uint64 // live heap bytes at the fullest sample
	prof  string // if set, where to write the heap profile of the fullest sample
	err   error  // of writing it
}

func (s *heapSampler) ReadAt(p []byte, off int64) (int, error) {
	if s.reads++; s.reads%s.every == 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > s.most {
			s.most = ms.HeapAlloc
			if s.prof != "" {
				s.err = writeHeap(s.prof)
			}
		}
	}
	return s.r.ReadAt(p, off)
}

// TestCheckMemory checks drives holding libraries of many small files,
// as kioskctl check --wipe zero does, and measures what Check and
// CheckWipe hold at their fullest beyond the opened library, at two sizes
// of library: the growth from one to the other is what a file more costs,
// apart from buffers and caches of a fixed size. Issue 14's budget is
// about 100 bytes a file for a command and its library together, most of
// it the library's (TestManifestMemory). A check walks the volume folder
// by folder and keeps a few bits a file, cluster and entry, the library's
// index of paths (4 bytes a file, made for its lookups) and up to 256 KiB
// of FAT: on a volume of 4 KiB clusters, as on sticks of 256 MiB to
// 8 GiB, each grew about 10 bytes a file (about 300 when they walked
// through fs.WalkDir and the cache of folders), so the bound is 16.
func TestCheckMemory(t *testing.T) {
	sizes := [2]int{*checkFiles / 4, *checkFiles}
	if *checkHeap != "" {
		runtime.MemProfileRate = 4096
	}
	var held [2]map[string]uint64
	for i, n := range sizes {
		held[i] = checkHeld(t, n, i == 1)
	}
	for _, what := range []string{"Check", "CheckWipe"} {
		perFile := (float64(held[1][what]) - float64(held[0][what])) / float64(sizes[1]-sizes[0])
		t.Logf("%s holds %d bytes at its fullest with %d files, %d with %d: %.1f bytes a file more",
			what, held[0][what], sizes[0], held[1][what], sizes[1], perFile)
		if perFile > 16 {
			t.Errorf("%s holds %.1f bytes more for each file of the library; want at most 16", what, perFile)
		}
	}
}

// checkHeld writes a library of n small files to an image file, checks
// it with Check and CheckWipe and returns the most each held at once
// beyond the library, by name. With prof it writes the heap profile of
// Check's fullest sample to -checkheap.
func checkHeld(t *testing.T, n int, prof bool) map[string]uint64 {
	lib := manyFiles(t, n)
	img := sparseFile(t, max(512*mib, int64(n)*8192))
	if _, err := Write(context.Background(), openDev(t, img), Options{Library: lib}); err != nil {
		t.Fatal(err)
	}
	dev, r := checkReader(t, img)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	held := map[string]uint64{}
	for _, c := range []struct {
		what  string
		check func(r io.ReaderAt) error
	}{
		{"Check", func(r io.ReaderAt) error {
			rep, err := Check(context.Background(), r, dev.Size(), lib)
			if err == nil && (!rep.OK() || rep.Good != n) {
				t.Errorf("Check = %+v; want %d files good", rep, n)
			}
			return err
		}},
		{"CheckWipe", func(r io.ReaderAt) error {
			rep, err := CheckWipe(context.Background(), r, dev.Size(), WipeZero)
			if err == nil && !rep.OK() {
				t.Errorf("CheckWipe = %+v; want the zero fill", rep)
			}
			return err
		}},
	} {
		// A check reads each file, a wipe check each file's slack: a
		// sample every n/16 reads takes 16 or more.
		s := &heapSampler{r: r, every: max(n/16, 1)}
		if prof && c.what == "Check" {
			s.prof = *checkHeap
		}
		if err := c.check(s); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if s.err != nil {
			t.Error(s.err)
		}
		if s.reads < n {
			t.Fatalf("%s read %d times for %d files; want a read a file at least", c.what, s.reads, n)
		}
		held[c.what] = s.most - min(s.most, before.HeapAlloc)
	}
	runtime.KeepAlive(lib)
	return held
}
