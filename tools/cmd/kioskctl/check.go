package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/library"
)

func checkCommand(ctx context.Context, in *invocation, args []string) error {
	libDir := in.flags.String("library", "", "the content library the drive should hold")
	asJSON := in.flags.Bool("json", false, "print the report as one JSON object")
	wipeFlag := in.flags.String("wipe", "", "also read all free space and check that it holds only this fill (zero or random), as write --wipe left it")
	pos, err := in.parse(args, 1, "library")
	if err != nil {
		return err
	}
	var wipe flash.Wipe
	if *wipeFlag != "" {
		if wipe, err = parseWipe(*wipeFlag); err != nil {
			return &usageError{msg: err.Error(), usage: in.usage()}
		}
	}
	lib, err := library.Open(*libDir)
	if err != nil {
		return err
	}
	dev, err := flash.Open(pos[0], true)
	if err != nil {
		return err
	}
	defer dev.Close()
	r, release, err := dev.Reader()
	if err != nil {
		return err
	}
	defer release()
	rep, err := flash.Check(ctx, r, dev.Size(), lib)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	var wrep *flash.WipeReport
	if *wipeFlag != "" {
		if wrep, err = flash.CheckWipe(ctx, r, dev.Size(), wipe); err != nil {
			return fmt.Errorf("%s: wipe check: %w", pos[0], err)
		}
	}
	if *asJSON {
		if err := printJSON(in.stdout, map[string]any{
			"target": pos[0], "ok": rep.OK() && (wrep == nil || wrep.OK()), "label": rep.Label, "volume_id": volumeID(rep.VolumeID),
			"good_files": rep.Good, "good_bytes": rep.Bytes, "tiers": rep.Tiers,
			"missing": rep.Missing, "differ": rep.Differ, "extra": rep.Extra, "timestamps": rep.Stamps,
			"wipe": wipeJSON(*wipeFlag, wrep),
		}); err != nil {
			return err
		}
	} else {
		w := in.stdout
		fmt.Fprintf(w, "%s: volume %q, ID %s\n", pos[0], rep.Label, volumeID(rep.VolumeID))
		var tiers []string
		counts := lib.Manifest.Counts() // once: it walks every file
		for i, n := range rep.Tiers {
			tiers = append(tiers, fmt.Sprintf("tier %d: %d of %d", i+1, n, counts[i].Files))
		}
		fmt.Fprintf(w, "%d files intact (%s); %s\n", rep.Good, flash.Bytes(rep.Bytes), strings.Join(tiers, ", "))
		for _, l := range []struct {
			what  string
			items []string
		}{{"missing from tier 1", rep.Missing}, {"differs", rep.Differ}, {"not in the library", rep.Extra}, {"timestamp is not a copy of the library's", rep.Stamps}} {
			for _, item := range l.items {
				fmt.Fprintf(w, "  %s: %s\n", l.what, item)
			}
		}
		printWipe(w, *wipeFlag, wrep)
	}
	if !rep.OK() {
		n := len(rep.Missing) + len(rep.Differ) + len(rep.Extra) + len(rep.Stamps)
		return fmt.Errorf("%s does not match library %q: %s", pos[0], lib.Manifest.Name, plural(n, "difference", "differences"))
	}
	if wrep != nil && !wrep.OK() {
		return fmt.Errorf("%s holds library %q, but the %s fill is not in %s of its free space or gaps (%s): the wipe did not finish or was not %s",
			pos[0], lib.Manifest.Name, *wipeFlag, plural(wrep.BadRuns, "run", "runs"), flash.Bytes(wrep.BadBytes), *wipeFlag)
	}
	if !*asJSON {
		fmt.Fprintln(in.stdout, "OK: the drive holds the library faithfully")
	}
	return nil
}

// printWipe says what check found of the wipe, or that it did not look.
func printWipe(w io.Writer, wipe string, rep *flash.WipeReport) {
	if rep == nil {
		fmt.Fprintln(w, "free space: not checked (give --wipe zero or --wipe random to check that it holds only the fill)")
		return
	}
	fmt.Fprintf(w, "free space: %s read (%s of it free space, the rest gaps and file ends)", flash.Bytes(rep.Checked), flash.Bytes(rep.FreeBytes))
	if rep.Unjudged > 0 {
		fmt.Fprintf(w, "; %s in runs too short to judge as random", flash.Bytes(rep.Unjudged))
	}
	if rep.OK() {
		fmt.Fprintf(w, ": all of it holds the %s fill\n", wipe)
		return
	}
	fmt.Fprintf(w, ": the %s fill is not in %s (%s)\n", wipe, plural(rep.BadRuns, "run", "runs"), flash.Bytes(rep.BadBytes))
	for _, b := range rep.Bad {
		fmt.Fprintf(w, "  not the fill: %s\n", b)
	}
	if rep.BadRuns > len(rep.Bad) {
		fmt.Fprintf(w, "  and %d more runs\n", rep.BadRuns-len(rep.Bad))
	}
}

// wipeJSON is the wipe check as check --json prints it; nil when not
// asked for.
func wipeJSON(wipe string, rep *flash.WipeReport) any {
	if rep == nil {
		return nil
	}
	return map[string]any{
		"fill": wipe, "ok": rep.OK(), "checked_bytes": rep.Checked, "free_bytes": rep.FreeBytes,
		"unjudged_bytes": rep.Unjudged, "bad_runs": rep.BadRuns, "bad_bytes": rep.BadBytes, "bad": rep.Bad,
	}
}
