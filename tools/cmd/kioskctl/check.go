package main

import (
	"context"
	"fmt"
	"strings"

	"flashkiosk/firmware/flash"
	"flashkiosk/firmware/library"
)

func checkCommand(ctx context.Context, in *invocation, args []string) error {
	libDir := in.flags.String("library", "", "the content library the drive should hold")
	asJSON := in.flags.Bool("json", false, "print the report as one JSON object")
	pos, err := in.parse(args, 1, "library")
	if err != nil {
		return err
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
	if *asJSON {
		if err := printJSON(in.stdout, map[string]any{
			"target": pos[0], "ok": rep.OK(), "label": rep.Label, "volume_id": volumeID(rep.VolumeID),
			"good_files": rep.Good, "good_bytes": rep.Bytes, "tiers": rep.Tiers,
			"missing": rep.Missing, "differ": rep.Differ, "extra": rep.Extra, "timestamps": rep.Stamps,
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
		}{{"missing from tier 1", rep.Missing}, {"differs", rep.Differ}, {"not in the library", rep.Extra}, {"timestamp is not the library's date", rep.Stamps}} {
			for _, item := range l.items {
				fmt.Fprintf(w, "  %s: %s\n", l.what, item)
			}
		}
	}
	if !rep.OK() {
		n := len(rep.Missing) + len(rep.Differ) + len(rep.Extra) + len(rep.Stamps)
		return fmt.Errorf("%s does not match library %q: %s", pos[0], lib.Manifest.Name, plural(n, "difference", "differences"))
	}
	if !*asJSON {
		fmt.Fprintln(in.stdout, "OK: the drive holds the library faithfully")
	}
	return nil
}
