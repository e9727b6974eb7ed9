package rundir

import (
	"encoding/json"

	"path/filepath"
	"time"
)

// Manifest records what a run directory holds and how it was made: written
// after every stage, it is how a later run knows what it can keep.
type Manifest struct {
	Tool     string `json:"tool"`
	Version  string `json:"version"`
	Campaign string `json:"campaign"`
	Month    string `json:"month"`
	// Wave names a resend of the month, "" for the month's first send.
	Wave       string        `json:"wave,omitempty"`
	ConfigHash string        `json:"config_hash"`
	Seed       uint64        `json:"seed"`
	Templates  string        `json:"templates"`
	Inputs     []InputRecord `json:"inputs"`
	// Settings are the campaign's settings as the run used them, so that
	// a later command (tailor render) can work from the directory alone.
	// The orchestrator gives them their type.
	Settings json.RawMessage `json:"settings,omitempty"`
	// Unmapped counts the profiled transactions whose merchant category
	// code no table maps, by code.
	Unmapped map[string]int `json:"unmapped_mcc,omitempty"`
	// Data is where the transactions fall against the profile window,
	// nil before a profile ran on transactions.
	Data   *DataRange    `json:"data,omitempty"`
	Stages []StageRecord `json:"stages"`
	// Send counts the send ledger's messages by variant and state, as
	// the last tailor send left them; absent before any send.
	Send map[string]map[string]int `json:"send,omitempty"`
	// LastRun says what the latest invocation did.
	LastRun RunRecord `json:"last_run"`
}

// DataRange is where a run's transactions fall against its profile window:
// dates as YYYY-MM-DD.
type DataRange struct {
	// WindowFrom and WindowTo are the first and last days of the window.
	WindowFrom string `json:"window_from"`
	WindowTo   string `json:"window_to"`
	// First and Last are the dates of the earliest and latest
	// transaction of a known cardholder.
	First string `json:"first"`
	Last  string `json:"last"`
	// InWindow, Before and After count those transactions; Credits
	// counts the payments and credits to the card in the window, left out
	// of spend, and CreditAmount is their total ("-656.00 GBP").
	InWindow     int    `json:"in_window"`
	Before       int    `json:"before"`
	After        int    `json:"after"`
	Credits      int    `json:"credits,omitempty"`
	CreditAmount string `json:"credit_amount,omitempty"`
}

// InputRecord identifies one input file and what became of its rows.
type InputRecord struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	// Stamp identifies the bytes hashed by the file's metadata
	// (rundir.Stamp): a later run finding the same stamp takes SHA256
	// without reading the file again. Empty when the file had just been
	// written.
	Stamp    string `json:"stamp,omitempty"`
	Rows     int    `json:"rows"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	// EmptyRows and RepeatedHeaders count the rows skipped, neither
	// accepted nor rejected: Rows = Accepted + Rejected + EmptyRows +
	// RepeatedHeaders + Filtered.
	EmptyRows       int `json:"empty_rows,omitempty"`
	RepeatedHeaders int `json:"repeated_headers,omitempty"`
	// Filtered counts the rows the campaign's row filters left out, also
	// skipped.
	Filtered int `json:"filtered,omitempty"`
	// Encoding is how the file was read ("utf-8", "windows-1252",
	// "utf-16le", ...; empty for a workbook), EncodingDetected whether
	// tailor chose it, the campaign naming none.
	Encoding         string `json:"encoding,omitempty"`
	EncodingDetected bool   `json:"encoding_detected,omitempty"`
	// Filled counts the empty cells of pre-aggregated profile columns
	// filled by the campaign's missing-value policy, by column.
	Filled map[string]int `json:"filled,omitempty"`
	// Reasons counts rejected rows by reason.
	Reasons map[string]int `json:"reasons,omitempty"`
	// UnmappedCategories counts transactions whose category no table
	// maps, by category.
	UnmappedCategories map[string]int `json:"unmapped_categories,omitempty"`
}

// Status is the state of a stage or an invocation.
type Status string

// Statuses.
const (
	// Running: the invocation has started and not finished.
	Running Status = "running"
	// Done: the stage's outputs, or everything the invocation set out to
	// do, are complete.
	Done Status = "done"
	// Failed: the invocation stopped on an error.
	Failed Status = "failed"
	// Interrupted: the invocation was cancelled (Ctrl-C, SIGTERM).
	Interrupted Status = "interrupted"
)

// StageRecord is the state of one stage.
type StageRecord struct {
	Name string `json:"name"`
	// Status is Done once the stage's outputs are complete.
	Status Status `json:"status"`
	// Key hashes everything the stage's outputs depend on.
	Key        string    `json:"key"`
	FinishedAt time.Time `json:"finished_at"`
	DurationMS int64     `json:"duration_ms"`
	// CPUMS is the processor time the stage used, user and system, all
	// cores: CPUMS / DurationMS is how many cores it kept busy.
	// PeakRSS is the process's peak resident memory while it ran, in
	// bytes (since the process started where the system cannot reset
	// the peak). Both are 0 when not measured.
	CPUMS   int64 `json:"cpu_ms,omitempty"`
	PeakRSS int64 `json:"peak_rss_bytes,omitempty"`
	// FilesMS, for a stage whose files are written while the next stage
	// runs (the profile and cluster stages of a run), is how long that
	// took after DurationMS; its processor time counts in the next
	// stage's CPUMS.
	FilesMS int64 `json:"files_ms,omitempty"`
	// Counts are the stage's counts, by name.
	Counts  map[string]int `json:"counts,omitempty"`
	Outputs []OutputRecord `json:"outputs"`
}

// OutputRecord is one output of a stage: a file, or a directory hashed as a
// whole.
type OutputRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Files  int    `json:"files,omitempty"`
}

// RunRecord describes one invocation.
type RunRecord struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Ran        []string  `json:"ran"`
	Kept       []string  `json:"kept"`
	Status     Status    `json:"status"`
	Error      string    `json:"error,omitempty"`
}

// ReadManifest reads the manifest of run directory dir.
func ReadManifest(dir string) (*Manifest, error) {
	var m Manifest
	if err := ReadJSON(filepath.Join(dir, ManifestFile), &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Write writes the manifest into run directory dir, atomically.
func (m *Manifest) Write(dir string) error {
	return WriteJSON(filepath.Join(dir, ManifestFile), m)
}

// Stage returns the record of the named stage, nil when there is none.
func (m *Manifest) Stage(name string) *StageRecord {
	for i := range m.Stages {
		if m.Stages[i].Name == name {
			return &m.Stages[i]
		}
	}
	return nil
}

// SetStage records a stage, replacing its earlier record.
func (m *Manifest) SetStage(rec StageRecord) {
	if s := m.Stage(rec.Name); s != nil {
		*s = rec
		return
	}
	m.Stages = append(m.Stages, rec)
}

// Current reports whether the named stage is done under key with every
// output still as it was written into dir.
func (m *Manifest) Current(dir, name, key string) bool {
	rec := m.Stage(name)
	return rec != nil && rec.Status == Done && rec.Key == key && OutputsIntact(dir, rec.Outputs)
}
