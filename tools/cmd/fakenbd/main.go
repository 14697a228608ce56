// Command fakenbd serves a fake-capacity USB stick over NBD on a unix
// socket until interrupted, for trying the kiosk's probe by hand:
//
//	truncate -s 64M real.img
//	fakenbd -file real.img -claimed 1073741824 -mode wrap -socket /tmp/fake.sock
//	qemu-img info 'nbd+unix:///?socket=/tmp/fake.sock'
//
// See tools/fakenbd for what the stick does.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"flashkiosk/tools/fakedrive"
	"flashkiosk/tools/fakenbd"
)

func main() {
	file := flag.String("file", "", "backing file; its size is the stick's real size")
	claimed := flag.Int64("claimed", 0, "size in bytes the stick reports (0: the file's size)")
	mode := flag.String("mode", "wrap", "past the real size: wrap (offsets wrap around) or limbo (writes are lost)")
	socket := flag.String("socket", "fakenbd.sock", "unix socket to serve on")
	flag.Parse()
	modes := map[string]fakedrive.Mode{"wrap": fakedrive.Wrap, "limbo": fakedrive.Limbo}
	m, ok := modes[*mode]
	if !ok || *file == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := fakenbd.Start(ctx, *socket, fakenbd.Config{File: *file, Claimed: *claimed, Mode: m})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("serving %s (%d bytes claimed, %d real) at %s\n", *file, s.Export().Size(), s.Export().Real(), s.URI())
	<-ctx.Done()
	err = s.Close()
	fmt.Printf("%+v\n", s.Stats())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
