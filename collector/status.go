package collector

import (
	"sort"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// EnrollmentStatus is what the status page shows of one enrollment.
type EnrollmentStatus struct {
	Number  string
	Periods []string
	// CredentialKind and CredentialExpiry describe the source's credential
	// where its expiry is known.
	CredentialKind   string
	CredentialExpiry time.Time
	// Summary is the money at a glance.
	Summary Summary
	Reports []ReportStatus
}

// ReportStatus is what the status page shows of one report.
type ReportStatus struct {
	Name     string
	Enabled  bool
	Interval time.Duration
	// Revision is what the report revalidates with: ETags for the EA API,
	// content hashes for a source without them.
	Revision string
	Health
}

// Status returns the state of every enrollment and report, for humans.
// It holds no credential.
func (x *Exporter) Status(cfg *config.Config) []EnrollmentStatus {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []EnrollmentStatus
	for _, e := range x.enrollments {
		es := EnrollmentStatus{Number: e.number, Periods: e.tracked(), CredentialKind: e.credentialKind, CredentialExpiry: e.credentialExpiry, Summary: e.summary()}
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
				rs.Revision = p.report.data().revisions()
			}
			es.Reports = append(es.Reports, rs)
		}
		out = append(out, es)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}
