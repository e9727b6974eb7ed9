//go:build !amd64

package render

// useAVX2 is false: no kernel here.
var useAVX2 = false

// tidyScan is tidyScanGo from the start.
func tidyScan(s []byte) int { return tidyScanGo(s, 1) }
