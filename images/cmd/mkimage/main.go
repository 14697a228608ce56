// Command mkimage writes flashkiosk's Raspberry Pi SD-card image, as
// `make image` runs it:
//
//	mkimage [-library DIR -key FILE] [-o IMG] [-version V] [-uinit PKG]
//
// Without -library it builds a demo library in -demo and signs it with a
// demo key kept there. The image is written sparse; compressing it is the
// Makefile's job.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"flashkiosk/firmware/library"
	"flashkiosk/images"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkimage: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	out := flags.String("o", "out/flashkiosk-rpi.img", "the image file to write (replaced)")
	lib := flags.String("library", "", "a built and signed library folder; none for the demo library")
	key := flags.String("key", "", "the private key file the library is signed with (its .pub beside it)")
	demo := flags.String("demo", "out/demo", "the folder for the demo library and its demo key")
	version := flags.String("version", "", "the kiosk version for the image's VERSION file")
	uinit := flags.String("uinit", images.DefaultUinit, "the kiosk's Go package, started by u-root's init")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flags.Args())
	}
	p := images.Pi{Library: *lib, Version: *version, Uinit: []string{*uinit}}
	switch {
	case *lib == "" && *key != "":
		return errors.New("KEY given without LIBRARY")
	case *lib != "" && *key == "":
		return errors.New("LIBRARY given without KEY: name the private key it is signed with")
	case *lib == "":
		d, err := images.WriteDemo(ctx, *demo, nil)
		if err != nil {
			return err
		}
		p.Library, p.PublicKey = d.Library, d.PublicKey
		made := "reused"
		if d.NewKey {
			made = "made"
		}
		fmt.Fprintf(stdout, "library: the demo library %s, signed with a DEMO key (%s: %s)\n", d.Library, made, d.Key)
		fmt.Fprintf(stdout, "         the kiosk will trust only this demo key; for real use: make image LIBRARY=dir KEY=file\n")
	default:
		pub, err := images.PublicKeyOf(*key)
		if err != nil {
			return err
		}
		p.PublicKey = pub
	}
	if err := os.Remove(*out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	w, err := images.WritePi(ctx, *out, p)
	if err != nil {
		return err
	}
	m := w.Library.Manifest
	pub, err := library.ReadPublicKey(p.PublicKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "library: %q of %s, %d files, %d bytes, signed by key %s\n", m.Name, m.Date, m.Total().Files, m.Total().Bytes, library.Fingerprint(pub))
	for i, part := range w.Partitions {
		fmt.Fprintf(stdout, "p%d: type 0x%02X, %d MiB at %d MiB\n", i+1, part.Type, part.Sectors*images.SectorSize>>20, part.Start*images.SectorSize>>20)
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}
