//go:build !linux

package library

import "os"

// fileIdentity is not known here: every read is checked with SHA-256.
func fileIdentity(f *os.File) (identity, bool) { return identity{}, false }
