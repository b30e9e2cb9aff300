package collector

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// Persistence (Options.StoragePath): after every refresh that brings new
// data, a report's snapshot and ETags are written to
// <path>/<enrollment>/<report>.json.gz (write, sync, rename: a crash never
// leaves half a file). On start the exporter serves what it finds at once
// and revalidates it with If-None-Match, so a restart costs neither a gap
// in the graphs nor a new download of gigabytes of usage rows.

const storageVersion = 1

type persistedReport struct {
	Version    int                       `json:"version"`
	Enrollment string                    `json:"enrollment"`
	Report     string                    `json:"report"`
	Layout     string                    `json:"layout"`
	SavedAt    time.Time                 `json:"saved_at"`
	Health     persistedHealth           `json:"health"`
	Entries    map[string]persistedEntry `json:"entries"`
}

type persistedHealth struct {
	LastSuccess time.Time `json:"last_success"`
	LastChange  time.Time `json:"last_change"`
	Rows        int       `json:"rows"`
}

type persistedEntry struct {
	ETag   string            `json:"etag"`
	Rows   int               `json:"rows"`
	Series []persistedSeries `json:"series"`
	Extra  persistedExtra    `json:"extra"`
}

type persistedSeries struct {
	Name   string   `json:"m"`
	Period string   `json:"p,omitempty"`
	Labels []string `json:"l"`
	Value  float64  `json:"v"`
}

// persistedExtra holds the report-specific parts of an entry.
type persistedExtra struct {
	Periods  []billing.Period   `json:"periods,omitempty"`  // billing periods
	Currency string             `json:"currency,omitempty"` // balance summary
	Budgets  map[string]float64 `json:"budgets,omitempty"`  // usage, marketplace
	Folded   int                `json:"folded,omitempty"`   // usage
	Kind     string             `json:"kind,omitempty"`
}

// descNames maps every Desc the collector made to its metric name, and
// staticDescs the names of the fixed ones back to them.
var (
	descNames   sync.Map // *prometheus.Desc -> string
	staticDescs sync.Map // string -> *prometheus.Desc
)

func toExtra(x any) persistedExtra {
	switch v := x.(type) {
	case []billing.Period:
		return persistedExtra{Kind: "periods", Periods: v}
	case string:
		return persistedExtra{Kind: "currency", Currency: v}
	case usageExtra:
		return persistedExtra{Kind: "usage", Budgets: v.budgets, Folded: v.folded}
	case map[string]float64:
		return persistedExtra{Kind: "budgets", Budgets: v}
	}
	return persistedExtra{}
}

func fromExtra(p persistedExtra) any {
	switch p.Kind {
	case "periods":
		return p.Periods
	case "currency":
		return p.Currency
	case "usage":
		b := p.Budgets
		if b == nil {
			b = map[string]float64{}
		}
		return usageExtra{budgets: b, folded: p.Folded}
	case "budgets":
		if p.Budgets == nil {
			return map[string]float64{}
		}
		return p.Budgets
	}
	return nil
}

// store is the exporter's persistence, nil when disabled.
type store struct{ dir string }

func (s *store) path(enrollment, report string) string {
	return filepath.Join(s.dir, enrollment, report+".json.gz")
}

// save writes a report's entries and health atomically.
func (s *store) save(enrollment, report, layout string, c *cache, h Health) error {
	p := persistedReport{
		Version: storageVersion, Enrollment: enrollment, Report: report, Layout: layout, SavedAt: time.Now().UTC(),
		Health:  persistedHealth{LastSuccess: h.LastSuccess, LastChange: h.LastChange, Rows: h.Rows},
		Entries: map[string]persistedEntry{},
	}
	for period, e := range c.load() {
		pe := persistedEntry{ETag: e.etag, Rows: e.rows, Extra: toExtra(e.extra), Series: make([]persistedSeries, 0, len(e.series))}
		for _, sr := range e.series {
			name, ok := descNames.Load(sr.desc)
			if !ok {
				return fmt.Errorf("no name for a series of %s", report)
			}
			pe.Series = append(pe.Series, persistedSeries{Name: name.(string), Period: sr.period, Labels: sr.labels, Value: sr.value})
		}
		p.Entries[period] = pe
	}
	path := s.path(enrollment, report)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+report+".*.tmp")
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

var errNoState = errors.New("no saved state")

// load reads a report's saved state. resolve maps a metric name to its
// Desc; a series it cannot place, or a layout that changed, discards the
// whole file: half a snapshot would be worse than none.
func (s *store) load(enrollment, report, layout string, resolve func(string) *prometheus.Desc) (map[string]periodEntry, persistedHealth, error) {
	f, err := os.Open(s.path(enrollment, report))
	if errors.Is(err, os.ErrNotExist) {
		return nil, persistedHealth{}, errNoState
	}
	if err != nil {
		return nil, persistedHealth{}, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, persistedHealth{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	var p persistedReport
	if err := json.NewDecoder(io.LimitReader(zr, 4<<30)).Decode(&p); err != nil {
		return nil, persistedHealth{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	switch {
	case p.Version != storageVersion:
		return nil, persistedHealth{}, fmt.Errorf("%s: version %d, want %d", f.Name(), p.Version, storageVersion)
	case p.Enrollment != enrollment || p.Report != report:
		return nil, persistedHealth{}, fmt.Errorf("%s: holds %s/%s", f.Name(), p.Enrollment, p.Report)
	case p.Layout != layout:
		return nil, persistedHealth{}, fmt.Errorf("%s: saved with other labels (the configuration changed)", f.Name())
	}
	out := map[string]periodEntry{}
	for period, pe := range p.Entries {
		e := periodEntry{etag: pe.ETag, rows: pe.Rows, extra: fromExtra(pe.Extra), series: make([]series, 0, len(pe.Series))}
		for _, ps := range pe.Series {
			d := resolve(ps.Name)
			if d == nil {
				return nil, persistedHealth{}, fmt.Errorf("%s: unknown metric %q", f.Name(), ps.Name)
			}
			e.series = append(e.series, series{desc: d, period: ps.Period, value: ps.Value, labels: ps.Labels})
		}
		out[period] = e
	}
	return out, p.Health, nil
}
