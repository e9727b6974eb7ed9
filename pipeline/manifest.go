package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// RunSettings is what a run directory records of the settings it was made
// with, in its manifest, so that Render can render it again from the
// directory alone.
type RunSettings struct {
	// CampaignDir is the absolute directory the campaign's relative paths
	// (inputs, templates.dir, ...) start from.
	CampaignDir string `json:"campaign_dir"`
	// Campaign is the campaign file as the run read it.
	Campaign *Campaign `json:"campaign"`
	// Outbox is the outbox mode the run used, after --outbox.
	Outbox string `json:"outbox"`
}

// ReadSettings returns the settings a manifest records; nil when it
// records none (an older tailor made it).
func ReadSettings(m *rundir.Manifest) (*RunSettings, error) {
	if len(m.Settings) == 0 {
		return nil, nil
	}
	var s RunSettings
	if err := json.Unmarshal(m.Settings, &s); err != nil {
		return nil, fmt.Errorf("%s: settings: %w", rundir.ManifestFile, err)
	}
	return &s, nil
}

// hashInputs returns the SHA-256 of every input file, by input name. A
// file whose stamp (rundir.Stamp) is the one the run directory's manifest
// recorded with its hash is not read again: a run resumed, or run again
// after a template edit, starts at once on a file of gigabytes. When no
// stage can be kept (the manifest has no finished ingest), nothing needs
// the hashes before ingest, which hashes the files as it reads them
// (readHash): their sums are left "" and the keys set again after it
// (rekey).
func (r *run) hashInputs() (map[string]string, error) {
	known := map[string]rundir.InputRecord{}
	m, err := rundir.ReadManifest(r.dir)
	if err == nil {
		for _, in := range m.Inputs {
			if in.Stamp != "" {
				known[in.Path] = in
			}
		}
	}
	later := err != nil || m.Campaign != r.c.Name || m.Month != r.monthName() ||
		m.Stage("ingest") == nil || m.Stage("ingest").Status != rundir.Done
	out := map[string]string{}
	for i := range r.inputs {
		in := &r.inputs[i]
		// A file that cannot be read has no stamp; hashing it says why.
		stamp, _ := rundir.Stamp(in.path)
		var err error
		if rec, ok := known[in.path]; ok && stamp != "" && rec.Stamp == stamp {
			in.sum, in.stamp = rec.SHA256, stamp
		} else if later {
			if _, err := os.Stat(in.path); err != nil {
				return nil, fmt.Errorf("%w: inputs.%s: %w", ErrConfig, in.name, unstat(err))
			}
			r.rekeyAfterIngest = true
		} else if in.sum, _, in.stamp, err = rundir.HashFileStamped(in.path); err != nil {
			return nil, fmt.Errorf("%w: inputs.%s: %w", ErrConfig, in.name, err)
		}
		out[in.name] = in.sum
	}
	return out, nil
}

// unstat says a Stat error as opening the file would: "open PATH: ...".
func unstat(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: "open", Path: pe.Path, Err: pe.Err}
	}
	return err
}

// readHash hashes the bytes of an input as ingest reads them.
type readHash struct {
	h hash.Hash
	n int64
	// stamp is the file's before it was opened.
	stamp string
}

func newReadHash(path string) *readHash {
	stamp, _ := rundir.Stamp(path)
	return &readHash{h: sha256.New(), stamp: stamp}
}

func (t *readHash) Write(p []byte) (int, error) {
	t.n += int64(len(p))
	return t.h.Write(p)
}

// inputSum returns the SHA-256 and size of an input file as ingest read
// it: the hash of the bytes read (rh, when the run began without it) if
// they were the whole file, the hash taken when the run began, when the
// file's stamp says it has not changed since, or else a hash of the file
// as it is now.
func inputSum(in input, rh *readHash) (sum string, size int64, stamp string, err error) {
	if rh != nil {
		if fi, err := os.Stat(in.path); err == nil && fi.Size() == rh.n {
			if now, err := rundir.Stamp(in.path); err != nil || now != rh.stamp {
				// Written while it was read: what was read is hashed.
				rh.stamp = ""
			}
			return hex.EncodeToString(rh.h.Sum(nil)), rh.n, rh.stamp, nil
		}
	}
	if in.stamp != "" {
		if now, err := rundir.Stamp(in.path); err == nil && now == in.stamp {
			fi, err := os.Stat(in.path)
			if err != nil {
				return "", 0, "", err
			}
			return in.sum, fi.Size(), in.stamp, nil
		}
	}
	return rundir.HashFileStamped(in.path)
}

// beginManifest reads the run directory's manifest, or starts one, and
// records the invocation's settings in it.
func (r *run) beginManifest() error {
	m, err := rundir.ReadManifest(r.dir)
	if err != nil || m.Campaign != r.c.Name || m.Month != r.monthName() {
		m = &rundir.Manifest{}
	}
	dir, err := filepath.Abs(r.cfg.CampaignDir)
	if err != nil {
		dir = r.cfg.CampaignDir
	}
	settings, err := json.Marshal(RunSettings{CampaignDir: dir, Campaign: r.asWritten, Outbox: r.outboxMode})
	if err != nil {
		return err
	}
	m.Tool, m.Version, m.Campaign, m.Month, m.Wave = "tailor", r.cfg.Version, r.c.Name, r.monthName(), r.wave
	m.ConfigHash, m.Seed, m.Templates, m.Settings = r.asWritten.Hash(), r.seed(), r.set.Hash(), settings
	m.LastRun = rundir.RunRecord{StartedAt: r.cfg.Now().UTC(), Status: rundir.Running}
	r.manifest = m
	return nil
}

// endManifest records how the invocation ended, err, and writes the
// manifest.
func (r *run) endManifest(err error) error {
	m := r.manifest
	m.LastRun.FinishedAt = r.cfg.Now().UTC()
	m.LastRun.Status = statusOf(err)
	if err != nil {
		m.LastRun.Error = err.Error()
	}
	return m.Write(r.dir)
}
