package source

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/library"
)

// signed builds a one-file library dated date in a new folder, signs it
// with a new key and returns the library and the key's public half.
func signed(t *testing.T, date string) (*library.Library, ed25519.PublicKey) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "대문.html"), []byte("<h1>대문</h1>"), 0o644); err != nil {
		t.Fatal(err)
	}
	day, err := library.ParseDate(date)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "lib")
	if _, err := library.Build(context.Background(), src, out, library.BuildOptions{Name: "lib " + date, Date: day}); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "k.key")
	pub, err := library.GenerateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := library.ReadPrivateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := library.Sign(context.Background(), out, priv); err != nil {
		t.Fatal(err)
	}
	lib, err := library.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	return lib, pub
}

func TestVerifier(t *testing.T) {
	lib, key := signed(t, "2026-11-01")
	_, other := signed(t, "2026-11-01")
	manifest, err := os.ReadFile(filepath.Join(lib.Dir, library.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(filepath.Join(lib.Dir, library.SignatureFile))
	if err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(manifest), "lib 2026", "LIB 2026", 1))
	for _, tc := range []struct {
		name     string
		keys     []ed25519.PublicKey
		manifest []byte
		sig      []byte
		want     drive.Trust
	}{
		{"the trusted key", []ed25519.PublicKey{key}, manifest, sig, drive.Trusted},
		{"one of the trusted keys", []ed25519.PublicKey{other, key}, manifest, sig, drive.Trusted},
		{"another key", []ed25519.PublicKey{other}, manifest, sig, drive.Untrusted},
		{"no key to check against", nil, manifest, sig, drive.Untrusted},
		{"manifest changed after signing", []ed25519.PublicKey{key}, tampered, sig, drive.BadSignature},
		{"manifest changed, no key", nil, tampered, sig, drive.BadSignature},
		{"not a signature", []ed25519.PublicKey{key}, manifest, []byte("{}"), drive.BadSignature},
	} {
		got, err := Verifier(tc.keys...).VerifyManifest(tc.manifest, tc.sig)
		if got != tc.want || (err == nil) != (tc.want == drive.Trusted) {
			t.Errorf("%s: VerifyManifest() = %v, %v; want %v, an error unless trusted", tc.name, got, err, tc.want)
		}
	}
}

func TestPick(t *testing.T) {
	usable := func(date string) *Library {
		return &Library{Library: &library.Library{}, Name: "lib " + date, Date: date, Trust: drive.Trusted}
	}
	master := func(date, port string) *Library {
		l := usable(date)
		l.Drive = drive.Drive{Name: "sd" + port, Port: port}
		return l
	}
	card := usable("2026-11-01")
	older, newer, newer2 := master("2026-10-01", "1"), master("2026-12-01", "2"), master("2026-12-01", "3")
	same := master("2026-11-01", "4")
	untrusted := &Library{Date: "2027-01-01", Trust: drive.Untrusted, Drive: drive.Drive{Name: "sde", Port: "5"}}
	for _, tc := range []struct {
		name    string
		choice  Choice
		card    *Library
		masters []*Library
		want    *Library
	}{
		{"newest: the card alone", Newest, card, nil, card},
		{"newest: an older master is ignored", Newest, card, []*Library{older}, card},
		{"newest: a newer master", Newest, card, []*Library{older, newer}, newer},
		{"newest: a tie goes to the card", Newest, card, []*Library{same}, card},
		{"newest: a tie of masters goes to the first port", Newest, card, []*Library{newer, newer2}, newer},
		{"newest: an unusable master never counts", Newest, card, []*Library{untrusted}, card},
		{"unset means newest", "", card, []*Library{newer}, newer},
		{"card: even beside a newer master", Card, card, []*Library{newer}, card},
		{"master: even an older one", Master, card, []*Library{older}, older},
		{"master: the newest master", Master, card, []*Library{older, newer}, newer},
		{"master: none", Master, card, nil, nil},
		{"master: none usable", Master, card, []*Library{untrusted}, nil},
		{"no card library", Newest, nil, []*Library{older}, older},
	} {
		if got := Pick(tc.choice, tc.card, tc.masters); got != tc.want {
			t.Errorf("%s: Pick() = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// TestOpenMasterNotTrusted: a master drive whose library is not trusted
// is described, never mounted.
func TestOpenMasterNotTrusted(t *testing.T) {
	d := drive.Drive{Name: "sdz", Port: "2", USB: true}
	for _, trust := range []drive.Trust{drive.Untrusted, drive.BadSignature} {
		f := drive.Facts{Library: trust, NotMaster: "signed by key 0123456789abcdef", Volume: drive.Volume{Partition: 1, Offset: 1 << 20, Type: "vfat"}}
		dir := filepath.Join(t.TempDir(), "master")
		l := OpenMaster(context.Background(), &drive.Host{Root: t.TempDir()}, d, f, nil, dir)
		if l.Usable() || l.Trust != trust || l.Problem != f.NotMaster || !l.OnMaster() {
			t.Errorf("OpenMaster(%v) = %+v; want an unusable library of that trust on the master, saying why", trust, l)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("OpenMaster(%v) made the mount folder %s; want nothing mounted", trust, dir)
		}
	}
}

func TestString(t *testing.T) {
	lib, key := signed(t, "2026-11-01")
	card := FromCard(lib, key)
	if got, want := card.String(), `library "lib 2026-11-01" of 2026-11-01 on the card, signed by `+library.Fingerprint(key); got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	m := &Library{Name: "x", Date: "2026-12-01", Drive: drive.Drive{Name: "sdb", Port: "3", Appeared: time.Now()}}
	if got, want := m.String(), `library "x" of 2026-12-01 on master drive sdb in port 3`; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}
