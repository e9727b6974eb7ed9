//go:build !linux

package usage

// AdviseHeap does nothing here: transparent huge pages are Linux's.
func AdviseHeap() (stop func()) { return func() {} }
