package pipeline

import "github.com/tailor-mail/tailor/pipeline/internal/usage"

// DefaultMemoryLimit gives the Go runtime a soft memory limit of 90% of
// the memory the process may use (the machine's, or its control group's
// limit when lower), unless getenv gives GOMEMLIMIT: a run too large for
// the machine makes the collector work harder instead of being killed. It
// returns the limit set, 0 for none. tailor's commands call it first; a
// run's --memory-limit then replaces it.
func DefaultMemoryLimit(getenv func(string) string) int64 {
	return usage.DefaultMemoryLimit(getenv)
}
