package pipeline

import (
	"os"
	"path/filepath"
	"time"
)

// Manifest records what a run directory holds and how it was made:
// written after every stage, it is how a later run knows what it can keep.
type Manifest struct {
	Tool       string        `json:"tool"`
	Version    string        `json:"version"`
	Campaign   string        `json:"campaign"`
	Month      string        `json:"month"`
	ConfigHash string        `json:"config_hash"`
	Seed       uint64        `json:"seed"`
	Templates  string        `json:"templates"`
	Inputs     []InputRecord `json:"inputs"`
	// Settings are the campaign's settings as the run used them, for
	// tailor render.
	Settings *RunSettings `json:"settings,omitempty"`
	// Unmapped counts the profiled transactions whose merchant category
	// code no table maps, by code.
	Unmapped map[string]int `json:"unmapped_mcc,omitempty"`
	Stages   []StageRecord  `json:"stages"`
	// LastRun says what the latest invocation did.
	LastRun RunRecord `json:"last_run"`
}

// InputRecord identifies one input file and what became of its rows.
type InputRecord struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Bytes    int64  `json:"bytes"`
	Rows     int    `json:"rows"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	// Reasons counts rejected rows by reason.
	Reasons map[string]int `json:"reasons,omitempty"`
	// UnmappedCategories counts transactions whose category no table
	// maps, by category.
	UnmappedCategories map[string]int `json:"unmapped_categories,omitempty"`
}

// StageRecord is the state of one stage.
type StageRecord struct {
	Name string `json:"name"`
	// Status is "done" once the stage's outputs are complete.
	Status string `json:"status"`
	// Key hashes everything the stage's outputs depend on.
	Key        string         `json:"key"`
	FinishedAt time.Time      `json:"finished_at"`
	DurationMS int64          `json:"duration_ms"`
	Counts     map[string]int `json:"counts,omitempty"`
	Outputs    []OutputRecord `json:"outputs"`
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
	Status     string    `json:"status"`
	Error      string    `json:"error,omitempty"`
}

const manifestFile = "manifest.json"

func readManifest(dir string) *Manifest {
	var m Manifest
	if err := readJSON(filepath.Join(dir, manifestFile), &m); err != nil {
		return nil
	}
	return &m
}

func (m *Manifest) stage(name string) *StageRecord {
	for i := range m.Stages {
		if m.Stages[i].Name == name {
			return &m.Stages[i]
		}
	}
	return nil
}

func (m *Manifest) setStage(rec StageRecord) {
	if s := m.stage(rec.Name); s != nil {
		*s = rec
		return
	}
	m.Stages = append(m.Stages, rec)
}

// outputsIntact reports whether every recorded output is still as written.
func outputsIntact(dir string, outs []OutputRecord) bool {
	for _, o := range outs {
		p := filepath.Join(dir, filepath.FromSlash(o.Path))
		fi, err := os.Stat(p)
		if err != nil {
			return false
		}
		var sum string
		if fi.IsDir() {
			sum, _, err = hashTree(p)
		} else {
			sum, _, err = hashFile(p)
		}
		if err != nil || sum != o.SHA256 {
			return false
		}
	}
	return true
}

// recordOutputs hashes the named outputs (files or directories) of a stage.
func recordOutputs(dir string, rels ...string) ([]OutputRecord, error) {
	var out []OutputRecord
	for _, rel := range rels {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		rec := OutputRecord{Path: rel}
		if fi.IsDir() {
			rec.SHA256, rec.Files, err = hashTree(p)
		} else {
			rec.SHA256, _, err = hashFile(p)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}
