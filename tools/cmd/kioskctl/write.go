package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/library"
)

// writeResult is the --json form of a write.
type writeResult struct {
	Target    string  `json:"target"`
	Outcome   string  `json:"outcome"`
	Error     string  `json:"error,omitempty"`
	Reported  int64   `json:"reported_bytes"`
	Real      int64   `json:"real_bytes"`
	Fake      string  `json:"fake,omitempty"`
	Written   int64   `json:"written_bytes,omitempty"`
	Library   string  `json:"library"`
	Signature string  `json:"signature,omitempty"`
	Tiers     []tier  `json:"tiers,omitempty"`
	VolumeID  string  `json:"volume_id,omitempty"`
	WriteMBs  float64 `json:"write_mb_s,omitempty"`
	VerifMBs  float64 `json:"verify_mb_s,omitempty"`
	Seconds   float64 `json:"seconds"`

	unverified bool // the signature is absent or does not verify, and no --pub asked for one
}

type tier struct {
	Tier     int   `json:"tier"`
	Files    int   `json:"files"`
	Of       int   `json:"of"`
	Bytes    int64 `json:"bytes"`
	Complete bool  `json:"complete"`
}

func writeCommand(ctx context.Context, in *invocation, args []string) error {
	libDir := in.flags.String("library", "", "the content library to write")
	wipe := in.flags.String("wipe", "zero", "fill of the free space: zero or random")
	fake := in.flags.String("fake", "use-real", "a fake drive is: use-real (written at its real capacity) or reject")
	label := in.flags.String("label", "", "volume label (default NO NAME)")
	pub := in.flags.String("pub", "", "require the library to be signed by this public key")
	anyDisk := in.flags.Bool("allow-any-disk", false, "allow a block device that is not a USB disk")
	force := in.flags.Bool("force", false, "overwrite an image file that holds a kiosk card or a library")
	asJSON := in.flags.Bool("json", false, "print one JSON result object")
	pos, err := in.parse(args, 1, "library")
	if err != nil {
		return err
	}
	target := pos[0]
	out := writeResult{Target: target}
	start := time.Now()
	res, err := writeTarget(ctx, in, target, writeFlags{
		libDir: *libDir, wipe: *wipe, fake: *fake, label: *label, pub: *pub, anyDisk: *anyDisk, force: *force,
	}, &out)
	out.Seconds = time.Since(start).Seconds()
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		out.Outcome, out.Error = "bad-usage", ue.msg
	case err != nil && out.Error == "":
		out.Error = err.Error()
	}
	if *asJSON {
		if jerr := printJSON(in.stdout, out); jerr != nil {
			return jerr
		}
		if err != nil && ue == nil {
			return &reportedError{err}
		}
		return err
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(in.stdout, "done: %s, %s\n", target, describe(out, res))
	return nil
}

// writeFlags are the write command's flags.
type writeFlags struct {
	libDir, wipe, fake, label, pub string
	anyDisk, force                 bool
}

// writeTarget checks every option, then the library, then the target, and
// only then opens the target and writes it, filling out as it goes. Its
// error names the target and the outcome once the write has begun.
func writeTarget(ctx context.Context, in *invocation, target string, fl writeFlags, out *writeResult) (flash.Result, error) {
	var res flash.Result
	out.Outcome = flash.Failed.String()
	opts, err := writeOptions(fl)
	if err != nil {
		return res, &usageError{msg: err.Error(), usage: in.usage()}
	}
	lib, err := library.Open(fl.libDir)
	if err != nil {
		return res, err
	}
	out.Library = lib.Manifest.Name
	if path, err := library.VerifiedCachePath(fl.libDir); err == nil {
		lib.LoadVerified(path)
	}
	defer saveVerified(lib)
	var trusted []ed25519.PublicKey
	if fl.pub != "" {
		key, err := library.ReadPublicKey(fl.pub)
		if err != nil {
			return res, err
		}
		trusted = append(trusted, key)
	}
	out.Signature, out.unverified, err = signatureState(lib, trusted)
	if err != nil {
		return res, err
	}
	opts.Library = lib
	if err := refuseTarget(ctx, target, lib, fl.anyDisk, fl.force); err != nil {
		out.Outcome = "refused"
		return res, err
	}
	dev, err := flash.Open(target, false)
	if err != nil {
		out.Outcome = flash.Classify(err).String()
		return res, err
	}
	defer dev.Close()
	bar := newProgressBar(in.stderr)
	var last flash.Progress
	opts.Progress = func(p flash.Progress) { last = p; bar.update(p) }
	res, err = flash.Write(ctx, dev, opts)
	bar.finish()
	out.Outcome = flash.Classify(err).String()
	out.Reported, out.Real = res.Probe.Reported, res.Probe.Real
	if res.Probe.Fake() {
		out.Fake = res.Probe.Kind.String()
	}
	if err != nil {
		out.Error = err.Error()
		if errors.Is(err, context.Canceled) {
			return res, fmt.Errorf("%s: interrupted %s: write it again", target, interruptedAt(last))
		}
		return res, fmt.Errorf("%s: %s: %w", target, out.Outcome, err)
	}
	out.Written = res.Bytes
	out.VolumeID = volumeID(res.VolumeID)
	out.WriteMBs = res.WriteMBps()
	out.VerifMBs = res.VerifyMBps()
	for _, t := range res.Selection.Tiers {
		out.Tiers = append(out.Tiers, tier{Tier: t.Tier, Files: t.Included.Files, Of: t.Total.Files, Bytes: t.Included.Bytes, Complete: t.Complete()})
	}
	return res, nil
}

// interruptedAt says where a cancelled job stopped and what that left on
// the drive: the volume's first sectors are written last, so a drive
// stopped before the verify holds no volume.
func interruptedAt(p flash.Progress) string {
	switch p.Phase {
	case flash.Probing:
		return "while probing: test blocks were written over some of the drive, nothing else"
	case flash.Writing:
		return fmt.Sprintf("at %d of %d bytes: the drive is partly wiped and holds no volume", p.Done, p.Total)
	}
	return fmt.Sprintf("while %s, after every byte was written: the drive is wiped but not verified", p.Phase)
}

// parseWipe reads a --wipe value.
func parseWipe(s string) (flash.Wipe, error) {
	switch s {
	case "zero":
		return flash.WipeZero, nil
	case "random":
		return flash.WipeRandom, nil
	}
	return 0, fmt.Errorf("--wipe %q: want zero or random", s)
}

// writeOptions turns the write command's option flags into a job's
// options, refusing a bad one before anything is opened.
func writeOptions(fl writeFlags) (flash.Options, error) {
	var opts flash.Options
	var err error
	if opts.Wipe, err = parseWipe(fl.wipe); err != nil {
		return opts, err
	}
	switch fl.fake {
	case "use-real":
	case "reject":
		opts.Fake = flash.Reject
	default:
		return opts, fmt.Errorf("--fake %q: want use-real or reject", fl.fake)
	}
	if fl.label != "" {
		if _, err := fat.NormalizeLabel(fl.label); err != nil {
			return opts, fmt.Errorf("--label %w", err)
		}
		if library.NamesProject(fl.label) {
			return opts, fmt.Errorf("--label %q %s; choose a label a person would, or none for Windows' %q", fl.label, library.ProjectNameReason, fat.DefaultLabel)
		}
	}
	opts.Label = fl.label
	return opts, nil
}

// signatureState says what the library's signature is: "trusted" (by a
// key in trusted), or, when no key is trusted, "unsigned", "signed by key
// K, which was not checked" or "signed, but the signature does not
// verify"; unverified is true for the first and the last, which a kiosk
// would refuse. An error is a signature that a trusted key was asked for
// and that is not by one.
func signatureState(lib *library.Library, trusted []ed25519.PublicKey) (state string, unverified bool, err error) {
	err = lib.CheckSignature(trusted...)
	if err == nil {
		return "trusted", false, nil
	}
	if len(trusted) > 0 {
		return "untrusted", false, err
	}
	var unknown *library.UnknownKeyError
	switch {
	case errors.Is(err, library.ErrUnsigned):
		return "unsigned", true, nil
	case errors.As(err, &unknown):
		return "signed by key " + unknown.Key + ", which was not checked", false, nil
	}
	return "signed, but the signature does not verify (" + err.Error() + ")", true, nil
}

// printJSON prints v as one indented JSON object.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// volumeID formats a volume serial number as Windows shows it: 1A2B-3C4D.
func volumeID(id uint32) string { return fmt.Sprintf("%04X-%04X", id>>16, id&0xFFFF) }

// saveVerified keeps the library's memory of files that passed their
// SHA-256 for the next command; failing to keep it costs only time.
func saveVerified(lib *library.Library) {
	if path, err := library.VerifiedCachePath(lib.Dir); err == nil {
		lib.SaveVerified(path)
	}
}

// describe says in one line what a finished write did.
func describe(out writeResult, res flash.Result) string {
	var parts []string
	if out.Fake != "" {
		parts = append(parts, fmt.Sprintf("FAKE (%s) reporting %s, written at its real %s", out.Fake, flash.Bytes(out.Reported), flash.Bytes(out.Real)))
	} else {
		parts = append(parts, flash.Bytes(out.Written)+" genuine")
	}
	var tiers []string
	for _, t := range out.Tiers {
		if t.Complete {
			tiers = append(tiers, fmt.Sprintf("tier %d complete", t.Tier))
		} else {
			tiers = append(tiers, fmt.Sprintf("tier %d %d of %d files", t.Tier, t.Files, t.Of))
		}
	}
	parts = append(parts, "library "+fmt.Sprintf("%q", out.Library)+": "+strings.Join(tiers, ", "))
	switch {
	case out.unverified:
		parts = append(parts, "WARNING: the library is "+out.Signature+": written anyway because no --pub was given; a kiosk would refuse it")
	case out.Signature != "trusted":
		parts = append(parts, "the library is "+out.Signature+" (give --pub to require a trusted key)")
	}
	parts = append(parts, fmt.Sprintf("write %v (%.1f MB/s), verify %v (%.1f MB/s)",
		res.Write.Round(100*time.Millisecond), out.WriteMBs, res.Verify.Round(100*time.Millisecond), out.VerifMBs))
	parts = append(parts, "volume ID "+out.VolumeID)
	return strings.Join(parts, "; ")
}

// reportedError is a failure already reported on stdout (as JSON): the
// exit status says it failed, the message repeats it on stderr.
type reportedError struct{ error }

func (e *reportedError) Unwrap() error { return e.error }

func probeCommand(ctx context.Context, in *invocation, args []string) error {
	anyDisk := in.flags.Bool("allow-any-disk", false, "allow a block device that is not a USB disk")
	asJSON := in.flags.Bool("json", false, "print one JSON result object")
	pos, err := in.parse(args, 1)
	if err != nil {
		return err
	}
	if err := checkTarget(ctx, pos[0], *anyDisk); err != nil {
		return err
	}
	dev, err := flash.Open(pos[0], false)
	if err != nil {
		return err
	}
	defer dev.Close()
	start := time.Now()
	res, err := flash.Probe(ctx, dev)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	took := time.Since(start)
	if *asJSON {
		return printJSON(in.stdout, map[string]any{
			"target": pos[0], "reported_bytes": res.Reported, "real_bytes": res.Real,
			"kind": res.Kind.String(), "fake": res.Fake(), "blocks": res.Blocks, "seconds": took.Seconds(),
		})
	}
	if res.Fake() {
		fmt.Fprintf(in.stdout, "%s: FAKE (%s): reports %s, holds %s (%d test blocks, %v)\n",
			pos[0], res.Kind, flash.Bytes(res.Reported), flash.Bytes(res.Real), res.Blocks, took.Round(time.Millisecond))
		return nil
	}
	fmt.Fprintf(in.stdout, "%s: genuine, %s (%d test blocks, %v)\n", pos[0], flash.Bytes(res.Real), res.Blocks, took.Round(time.Millisecond))
	return nil
}

// progressBar draws a job's progress on a terminal, and nothing elsewhere.
type progressBar struct {
	w     io.Writer
	on    bool
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, on: ok && isTerminal(f)}
}

func (b *progressBar) update(p flash.Progress) {
	if !b.on || (time.Since(b.last) < 200*time.Millisecond && p.Done < p.Total && p.Done > 0) {
		return
	}
	b.last = time.Now()
	const width = 30
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	fill := int(frac * width)
	line := fmt.Sprintf("\r%-9s [%s%s] %3.0f%% %6.1f MB/s ETA %-8v", p.Phase, strings.Repeat("#", fill), strings.Repeat(" ", width-fill),
		frac*100, p.Rate()/1e6, p.ETA().Round(time.Second))
	fmt.Fprint(b.w, line)
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
