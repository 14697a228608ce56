package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"flashkiosk/firmware/library"
)

func libraryCommands() []command {
	return []command{
		{name: "build", args: "--src DIR --out LIBDIR [--name NAME] [--date YYYY-MM-DD]",
			summary: "make a library from a folder of files (LIBDIR may be a mounted drive's root: a master drive)", run: libraryBuild},
		{name: "keygen", args: "--out KEYFILE",
			summary: "make a signing key: KEYFILE (secret) and KEYFILE.pub", run: libraryKeygen},
		{name: "sign", args: "--key KEYFILE LIBDIR",
			summary: "check a library's files, then sign its manifest", run: librarySign},
		{name: "inspect", args: "[--pub KEYFILE.pub] [--quick] [--card CARDLIB] [--choose newest|card|master] LIBDIR",
			summary: "show a library, check it, what fits on which drive, and (on a master drive) whether a kiosk writes it", run: libraryInspect},
	}
}

func libraryBuild(ctx context.Context, in *invocation, args []string) error {
	src := in.flags.String("src", "", "the folder of files to build from; its tiers.toml, if any, sorts them into tiers")
	out := in.flags.String("out", "", "the library folder to make; must not exist or be empty, or be the root of a mounted drive holding nothing but operating-system files (it becomes a master drive)")
	name := in.flags.String("name", "", "the library's name (default: the source folder's name)")
	date := in.flags.String("date", "", "the library's date, YYYY-MM-DD: every timestamp on the drives (default: today)")
	if _, err := in.parse(args, 0, "src", "out"); err != nil {
		return err
	}
	day := time.Now()
	if *date != "" {
		var err error
		if day, err = library.ParseDate(*date); err != nil {
			return &usageError{msg: "--date: " + err.Error(), usage: in.usage()}
		}
	}
	var skipped []string
	opts := library.BuildOptions{Name: *name, Date: day, Skipped: func(p string) { skipped = append(skipped, p) }}
	build := library.Build
	if root, err := volumeRoot(*out); err == nil && root {
		build = buildAtRoot
	}
	l, err := build(ctx, *src, *out, opts)
	if err != nil {
		return err
	}
	w := in.stdout
	fmt.Fprintf(w, "built %s\n", l.Dir)
	printContents(w, l.Manifest)
	if len(skipped) > 0 {
		shown := skipped[:min(len(skipped), 5)]
		more := ""
		if len(skipped) > len(shown) {
			more = ", …"
		}
		fmt.Fprintf(w, "skipped %s of operating-system junk: %s%s\n", plural(len(skipped), "file or folder", "files and folders"), strings.Join(shown, ", "), more)
	}
	return nil
}

func libraryKeygen(ctx context.Context, in *invocation, args []string) error {
	out := in.flags.String("out", "", "the private key file to make; the public key goes to the same name plus .pub")
	if _, err := in.parse(args, 0, "out"); err != nil {
		return err
	}
	pub, err := library.GenerateKey(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(in.stdout, "wrote private key %s (keep it secret and off the kiosk)\nwrote public key %s%s (the kiosk trusts this one)\nfingerprint %s\n",
		*out, *out, library.PublicKeySuffix, library.Fingerprint(pub))
	return nil
}

func librarySign(ctx context.Context, in *invocation, args []string) error {
	keyFile := in.flags.String("key", "", "the private key file made by keygen")
	pos, err := in.parse(args, 1, "key")
	if err != nil {
		return err
	}
	key, err := library.ReadPrivateKey(*keyFile)
	if err != nil {
		return err
	}
	if err := library.Sign(ctx, pos[0], key); err != nil {
		return err
	}
	fmt.Fprintf(in.stdout, "checked every file and signed %s with key %s\n", pos[0], library.Fingerprint(key.Public().(ed25519.PublicKey)))
	return nil
}

func libraryInspect(ctx context.Context, in *invocation, args []string) error {
	pub := in.flags.String("pub", "", "a trusted public key file (KEYFILE.pub) to check the signature against")
	quick := in.flags.Bool("quick", false, "check only that the files exist with their sizes, not their SHA-256")
	kf := addKioskFlags(in)
	pos, err := in.parse(args, 1)
	if err != nil {
		return err
	}
	card, choice, err := kf.kiosk(in)
	if err != nil {
		return err
	}
	var trusted []ed25519.PublicKey
	if *pub != "" {
		k, err := library.ReadPublicKey(*pub)
		if err != nil {
			return err
		}
		trusted = append(trusted, k)
	}
	l, err := library.Open(pos[0])
	if err != nil {
		return err
	}
	w := in.stdout
	fmt.Fprintf(w, "library %s\n", l.Dir)
	printContents(w, l.Manifest)
	var problems []string

	sigErr := l.CheckSignature(trusted...)
	status, ok := signatureStatus(sigErr, trusted)
	fmt.Fprintf(w, "signature: %s\n", status)
	if !ok {
		problems = append(problems, "signature "+status)
	}
	if root, err := volumeRoot(l.Dir); (err == nil && root) || card != nil {
		printMasterVerdict(w, l, sigErr, trusted, card, choice)
	}

	if *quick {
		err = l.CheckSizes()
		status = "every file has its size (SHA-256 not checked: --quick)"
	} else {
		err = l.Verify(ctx)
		status = "every file matches its SHA-256"
		if err == nil {
			saveVerified(l)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		status = err.Error()
		problems = append(problems, status)
	}
	fmt.Fprintf(w, "content: %s\n", status)

	if err := printDrives(w, l.Manifest); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", l.Dir, strings.Join(problems, "; "))
	}
	return nil
}

// signatureStatus says what CheckSignature found, and whether that is
// acceptable: without a trusted key, a valid or missing signature is.
func signatureStatus(err error, trusted []ed25519.PublicKey) (string, bool) {
	var unknown *library.UnknownKeyError
	switch {
	case err == nil:
		return "valid, by trusted key " + library.Fingerprint(trusted[0]), true
	case errors.As(err, &unknown) && len(trusted) == 0:
		return err.Error() + " (give --pub to check it)", true
	case errors.Is(err, library.ErrUnsigned):
		return "none: the library is not signed", len(trusted) == 0
	}
	return err.Error(), false
}

// printContents prints a library's name, date, tiers and totals.
func printContents(w io.Writer, m *library.Manifest) {
	fmt.Fprintf(w, "name %q, dated %s\n", m.Name, m.Date)
	for i, c := range m.Counts() {
		t := m.Tiers[i]
		name := ""
		if t.Name != "" {
			name = fmt.Sprintf(" %q", t.Name)
		}
		paths := strings.Join(t.Paths, ", ")
		if i == len(m.Tiers)-1 && paths == "**" {
			paths += " (all that no earlier tier lists)"
		}
		fmt.Fprintf(w, "tier %d%s: %s; paths %s\n", t.Number, name, countText(c), paths)
	}
	total := m.Total()
	fmt.Fprintf(w, "total: %s (%s bytes)\n", countText(total), digits(total.Bytes))
}

// countText is "3 files, 1 empty folder, 12.3 MB".
func countText(c library.Count) string {
	s := plural(c.Files, "file", "files")
	if c.Folders > 0 {
		s += ", " + plural(c.Folders, "empty folder", "empty folders")
	}
	return s + ", " + size(c.Bytes)
}

// marketedSizes are the sizes USB sticks are sold as, in GB.
var marketedSizes = []int64{1, 2, 4, 8, 16, 32, 64, 128, 256}

// printDrives prints what Fit selects for each marketed stick size and the
// smallest drives that get all of tier 1 and everything.
func printDrives(w io.Writer, m *library.Manifest) error {
	fmt.Fprintln(w, "drives (sizes as marketed, 1 GB = 1,000,000,000 bytes; real sticks hold slightly less):")
	for _, gb := range marketedSizes {
		sel, err := library.FitDrive(m, gb*1e9, 512, "")
		var small *library.TooSmallError
		switch {
		case errors.As(err, &small):
			fmt.Fprintf(w, "  %3d GB  too small: tier 1 needs %s plus FAT overhead\n", gb, size(small.Need))
		case err != nil:
			return err
		default:
			fmt.Fprintf(w, "  %3d GB  %s\n", gb, selectionText(sel))
		}
	}
	for _, s := range []struct {
		what  string
		tiers int
	}{
		{"all of tier 1", 1},
		{"everything", len(m.Tiers)},
	} {
		n, ok, err := library.SmallestDrive(m, 512, "", s.tiers)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintf(w, "no drive up to %s gets %s\n", size(library.MaxDriveBytes), s.what)
			continue
		}
		fmt.Fprintf(w, "drives of %s (%s bytes) and larger get %s\n", size(n), digits(n), s.what)
	}
	return nil
}

// selectionText says which tiers a drive gets: "tiers 1, 2; tier 3: 4 of
// 10 files (1.2 GB of 3.4 GB)".
func selectionText(sel *library.Selection) string {
	if sel.Complete() {
		return "everything"
	}
	var whole []string
	var parts []string
	for _, t := range sel.Tiers {
		switch {
		case t.Complete():
			whole = append(whole, strconv.Itoa(t.Tier))
		case t.Included != library.Count{}:
			s := fmt.Sprintf("tier %d: %d of %d files (%s of %s)", t.Tier, t.Included.Files, t.Total.Files, size(t.Included.Bytes), size(t.Total.Bytes))
			if t.Included.Folders != t.Total.Folders {
				s += fmt.Sprintf(", %d of %d empty folders", t.Included.Folders, t.Total.Folders)
			}
			parts = append(parts, s)
		}
	}
	head := "tier " + whole[0]
	if len(whole) > 1 {
		head = "tiers " + strings.Join(whole, ", ")
	}
	return strings.Join(append([]string{head}, parts...), "; ")
}

// size is a byte count for people, in decimal units as sticks are sold.
func size(n int64) string {
	if n < 1000 {
		return plural(int(n), "byte", "bytes")
	}
	units := []string{"kB", "MB", "GB", "TB"}
	v := float64(n) / 1000
	u := 0
	for v >= 999.5 && u < len(units)-1 {
		v /= 1000
		u++
	}
	switch {
	case v < 9.995:
		return fmt.Sprintf("%.2f %s", v, units[u])
	case v < 99.95:
		return fmt.Sprintf("%.1f %s", v, units[u])
	}
	return fmt.Sprintf("%.0f %s", v, units[u])
}

// digits writes n with thousands separators: 1,234,567.
func digits(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
