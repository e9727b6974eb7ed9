//go:build !amd64

package fit

import "testing"

// checkKernel: no kernel here.
func checkKernel(*testing.T, []byte, int) {}

// checkStopKernels: no kernels here.
func checkStopKernels(*testing.T, []byte, int, int) {}
