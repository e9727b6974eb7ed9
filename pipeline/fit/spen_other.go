//go:build !amd64

package fit

// useAVX2 is false: no kernel here.
var useAVX2 = false

// indexSpenArch leaves all of b to the Go code.
func indexSpenArch([]byte) int { return 0 }
