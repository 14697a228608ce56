// Command kioskctl is flashkiosk's host tool: it builds, signs and
// inspects content libraries on a PC, writes, probes and checks single
// drives or image files with the same engine the kiosk uses, and inspects
// kiosk SD-card images.
//
// Exit status: 0 done, 1 failed (one line "kioskctl: …" on stderr),
// 2 the command line was wrong.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"flashkiosk/firmware/flash"
)

// command is one word of the command line: a group of subcommands or an
// action with its flags.
type command struct {
	name    string
	args    string // what follows the name in usage lines
	summary string
	run     func(ctx context.Context, in *invocation, args []string) error
	sub     []command
}

// commands is the top of the command table.
func commands() []command {
	return []command{
		{name: "library", summary: "build, sign and inspect content libraries", sub: libraryCommands()},
		{name: "write", args: "--library LIBDIR [flags] TARGET", summary: "wipe, write and verify one drive or image file", run: writeCommand},
		{name: "check", args: "--library LIBDIR [--json] TARGET", summary: "compare a written drive file by file with a library", run: checkCommand},
		{name: "probe", args: "[--json] TARGET", summary: "find a drive's real capacity (overwrites test blocks)", run: probeCommand},
		{name: "drives", args: "[--watch] [--json] [--ports PATH=NAME,…]", summary: "list block devices and whether the kiosk may write them", run: drivesCommand},
		{name: "panel", args: "--connect -|unix:PATH|tcp:HOST:PORT", summary: "show a simulated kiosk panel live and press its buttons", run: panelCommand},
		{name: "image", summary: "inspect a kiosk SD-card image", sub: imageCommands()},
		{name: "demo", args: "[--interactive] [--dir DIR]", summary: "boot the real kiosk in qemu with virtual USB sticks and show its panel", run: demoCommand},
		{name: "report", args: "[--svg FILE] [--since-boot N] JOURNAL", summary: "print a kiosk journal as CSV, chart it as SVG", run: reportCommand},
	}
}

// Exit statuses: 0 success, 1 failure (a refused target, a drive that
// did not pass, an interrupted job), 2 a wrong command line, and
// exitInterrupted when a second interrupt ends the program at once.
const exitInterrupted = 130

func main() {
	flash.SetHeapGrowth()
	ctx, stop := interrupts(os.Stderr, os.Exit)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interrupts returns a context cancelled by the first SIGINT or SIGTERM,
// so that a job can stop cleanly and say what it leaves behind. A second
// one calls exit(exitInterrupted) at once, whatever the program is
// waiting for. stop ends the watch.
func interrupts(stderr io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case s := <-sig:
				n++
				if n == 1 {
					fmt.Fprintf(stderr, "kioskctl: %v: stopping (again to exit at once)\n", s)
					cancel()
					continue
				}
				fmt.Fprintf(stderr, "kioskctl: %v again: exiting at once\n", s)
				exit(exitInterrupted)
				return
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}

// usageError is a wrong command line; usage is the help that fits it.
type usageError struct {
	msg   string
	usage string
}

func (e *usageError) Error() string { return e.msg }

// errHelp says that help was asked for and printed.
var errHelp = errors.New("help printed")

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, "kioskctl", commands(), args, &invocation{stdin: stdin, stdout: stdout, stderr: stderr})
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "kioskctl: %s\n%s", ue.msg, ue.usage)
		return 2
	default:
		fmt.Fprintf(stderr, "kioskctl: %s\n", oneLine(err.Error()))
		return 1
	}
}

// oneLine keeps a message on one line, as scripts and the kiosk log read it.
func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}

// dispatch finds the command named by args[0] among cmds and runs it.
func dispatch(ctx context.Context, path string, cmds []command, args []string, std *invocation) error {
	usage := groupUsage(path, cmds)
	if len(args) == 0 {
		return &usageError{msg: "missing command", usage: usage}
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprint(std.stdout, usage)
		return errHelp
	}
	for _, c := range cmds {
		if c.name != args[0] {
			continue
		}
		name := path + " " + c.name
		if c.sub != nil {
			return dispatch(ctx, name, c.sub, args[1:], std)
		}
		flags := flag.NewFlagSet(name, flag.ContinueOnError)
		flags.SetOutput(io.Discard)
		return c.run(ctx, &invocation{flags: flags, synopsis: c.args, stdin: std.stdin, stdout: std.stdout, stderr: std.stderr}, args[1:])
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), usage: usage}
}

// groupUsage lists the commands of a group.
func groupUsage(path string, cmds []command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s COMMAND …\ncommands:\n", path)
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	return b.String()
}

// invocation is one action command being run: its flags, to be defined
// by the action, and where its output goes.
type invocation struct {
	flags    *flag.FlagSet
	synopsis string
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer // progress goes here, and only when it is a terminal
}

// usage is the command's usage line and flags.
func (in *invocation) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s %s\n", in.flags.Name(), in.synopsis)
	in.flags.SetOutput(&b)
	in.flags.PrintDefaults()
	in.flags.SetOutput(io.Discard)
	return b.String()
}

// parse parses flags anywhere among args, as in "inspect DIR --quick",
// and returns the positional arguments, of which there must be want.
// After "--" everything is positional. The flags named in required must
// be given a value.
func (in *invocation) parse(args []string, want int, required ...string) ([]string, error) {
	var pos []string
	for {
		err := in.flags.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(in.stdout, in.usage())
			return nil, errHelp
		}
		if err != nil {
			return nil, &usageError{msg: err.Error(), usage: in.usage()}
		}
		rest := in.flags.Args()
		if len(rest) == 0 {
			break
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	for _, n := range required {
		if in.flags.Lookup(n).Value.String() == "" {
			return nil, &usageError{msg: "missing --" + n, usage: in.usage()}
		}
	}
	if len(pos) != want {
		return nil, &usageError{msg: fmt.Sprintf("want %d argument(s), got %d", want, len(pos)), usage: in.usage()}
	}
	return pos, nil
}
