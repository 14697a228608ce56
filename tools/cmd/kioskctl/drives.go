package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"flashkiosk/board"
	"flashkiosk/firmware/drive"
	"flashkiosk/firmware/library"
	"flashkiosk/firmware/source"
)

// drivesCommand lists block devices with the kiosk's verdict on each, or
// with --watch follows drives as they come and go.
func drivesCommand(ctx context.Context, in *invocation, args []string) error {
	watch := in.flags.Bool("watch", false, "print drives as they come and go, until interrupted (whole disks with a medium only)")
	asJSON := in.flags.Bool("json", false, "print one JSON object per line and device")
	ports := in.flags.String("ports", "", "the board's port map, as PATH=NAME,… (e.g. 1-1.1=A,2-1=A)")
	root := in.flags.String("root", "/", "read sysfs, procfs and /dev below this folder (a copied tree)")
	pub := in.flags.String("pub", "", "the key a kiosk trusts: a master drive's library signed by it is trusted (without it, none is)")
	if _, err := in.parse(args, 0); err != nil {
		return err
	}
	var trusted []ed25519.PublicKey
	if *pub != "" {
		key, err := library.ReadPublicKey(*pub)
		if err != nil {
			return err
		}
		trusted = append(trusted, key)
	}
	h := &drive.Host{Root: *root, Ports: map[string]string{}, Library: source.Verifier(trusted...)}
	for _, kv := range strings.Split(*ports, ",") {
		if kv == "" {
			continue
		}
		path, name, ok := strings.Cut(kv, "=")
		var why string
		switch other, twice := h.Ports[path]; {
		case !ok || path == "" || name == "":
			why = fmt.Sprintf("%q is not PATH=NAME", kv)
		case !board.IsPortPath(path):
			why = fmt.Sprintf("%q is not a USB port path like \"1-1.2\"", path)
		case twice:
			why = fmt.Sprintf("%s is given twice (%s and %s): a port path belongs to one port", path, other, name)
		}
		if why != "" {
			return &usageError{msg: "--ports: " + why, usage: in.usage()}
		}
		h.Ports[path] = name
	}
	p := &drivePrinter{h: h, json: *asJSON, w: in.stdout, verdicts: map[string]verdict{}}
	if *watch {
		return p.watch(ctx)
	}
	drives, err := h.Scan()
	if err != nil && len(drives) == 0 {
		return err
	}
	p.header()
	for _, d := range drives {
		p.print(ctx, "", d)
	}
	p.flush()
	return err
}

// driveRecord is a device as --json prints it. It has no serial number:
// kioskctl never shows one.
type driveRecord struct {
	Event      string       `json:"event,omitempty"`
	Time       string       `json:"time,omitempty"` // when the event was printed
	Name       string       `json:"name"`
	Dev        string       `json:"dev"`
	Size       uint64       `json:"size"`
	SectorSize uint32       `json:"sector_size"`
	Partition  bool         `json:"partition"`
	USB        bool         `json:"usb"`
	Port       string       `json:"port"`
	PortPath   string       `json:"port_path"`
	LUN        int          `json:"lun"`
	Vendor     string       `json:"vendor"`
	Model      string       `json:"model"`
	ReadOnly   bool         `json:"read_only"`
	Eligible   bool         `json:"eligible"`
	Reason     drive.Reason `json:"reason"`
	Error      string       `json:"error,omitempty"`
}

type drivePrinter struct {
	h    *drive.Host
	json bool
	w    io.Writer
	tw   *tabwriter.Writer
	// verdicts remembers what was said of each drive when it was added,
	// to say it again when it goes (it can no longer be checked then).
	verdicts map[string]verdict
}

type verdict struct {
	ok     bool
	reason drive.Reason
	err    error
}

func (p *drivePrinter) header() {
	if p.json {
		return
	}
	p.tw = tabwriter.NewWriter(p.w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(p.tw, "NAME\tSIZE\tUSB PORT\tVENDOR MODEL\tVERDICT")
}

func (p *drivePrinter) flush() {
	if p.tw != nil {
		p.tw.Flush()
	}
}

// print shows one device; event is "" when listing.
func (p *drivePrinter) print(ctx context.Context, event string, d drive.Drive) {
	v, known := p.verdicts[d.Name]
	if event != drive.Removed.String() || !known {
		facts := p.h.Facts(ctx, d)
		v.ok, v.reason = drive.Policy{}.Eligible(d, facts)
		if v.reason == drive.CannotCheck {
			v.err = facts.Err
		}
	}
	if p.json {
		r := driveRecord{Event: event, Name: d.Name, Dev: d.Dev.String(), Size: d.Size, SectorSize: d.SectorSize,
			Partition: d.Partition, USB: d.USB, Port: d.Port, PortPath: d.PortPath, LUN: d.LUN,
			Vendor: d.Vendor, Model: d.Model, ReadOnly: d.ReadOnly, Eligible: v.ok, Reason: v.reason}
		if event != "" {
			r.Time = time.Now().Format(time.RFC3339Nano)
		}
		if v.err != nil {
			r.Error = oneLine(v.err.Error())
		}
		b, _ := json.Marshal(r)
		fmt.Fprintf(p.w, "%s\n", b)
	} else {
		p.printText(event, d, v)
	}
	if event == drive.Added.String() {
		p.verdicts[d.Name] = v
	} else {
		delete(p.verdicts, d.Name)
	}
}

func (p *drivePrinter) printText(event string, d drive.Drive, v verdict) {
	port := "-"
	if d.USB {
		port = d.Port
		if d.Port != d.PortPath {
			port += " (" + d.PortPath + ")"
		}
		if d.LUN != 0 {
			port += fmt.Sprintf(" lun %d", d.LUN)
		}
	}
	say := "yes"
	if !v.ok {
		say = "no: " + v.reason.String()
		if v.err != nil {
			say += " (" + oneLine(v.err.Error()) + ")"
		}
	}
	model := strings.TrimSpace(d.Vendor + " " + d.Model)
	if model == "" {
		model = "-"
	}
	sz := size(int64(min(d.Size, 1<<63-1)))
	if event == "" {
		fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\n", d.Name, sz, port, model, say)
		return
	}
	fmt.Fprintf(p.w, "%s %-7s %-8s %9s  port %-10s  %-24s  %s\n", time.Now().Format("15:04:05.000"), event, d.Name, sz, port, model, say)
}

func (p *drivePrinter) watch(ctx context.Context) error {
	events := make(chan drive.Event)
	done := make(chan error, 1)
	go func() { done <- p.h.Watch(ctx, events) }()
	for {
		select {
		case e := <-events:
			p.print(ctx, e.Kind.String(), e.Drive)
		case err := <-done:
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
	}
}
