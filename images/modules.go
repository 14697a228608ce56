//go:build tools

package images

// The Pi's boot firmware and kernel are code-less modules: this import
// keeps them, at the versions go.mod pins, in go.mod.
import (
	_ "github.com/gokrazy/firmware"
	_ "github.com/gokrazy/kernel.rpi"
)
