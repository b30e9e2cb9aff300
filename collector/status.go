package collector

import (
	"sort"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// EnrollmentStatus is what the status page shows of one enrollment.
type EnrollmentStatus struct {
	Number    string
	Periods   []string
	KeyExpiry time.Time
	Reports   []ReportStatus
}

// ReportStatus is what the status page shows of one report.
type ReportStatus struct {
	Name     string
	Enabled  bool
	Interval time.Duration
	ETag     string
	Health
}

// Status returns the state of every enrollment and report, for humans.
// It holds no key.
func (x *Exporter) Status(cfg *config.Config) []EnrollmentStatus {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []EnrollmentStatus
	for _, e := range x.enrollments {
		es := EnrollmentStatus{Number: e.number, Periods: e.tracked(), KeyExpiry: e.keyExpiry}
		for _, name := range config.ReportNames {
			rs := ReportStatus{Name: name}
			if cfg != nil {
				rc := cfg.Reports.Get(name)
				rs.Interval = time.Duration(rc.Interval)
			}
			if p := e.byName[name]; p != nil {
				rs.Enabled = true
				rs.Interval = p.interval
				rs.Health = p.snapshot()
				rs.ETag = p.report.etags()
			}
			es.Reports = append(es.Reports, rs)
		}
		out = append(out, es)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}
