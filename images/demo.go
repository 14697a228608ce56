package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"

	"flashkiosk/firmware/library"
)

// DemoDate is the demo library's date, and so every timestamp of an image
// that carries it.
var DemoDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// DemoKeyFile is the demo signing key's file name inside the demo folder.
const DemoKeyFile = "demo.key"

// Demo is a demo library and the key it is signed with.
type Demo struct {
	Library   string // the library folder
	Key       string // the private key file
	PublicKey string // the public key file
	NewKey    bool   // the key was made by this call, not reused
}

// WriteDemo makes the demo library in dir: a few Korean and English text
// and HTML files and a PNG, in two tiers, built into dir/library and
// signed with dir/demo.key. extra are more files, by slash path (the VM
// demo adds a film to tier 2's "extra" folder). The key is made on the
// first call and reused after, so that builds from the same dir give the
// same bytes. Whatever dir/src and dir/library held is replaced.
func WriteDemo(ctx context.Context, dir string, extra map[string][]byte) (*Demo, error) {
	src, lib := filepath.Join(dir, "src"), filepath.Join(dir, "library")
	for _, p := range []string{src, lib} {
		if err := os.RemoveAll(p); err != nil {
			return nil, err
		}
	}
	files, err := demoFiles()
	if err != nil {
		return nil, err
	}
	maps.Copy(files, extra)
	for name, data := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
	}
	d := &Demo{Library: lib, Key: filepath.Join(dir, DemoKeyFile)}
	d.PublicKey = d.Key + library.PublicKeySuffix
	if _, err := os.Stat(d.Key); errors.Is(err, fs.ErrNotExist) {
		if _, err := library.GenerateKey(d.Key); err != nil {
			return nil, err
		}
		d.NewKey = true
	}
	key, err := library.ReadPrivateKey(d.Key)
	if err != nil {
		return nil, err
	}
	if _, err := library.Build(ctx, src, lib, library.BuildOptions{Name: "flashkiosk demo", Date: DemoDate}); err != nil {
		return nil, fmt.Errorf("demo library: %w", err)
	}
	if err := library.Sign(ctx, lib, key); err != nil {
		return nil, fmt.Errorf("demo library: %w", err)
	}
	return d, nil
}

// demoFiles is the demo library's source folder.
func demoFiles() (map[string][]byte, error) {
	var pic bytes.Buffer
	if err := png.Encode(&pic, demoPicture()); err != nil {
		return nil, err
	}
	return map[string][]byte{
		library.TiersFile: []byte("# The demo's tiers: the start page and articles first, the rest if room.\n" +
			"[[tier]]\nname = \"core\"\npaths = [\"index.html\", \"읽어보기.txt\", \"README.txt\", \"위키/**\"]\n\n" +
			"[[tier]]\nname = \"extra\"\npaths = [\"extra\"]\n"),
		"index.html": []byte("<!DOCTYPE html>\n<html lang=\"ko\"><meta charset=\"utf-8\"><title>시작</title>\n" +
			"<h1>환영합니다 / Welcome</h1>\n<ul>\n<li><a href=\"위키/대한민국.html\">대한민국</a></li>\n" +
			"<li><a href=\"위키/세종대왕.html\">세종대왕</a></li>\n<li><a href=\"extra/flag.png\">그림 / picture</a></li>\n</ul>\n</html>\n"),
		"읽어보기.txt": []byte("이것은 flashkiosk 시연용 자료입니다. 실제 자료는 LIBRARY= 로 넣으십시오.\n"),
		"README.txt": []byte("This is flashkiosk's demo library, signed with a DEMO key.\n" +
			"Build a real one with kioskctl library build and sign, then make image LIBRARY=dir KEY=file.\n"),
		"위키/대한민국.html": []byte("<!DOCTYPE html>\n<html lang=\"ko\"><meta charset=\"utf-8\"><title>대한민국</title>\n" +
			"<h1>대한민국</h1>\n<p>대한민국은 동아시아의 한반도 남부에 있는 민주 공화국이다.</p>\n</html>\n"),
		"위키/세종대왕.html": []byte("<!DOCTYPE html>\n<html lang=\"ko\"><meta charset=\"utf-8\"><title>세종대왕</title>\n" +
			"<h1>세종대왕</h1>\n<p>세종은 조선의 제4대 국왕으로, 1443년에 훈민정음을 창제하였다.</p>\n</html>\n"),
		"extra/flag.png":  pic.Bytes(),
		"extra/notes.txt": []byte("Second tier: a drive too small for everything still gets the first.\n"),
	}, nil
}

// demoPicture draws a small picture: a red disc over blue and white bars.
func demoPicture() image.Image {
	const w, h = 96, 64
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 255, 255, 255}
			if y < 10 || y >= h-10 {
				c = color.RGBA{0, 56, 168, 255}
			}
			if dx, dy := x-w/2, y-h/2; dx*dx+dy*dy < 16*16 {
				c = color.RGBA{206, 17, 38, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}
