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
	kf := addKioskFlags(in)
	if _, err := in.parse(args, 0); err != nil {
		return err
	}
	card, choice, err := kf.kiosk(in)
	if err != nil {
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
	named := &namingVerifier{v: source.Verifier(trusted...)}
	h := &drive.Host{Root: *root, Ports: map[string]string{}, Library: named}
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
	p := &drivePrinter{h: h, named: named, card: card, choice: choice, keyed: len(trusted) > 0, json: *asJSON, w: in.stdout, verdicts: map[string]verdict{}}
	if *watch {
		return p.watch(ctx)
	}
	drives, err := h.Scan()
	if err != nil && len(drives) == 0 {
		return err
	}
	vs := make([]verdict, len(drives))
	var masters []*source.Library
	for i, d := range drives {
		vs[i] = p.judge(ctx, d)
		if vs[i].master.Usable() {
			masters = append(masters, vs[i].master)
		}
	}
	// Among several master drives, the kiosk would write one library.
	picked := source.Pick(choice, card, masters)
	p.header()
	for i, d := range drives {
		if vs[i].master.Usable() && card == nil && len(masters) > 1 {
			vs[i].note = fmt.Sprintf("%s; of the %d master drives, this one would be written: %v", vs[i].note, len(masters), picked == vs[i].master)
		}
		p.show("", d, vs[i])
	}
	p.flush()
	return err
}

// namingVerifier is a LibraryVerifier that also remembers the name and
// date of the last manifest it was given, for saying which library a
// master drive holds: drives are checked one at a time.
type namingVerifier struct {
	v          drive.LibraryVerifier
	name, date string
}

func (n *namingVerifier) VerifyManifest(manifest, sig []byte) (drive.Trust, error) {
	n.name, n.date = "", ""
	if m, err := library.ParseManifest(manifest); err == nil {
		n.name, n.date = m.Name, m.Date
	}
	return n.v.VerifyManifest(manifest, sig)
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
	// Library is the library at the root of a master drive.
	Library *libraryRecord `json:"library,omitempty"`
}

// libraryRecord is a master drive's library as --json prints it.
type libraryRecord struct {
	Name    string `json:"name,omitempty"`
	Date    string `json:"date,omitempty"`
	Trust   string `json:"trust"`
	Written string `json:"kiosk,omitempty"` // which library a kiosk would write beside it
}

type drivePrinter struct {
	h      *drive.Host
	named  *namingVerifier
	card   *source.Library // the card's library given to --card, or nil
	choice source.Choice
	keyed  bool // a trusted key was given
	json   bool
	w      io.Writer
	tw     *tabwriter.Writer
	// verdicts remembers what was said of each drive when it was added,
	// to say it again when it goes (it can no longer be checked then).
	verdicts map[string]verdict
}

type verdict struct {
	ok     bool
	reason drive.Reason
	err    error
	trust  drive.Trust     // of a master drive's library
	master *source.Library // a master drive's library, usable if trusted
	note   string          // what a kiosk makes of a master drive
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

// judge gathers d's facts and says what a kiosk makes of it.
func (p *drivePrinter) judge(ctx context.Context, d drive.Drive) verdict {
	var v verdict
	facts := p.h.Facts(ctx, d)
	v.ok, v.reason = drive.Policy{}.Eligible(d, facts)
	if v.reason == drive.CannotCheck {
		v.err = facts.Err
	}
	if facts.Library == drive.NoLibrary {
		return v
	}
	v.trust = facts.Library
	v.master = &source.Library{Name: p.named.name, Date: p.named.date, Trust: facts.Library, Drive: d}
	switch {
	case facts.Library == drive.Trusted:
		// Usable as far as a PC tells without mounting it: a kiosk mounts
		// and opens it, and checks its signature again.
		v.master.Library = &library.Library{}
		v.note = pickText(p.choice, p.card, v.master)
	case facts.Library == drive.Untrusted && !p.keyed:
		v.note = "give --pub with the kiosk's key to see whether a kiosk would use it"
	default:
		v.note = "a kiosk never uses it: " + facts.NotMaster
	}
	return v
}

// print judges one device and shows it; event is "" when listing.
func (p *drivePrinter) print(ctx context.Context, event string, d drive.Drive) {
	v, known := p.verdicts[d.Name]
	if event != drive.Removed.String() || !known {
		v = p.judge(ctx, d)
	}
	p.show(event, d, v)
}

// show prints a device and its verdict; event is "" when listing.
func (p *drivePrinter) show(event string, d drive.Drive, v verdict) {
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
		if v.master != nil {
			r.Library = &libraryRecord{Name: v.master.Name, Date: v.master.Date, Trust: v.trust.String(), Written: v.note}
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
	if v.master != nil {
		say += fmt.Sprintf(": library %q of %s, %s; %s", v.master.Name, v.master.Date, v.trust, oneLine(v.note))
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
