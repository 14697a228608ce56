package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/library"
)

// writeResult is the --json form of a write.
type writeResult struct {
	Target   string  `json:"target"`
	Outcome  string  `json:"outcome"`
	Error    string  `json:"error,omitempty"`
	Reported int64   `json:"reported_bytes"`
	Real     int64   `json:"real_bytes"`
	Fake     string  `json:"fake,omitempty"`
	Written  int64   `json:"written_bytes,omitempty"`
	Library  string  `json:"library"`
	Tiers    []tier  `json:"tiers,omitempty"`
	VolumeID string  `json:"volume_id,omitempty"`
	WriteMBs float64 `json:"write_mb_s,omitempty"`
	VerifMBs float64 `json:"verify_mb_s,omitempty"`
	Seconds  float64 `json:"seconds"`
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
	asJSON := in.flags.Bool("json", false, "print one JSON result object")
	pos, err := in.parse(args, 1, "library")
	if err != nil {
		return err
	}
	target := pos[0]
	opts := flash.Options{Label: *label}
	switch *wipe {
	case "zero":
	case "random":
		opts.Wipe = flash.WipeRandom
	default:
		return &usageError{msg: fmt.Sprintf("--wipe %q: want zero or random", *wipe), usage: in.usage()}
	}
	switch *fake {
	case "use-real":
	case "reject":
		opts.Fake = flash.Reject
	default:
		return &usageError{msg: fmt.Sprintf("--fake %q: want use-real or reject", *fake), usage: in.usage()}
	}
	lib, err := library.Open(*libDir)
	if err != nil {
		return err
	}
	if path, err := library.VerifiedCachePath(*libDir); err == nil {
		lib.LoadVerified(path)
	}
	defer saveVerified(lib)
	if *pub != "" {
		key, err := library.ReadPublicKey(*pub)
		if err != nil {
			return err
		}
		if err := lib.CheckSignature([]ed25519.PublicKey{key}...); err != nil {
			return err
		}
	}
	opts.Library = lib
	if err := checkTarget(ctx, target, *anyDisk); err != nil {
		return err
	}
	dev, err := flash.Open(target, false)
	if err != nil {
		return err
	}
	defer dev.Close()
	bar := newProgressBar(in.stderr)
	opts.Progress = bar.update
	start := time.Now()
	res, err := flash.Write(ctx, dev, opts)
	bar.finish()
	out := writeResult{
		Target: target, Outcome: flash.Classify(err).String(), Library: lib.Manifest.Name,
		Reported: res.Probe.Reported, Real: res.Probe.Real, Seconds: time.Since(start).Seconds(),
	}
	if res.Probe.Fake() {
		out.Fake = res.Probe.Kind.String()
	}
	if err != nil {
		out.Error = err.Error()
	} else {
		out.Written = res.Bytes
		out.VolumeID = volumeID(res.VolumeID)
		out.WriteMBs = res.WriteMBps()
		out.VerifMBs = res.VerifyMBps()
		for _, t := range res.Selection.Tiers {
			out.Tiers = append(out.Tiers, tier{Tier: t.Tier, Files: t.Included.Files, Of: t.Total.Files, Bytes: t.Included.Bytes, Complete: t.Complete()})
		}
	}
	if *asJSON {
		if jerr := printJSON(in.stdout, out); jerr != nil {
			return jerr
		}
		if err != nil {
			return &reportedError{err}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %s: %w", target, out.Outcome, err)
	}
	fmt.Fprintf(in.stdout, "done: %s, %s\n", target, describe(out, res))
	return nil
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
