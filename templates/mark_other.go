//go:build !amd64

package templates

// useAVX2 is false: no kernel here.
var useAVX2 = false

// indexMarkArch leaves all of b to the Go code.
func indexMarkArch([]byte) int { return 0 }
