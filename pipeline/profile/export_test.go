package profile

// SetReadChunk sets the bytes a worker of ReadCSV parses at a time, for a
// test that wants many chunks of a small file; it returns the way back.
func SetReadChunk(n int) (restore func()) {
	old := readChunk
	readChunk = n
	return func() { readChunk = old }
}
