package flash

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"flashkiosk/firmware/fat"
)

// TestCheckWipe writes real sticks with each fill, then damages copies
// the way an unfinished or skipped wipe leaves a drive: donor data in the
// free space, a run of zeros in random fill, donor bytes after a file's
// end and before the volume. CheckWipe must pass the sticks as written
// and name every damage.
func TestCheckWipe(t *testing.T) {
	lib := testLibrary(t)
	donor := bytes.Repeat([]byte("DONOR-DATA; quarterly report, confidential. "), (2*mib)/44+1)[:2*mib]
	written := map[Wipe]string{}
	for _, wipe := range []Wipe{WipeZero, WipeRandom} {
		img := sparseFile(t, 200*mib)
		if _, err := Write(context.Background(), openDev(t, img), Options{Library: lib, Wipe: wipe}); err != nil {
			t.Fatalf("Write(wipe %d): %v", wipe, err)
		}
		written[wipe] = img
	}
	// Where index.html (1200 bytes) ends, in the zero-filled stick.
	var slackAt int64
	{
		f, err := os.Open(written[WipeZero])
		if err != nil {
			t.Fatal(err)
		}
		v, err := fat.OpenVolume(f, 200*mib)
		if err != nil {
			t.Fatal(err)
		}
		exts, err := v.Extents("index.html")
		if err != nil || len(exts) != 1 {
			t.Fatalf("Extents(index.html) = %v, %v", exts, err)
		}
		slackAt = exts[0].Offset + 1200 + 10
		f.Close()
	}
	for _, tc := range []struct {
		name   string
		stick  Wipe
		check  Wipe
		damage func(f *os.File) error
		want   string // in the first bad run; "" for a drive that passes
	}{
		{"zero fill as written", WipeZero, WipeZero, nil, ""},
		{"random fill as written", WipeRandom, WipeRandom, nil, ""},
		{"random fill checked as zero", WipeRandom, WipeZero, nil, "not zeros"},
		{"zero fill checked as random", WipeZero, WipeRandom, nil, "zeros, not the random fill"},
		{"donor data in zero fill", WipeZero, WipeZero, at(150*mib, donor), "2.1 MB at 157286400 (free clusters "},
		{"donor data in random fill", WipeRandom, WipeRandom, at(150*mib, donor), "not random fill (it looks like data)"},
		{"zeros in random fill", WipeRandom, WipeRandom, at(150*mib, make([]byte, 3*mib)), "3.1 MB at 157286400"},
		{"donor bytes after a file", WipeZero, WipeZero, at(slackAt, []byte("DONOR")), "after the end of index.html): not zeros"},
		{"donor bytes before the volume", WipeZero, WipeZero, at(600<<10, []byte("DONOR")), "(between the partition table and the volume): not zeros"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := written[tc.stick]
			if tc.damage != nil {
				img = copyFile(t, img)
				f, err := os.OpenFile(img, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := tc.damage(f); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			f, err := os.Open(img)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := CheckWipe(context.Background(), f, 200*mib, tc.check)
			if err != nil {
				t.Fatalf("CheckWipe: %v", err)
			}
			if rep.Checked < 100*mib || rep.FreeBytes < 100*mib {
				t.Errorf("CheckWipe read %d bytes, %d of them free space; want over 100 MiB of each", rep.Checked, rep.FreeBytes)
			}
			switch {
			case tc.want == "" && !rep.OK():
				t.Errorf("CheckWipe = %+v; want OK", rep)
			case tc.want != "" && (rep.OK() || !strings.Contains(rep.Bad[0], tc.want)):
				t.Errorf("CheckWipe = %+v; want a bad run %q", rep, tc.want)
			}
		})
	}
}

// at returns a damage that writes b at offset off.
func at(off int64, b []byte) func(*os.File) error {
	return func(f *os.File) error {
		_, err := f.WriteAt(b, off)
		return err
	}
}

// copyFile copies the image file src into the test's folder.
func copyFile(t *testing.T, src string) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dst := src + ".copy"
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	return dst
}
