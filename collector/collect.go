package collector

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

var _ prometheus.Collector = (*Exporter)(nil)

// Describe sends nothing: the usage metrics' labels follow the
// configuration, which a reload may change, so the Exporter is an
// unchecked collector.
func (x *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect serves the last aggregates. It never calls a source.
func (x *Exporter) Collect(ch chan<- prometheus.Metric) {
	x.mu.RLock()
	ens := make([]*enrollment, 0, len(x.enrollments))
	for _, e := range x.enrollments {
		ens = append(ens, e)
	}
	x.mu.RUnlock()
	sort.Slice(ens, func(i, j int) bool { return ens[i].number < ens[j].number })

	for _, e := range ens {
		x.collectEnrollment(ch, e)
	}
	x.collectCounters(ch, ens)
}

// sink sends one enrollment's series: it adds the enrollment label and
// knows which billing periods are tracked (a period no longer tracked
// disappears).
type sink struct {
	ch         chan<- prometheus.Metric
	enrollment string
	tracked    map[string]bool
}

func (s *sink) gauge(d *prometheus.Desc, v float64, labels ...string) {
	s.send(d, v, append([]string{s.enrollment}, labels...))
}

// gaugeWith is gauge for labels that come as a period, a stored slice and
// optional trailing values.
func (s *sink) gaugeWith(d *prometheus.Desc, v float64, period string, labels []string, more ...string) {
	values := make([]string, 0, 2+len(labels)+len(more))
	values = append(values, s.enrollment, period)
	values = append(values, labels...)
	s.send(d, v, append(values, more...))
}

func (s *sink) send(d *prometheus.Desc, v float64, values []string) {
	// Not Must: an aggregate restored from disk is not trusted to fit; a
	// bad series is reported by the gather, never a panic.
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, values...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err)
	}
	s.ch <- m
}

func (x *Exporter) collectEnrollment(ch chan<- prometheus.Metric, e *enrollment) {
	tracked := e.tracked()
	s := &sink{ch: ch, enrollment: e.number, tracked: map[string]bool{}}
	for _, p := range tracked {
		s.tracked[p] = true
	}
	if !e.credentialExpiry.IsZero() {
		if e.credentialKind == billing.CredentialEAAPIKey {
			s.gauge(descKeyExpiry, unix(e.credentialExpiry)) // the metric the contract pinned first
		}
		s.gauge(descCredentialExpiry, unix(e.credentialExpiry), e.credentialKind)
	}
	if _, on := e.byName[config.BalanceSummary]; on {
		if c := e.balance.currency(tracked); c != "" {
			s.gauge(descEnrollmentInfo, 1, c)
		}
	}
	for _, p := range e.pollers {
		p.report.collect(s)
	}
	x.collectDataThrough(s, e)
	x.collectBudgets(s, e, tracked[0])
	for _, p := range e.pollers {
		h := p.snapshot()
		if h.Unsupported {
			continue
		}
		s.gauge(descInterval, p.interval.Seconds(), p.name)
		if h.Attempts == 0 {
			continue
		}
		up := 0.0
		if h.Up {
			up = 1
		}
		s.gauge(descUp, up, p.name)
		s.gauge(descDuration, h.Duration.Seconds(), p.name)
		if !h.LastSuccess.IsZero() {
			s.gauge(descLastSuccess, unix(h.LastSuccess), p.name)
			s.gauge(descLastChange, unix(h.LastChange), p.name)
			s.gauge(descRows, float64(h.Rows), p.name)
		}
	}
}

// collectDataThrough reports how far the usage and marketplace data reach.
func (x *Exporter) collectDataThrough(s *sink, e *enrollment) {
	if _, on := e.byName[config.UsageDetails]; on {
		if t := e.usage.through(s.tracked); !t.IsZero() {
			s.gauge(descDataThrough, unix(t), config.UsageDetails)
		}
	}
	if _, on := e.byName[config.MarketplaceCharges]; on {
		if t := e.market.through(s.tracked); !t.IsZero() {
			s.gauge(descDataThrough, unix(t), config.MarketplaceCharges)
		}
	}
}

// collectBudgets reports each budget's amount and the current period's
// usage and marketplace cost that matches it.
func (x *Exporter) collectBudgets(s *sink, e *enrollment, current string) {
	if len(e.budgets) == 0 {
		return
	}
	var spent []map[string]float64
	if _, on := e.byName[config.UsageDetails]; on {
		if b, ok := e.usage.budgetSpent(current); ok {
			spent = append(spent, b)
		}
	}
	if _, on := e.byName[config.MarketplaceCharges]; on {
		if b, ok := e.market.budgetSpent(current); ok {
			spent = append(spent, b)
		}
	}
	for _, b := range e.budgets {
		s.gauge(descBudgetAmount, b.Amount, b.Name)
		if len(spent) == 0 {
			continue
		}
		var total sum
		for _, m := range spent {
			total.add(m[b.Name])
		}
		s.gauge(descBudgetSpent, total.value(), b.Name)
	}
}

func (x *Exporter) collectCounters(ch chan<- prometheus.Metric, ens []*enrollment) {
	enabled := map[[2]string]bool{}
	for _, e := range ens {
		for _, p := range e.pollers {
			if !p.snapshot().Unsupported {
				enabled[[2]string{e.number, p.name}] = true
			}
		}
	}
	x.countersMu.Lock()
	defer x.countersMu.Unlock()
	for k, v := range x.requests {
		if enabled[[2]string{k[0], k[1]}] {
			ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, v, k[0], k[1], k[2])
		}
	}
	for k, v := range x.remaining {
		if enabled[[2]string{k[0], k[1]}] {
			ch <- prometheus.MustNewConstMetric(descQuotaRemaining, prometheus.GaugeValue, v, k[0], k[1], k[2])
		}
	}
	// Failures start at zero for every enabled report, so that rate() and
	// increase() see the first failure.
	for k := range enabled {
		ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, x.failures[k], k[0], k[1])
	}
}
