//go:build tools

package vm

// The kernels are code-less modules: this import keeps them in go.mod.
import (
	_ "github.com/gokrazy/kernel.arm64"
)
