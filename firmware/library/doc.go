// Package library builds, signs, checks and fits content libraries: the
// signed set of files (offline Wikipedia, films) that the kiosk copies onto
// every drive.
//
// A library is a folder holding manifest.json (what the library holds, with
// sizes, SHA-256 hashes and tiers), manifest.sig (an ed25519 signature over
// the exact bytes of manifest.json) and content/ (the files). Build makes
// one from a source folder, refusing before it hashes anything whatever a
// FAT32 drive could not hold; Open reads one back and rejects a hostile or
// damaged manifest; Verify checks the files against their hashes;
// CheckSignature checks trust against keys the caller holds; Fit chooses,
// tier by tier, what goes onto a drive of a given size.
//
// The package does not write drives or lay out FAT volumes: it asks package
// fat which names and sizes a volume can hold and how much room they take.
package library
