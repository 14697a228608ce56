package library

// The most bytes each file read from outside is allowed to hold. A file
// over its limit is refused with a *regfile.TooLargeError before it is
// read, so that a damaged or hostile file (a sparse terabyte, a link to
// /dev/zero) costs an error, not the machine's memory.
const (
	// MaxManifestSize bounds manifest.json: a library of a million files
	// has a manifest of about 180 MB.
	MaxManifestSize = 256 << 20
	// MaxSignatureSize bounds manifest.sig, which is about 250 bytes.
	MaxSignatureSize = 64 << 10
	// MaxTiersSize bounds a source's tiers.toml, a few lines of patterns.
	MaxTiersSize = 1 << 20
	// MaxKeySize bounds a key file, two short lines.
	MaxKeySize = 4 << 10
)
