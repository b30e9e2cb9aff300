package collector

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Persistence (Options.StoragePath): after every refresh that brings new
// data, a report's aggregate and revisions are written to
// <path>/<enrollment>/<report>.json.gz (write, sync, rename: a crash never
// leaves half a file). On start the exporter serves what it finds at once
// and revalidates it, so a restart costs neither a gap in the graphs nor a
// new download of gigabytes of usage rows.
//
// The file holds the typed aggregate of the report (see each report's data
// type), never metrics: a change of a metric's help or labels does not
// touch it. storageVersion changes when an aggregate's form does; a file of
// another version is ignored, and rewritten after the next refresh.

// storageVersion 1 stored metric series by name; 2 stores aggregates.
const storageVersion = 2

type persistedReport struct {
	Version    int             `json:"version"`
	Enrollment string          `json:"enrollment"`
	Report     string          `json:"report"`
	Shape      string          `json:"shape"`
	SavedAt    time.Time       `json:"saved_at"`
	Health     persistedHealth `json:"health"`
	Data       json.RawMessage `json:"data"`
}

type persistedHealth struct {
	LastSuccess time.Time `json:"last_success"`
	LastChange  time.Time `json:"last_change"`
	Rows        int       `json:"rows"`
}

// store is the exporter's persistence, nil when disabled.
type store struct{ dir string }

func (s *store) path(enrollment, report string) string {
	return filepath.Join(s.dir, enrollment, report+".json.gz")
}

// save writes a report's aggregate and health atomically.
func (s *store) save(enrollment, name string, r report, h Health, now time.Time) error {
	d, err := r.data().marshal()
	if err != nil {
		return err
	}
	p := persistedReport{
		Version: storageVersion, Enrollment: enrollment, Report: name, Shape: r.shape(), SavedAt: now.UTC(),
		Health: persistedHealth{LastSuccess: h.LastSuccess, LastChange: h.LastChange, Rows: h.Rows},
		Data:   d,
	}
	path := s.path(enrollment, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+name+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	zw := gzip.NewWriter(tmp)
	if err := json.NewEncoder(zw).Encode(p); err != nil {
		tmp.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

var (
	errNoState    = errors.New("no saved state")
	errOldVersion = errors.New("saved by another version of the exporter")
)

// load reads a report's saved aggregate into r. A file of another version
// or shape, or one that does not decode, changes nothing: half an aggregate
// would be worse than none.
func (s *store) load(enrollment, name string, r report) (persistedHealth, error) {
	f, err := os.Open(s.path(enrollment, name))
	if errors.Is(err, os.ErrNotExist) {
		return persistedHealth{}, errNoState
	}
	if err != nil {
		return persistedHealth{}, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return persistedHealth{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	var p persistedReport
	if err := json.NewDecoder(io.LimitReader(zr, 4<<30)).Decode(&p); err != nil {
		return persistedHealth{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	switch {
	case p.Version != storageVersion:
		return persistedHealth{}, fmt.Errorf("%s: %w (format %d, this one reads %d)", f.Name(), errOldVersion, p.Version, storageVersion)
	case p.Enrollment != enrollment || p.Report != name:
		return persistedHealth{}, fmt.Errorf("%s: holds %s/%s", f.Name(), p.Enrollment, p.Report)
	case p.Shape != r.shape():
		return persistedHealth{}, fmt.Errorf("%s: saved with other labels or budgets (the configuration changed)", f.Name())
	}
	if err := r.data().unmarshal(p.Data); err != nil {
		return persistedHealth{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return p.Health, nil
}
