//go:build !linux

package main

import "os"

// checkTarget passes image files; block devices need Linux.
func checkTarget(path string, anyDisk bool) error { return nil }

func isTerminal(f *os.File) bool { return false }
