package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/source"
)

// volumeRoot reports whether dir is the root of a mounted volume (its
// device differs from its parent's, or it is /): a drive mounted on this
// PC, such as one becoming a master drive.
func volumeRoot(dir string) (bool, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return false, err
	}
	parent, err := os.Stat(filepath.Join(dir, ".."))
	if err != nil {
		return false, err
	}
	a, ok1 := st.Sys().(*syscall.Stat_t)
	b, ok2 := parent.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return false, nil
	}
	return a.Dev != b.Dev || a.Ino == b.Ino, nil
}

// buildAtRoot builds a library at the root of the mounted volume root, a
// drive to become a master drive. library.Build makes its folder and
// renames it into place, which a volume's root cannot be; so it builds in
// a hidden folder on the volume and moves the library's files up from it.
// The root may hold nothing but operating-system junk (System Volume
// Information, .Trashes, …).
func buildAtRoot(ctx context.Context, src, root string, opts library.BuildOptions) (*library.Library, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !library.IsJunk(e.Name()) {
			return nil, fmt.Errorf("%s, the root of a drive, holds %s: a master drive is built on a freshly formatted drive (its operating-system files, such as System Volume Information, may stay)", root, e.Name())
		}
	}
	tmp := filepath.Join(root, ".flashkiosk-build")
	if _, err := library.Build(ctx, src, tmp, opts); err != nil {
		return nil, err
	}
	built, err := os.ReadDir(tmp)
	if err != nil {
		return nil, err
	}
	for _, e := range built {
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(root, e.Name())); err != nil {
			return nil, fmt.Errorf("move the library to the root of %s: %w", root, err)
		}
	}
	if err := os.Remove(tmp); err != nil {
		return nil, err
	}
	return library.Open(root)
}

// kioskFlags are the flags that say which kiosk to judge master drives
// for: its card's library and its library setting.
type kioskFlags struct{ card, choose *string }

// addKioskFlags defines --card and --choose on in's flags.
func addKioskFlags(in *invocation) kioskFlags {
	return kioskFlags{
		card:   in.flags.String("card", "", "the library folder on a kiosk's card (its partition 2), to say which library that kiosk writes"),
		choose: in.flags.String("choose", string(source.Newest), "the kiosk's library setting in kiosk.toml: newest, card or master"),
	}
}

// kiosk returns the card's library (nil without --card) and the setting.
func (k kioskFlags) kiosk(in *invocation) (*source.Library, source.Choice, error) {
	c := source.Choice(*k.choose)
	switch c {
	case source.Newest, source.Card, source.Master:
	default:
		return nil, "", &usageError{msg: fmt.Sprintf("--choose: %q: want newest, card or master (as kiosk.toml's library)", *k.choose), usage: in.usage()}
	}
	card, err := cardLibrary(*k.card)
	return card, c, err
}

// pickText says which library a kiosk whose card holds card (nil when not
// known) and whose setting is choice writes, if m is the master drive in
// it; m is usable.
func pickText(choice source.Choice, card, m *source.Library) string {
	if card == nil {
		switch choice {
		case source.Card:
			return fmt.Sprintf("a kiosk with library = %q never writes it", choice)
		case source.Master:
			return fmt.Sprintf("a kiosk with library = %q writes it (the newest master drive in it)", choice)
		}
		return fmt.Sprintf("a kiosk with library = %q writes it if its card's library is older than %s (when as new, the card's); give --card to compare", choice, m.Date)
	}
	kiosk := fmt.Sprintf("a kiosk with library = %q whose card holds %q of %s", choice, card.Name, card.Date)
	switch got := source.Pick(choice, card, []*source.Library{m}); {
	case got == m && choice == source.Newest:
		return kiosk + " writes this one: it is newer"
	case got == m:
		return kiosk + " writes this one"
	case choice == source.Card:
		return kiosk + " writes its card's"
	case card.Date == m.Date:
		return kiosk + " writes its card's: they are as new, and a tie goes to the card"
	}
	return kiosk + " writes its card's: it is newer"
}

// cardLibrary opens the card's library folder given to --card, "" for
// none; its signature is not checked (a kiosk refuses a card whose is
// bad).
func cardLibrary(dir string) (*source.Library, error) {
	if dir == "" {
		return nil, nil
	}
	l, err := library.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("--card: %w", err)
	}
	return source.FromCard(l, nil), nil
}

// printMasterVerdict says what a kiosk makes of the library l as a master
// drive's: trusted (by one of trusted) and written or not beside card, or
// never used. sigErr is l.CheckSignature's verdict.
func printMasterVerdict(w io.Writer, l *library.Library, sigErr error, trusted []ed25519.PublicKey, card *source.Library, choice source.Choice) {
	var unknown *library.UnknownKeyError
	switch {
	case len(trusted) == 0:
		fmt.Fprintln(w, "as a master drive: give --pub with the kiosk's key to see whether a kiosk would use it")
		return
	case errors.As(sigErr, &unknown):
		fmt.Fprintln(w, "as a master drive: MASTER NOT TRUSTED: a kiosk trusting that key never uses it, and never writes it")
		return
	case sigErr != nil:
		fmt.Fprintln(w, "as a master drive: MASTER BAD SIG: a kiosk never uses it, and never writes it")
		return
	}
	m := &source.Library{Library: l, Name: l.Manifest.Name, Date: l.Manifest.Date, Trust: drive.Trusted, Drive: drive.Drive{Name: "this drive"}}
	fmt.Fprintf(w, "as a master drive: %s\n", pickText(choice, card, m))
}
