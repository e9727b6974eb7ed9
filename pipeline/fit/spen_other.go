//go:build !amd64

package fit

// useAVX2 is false: no kernel here.
var useAVX2 = false

// indexSpenArch leaves all of b to the Go code.
func indexSpenArch([]byte) int { return 0 }

// indexStopArch leaves all of b to the Go code.
func indexStopArch([]byte) int { return 0 }

// lastStopArch leaves all of b to the Go code.
func lastStopArch(b []byte) int { return -1 - len(b) }
