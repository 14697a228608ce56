//go:build !linux

package main

import "os"

// isTerminal reports whether f is a terminal; unknown here, so no.
func isTerminal(f *os.File) bool { return false }
