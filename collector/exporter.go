// Package collector turns the EA Reporting API's reports into Prometheus
// metrics. One poller per enrollment and report refreshes the report on its
// own interval, with ETags, and swaps in an immutable snapshot; the
// Exporter, a prometheus.Collector, serves the snapshots as const metrics.
// A scrape never calls the API.
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
)

// Options configure an Exporter. Zero values take defaults.
type Options struct {
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// HTTPClient and Retry are passed to every API client.
	HTTPClient     *http.Client
	Retry          eaclient.Retry
	RequestTimeout time.Duration
	UserAgent      string
	// Limits of the API client (zero: the client's defaults).
	MaxBodyBytes int64
	MaxPages     int
	// StoragePath, when set, is where each report's last snapshot and
	// ETags are kept across restarts.
	StoragePath string
}

// Exporter runs the pollers of every configured enrollment and serves their
// data. It is a prometheus.Collector.
type Exporter struct {
	opts   Options
	logger *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu          sync.RWMutex
	enrollments map[string]*enrollment
	store       *store

	// gen counts changes of what Collect serves: refreshes and reloads.
	gen atomic.Uint64

	// Counters outlive reloads, so they live here rather than in pollers.
	countersMu sync.Mutex
	requests   map[[3]string]float64 // enrollment, report, code
	failures   map[[2]string]float64 // enrollment, report
}

var _ prometheus.Collector = (*Exporter)(nil)

// New returns an Exporter with nothing configured; call Apply.
func New(opts Options) *Exporter {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	x := &Exporter{
		opts: opts, logger: opts.Logger, ctx: ctx, cancel: cancel,
		enrollments: map[string]*enrollment{},
		requests:    map[[3]string]float64{},
		failures:    map[[2]string]float64{},
	}
	if opts.StoragePath != "" {
		x.store = &store{dir: opts.StoragePath}
	}
	return x
}

// Apply makes the running pollers match cfg: enrollments that are gone are
// stopped, new ones started, and changed ones restarted with the data they
// had, which they revalidate with their ETags. Unchanged enrollments keep
// running untouched.
func (x *Exporter) Apply(cfg *config.Config) error {
	next := map[string]*enrollment{}
	var started []*enrollment
	x.mu.RLock()
	current := x.enrollments
	x.mu.RUnlock()
	for i := range cfg.Enrollments {
		ec := &cfg.Enrollments[i]
		fp := enrollmentFingerprint(cfg, ec)
		if old, ok := current[ec.Number]; ok && old.fingerprint == fp {
			next[ec.Number] = old
			continue
		}
		e, err := x.newEnrollment(cfg, ec, fp)
		if err != nil {
			for _, s := range started {
				s.stop()
			}
			return err
		}
		if old, ok := current[ec.Number]; ok {
			old.stop()
			e.adopt(old)
		}
		next[ec.Number] = e
		started = append(started, e)
	}
	for n, old := range current {
		if _, keep := next[n]; !keep {
			old.stop()
			x.logger.Info("stopped enrollment", "enrollment", n)
		}
	}
	x.mu.Lock()
	x.enrollments = next
	x.mu.Unlock()
	x.gen.Add(1)
	for _, e := range started {
		e.start(x.ctx)
		x.logger.Info("polling enrollment", "enrollment", e.number, "reports", len(e.pollers))
	}
	return nil
}

func (x *Exporter) newEnrollment(cfg *config.Config, ec *config.Enrollment, fp string) (*enrollment, error) {
	logger := x.logger.With("enrollment", ec.Number)
	e := &enrollment{
		number: ec.Number, fingerprint: fp, nPeriods: ec.BillingPeriods,
		logger: logger, now: x.opts.Now, byName: map[string]*poller{},
		periodsC: make(chan struct{}),
	}
	client, err := eaclient.New(eaclient.Config{
		BaseURL: ec.BaseURL, Enrollment: ec.Number, APIKey: ec.Key(),
		HTTPClient: x.opts.HTTPClient, Retry: x.opts.Retry, RequestTimeout: x.opts.RequestTimeout,
		MaxBodyBytes: x.opts.MaxBodyBytes, MaxPages: x.opts.MaxPages,
		UserAgent: x.opts.UserAgent, Logger: logger,
		ObserveRequest: func(report, code string) {
			if report == eaclient.ReportReservationSummaries {
				report = config.ReservationDetails // the report the exporter reads it for
			}
			x.countersMu.Lock()
			x.requests[[3]string{ec.Number, report, code}]++
			x.countersMu.Unlock()
		},
	})
	if err != nil {
		return nil, err
	}
	e.client = client
	if exp, ok := eaclient.KeyExpiry(ec.Key()); ok {
		e.keyExpiry = exp
	}
	for _, b := range cfg.Budgets {
		if b.Enrollment == ec.Number {
			e.budgets = append(e.budgets, b)
		}
	}
	e.balance = &balanceReport{e: e}
	e.usage = &usageReport{e: e, layout: newUsageLayout(cfg, ec.Number), foldLogged: map[string]bool{}}
	e.market = newMarketplaceReport(e, cfg)
	reports := map[string]report{
		config.BillingPeriods:     &billingPeriodsReport{e: e},
		config.BalanceSummary:     e.balance,
		config.UsageDetails:       e.usage,
		config.MarketplaceCharges: e.market,
		config.PriceSheet:         &priceSheetReport{e: e},
		config.ReservationDetails: &reservationUsageReport{e: e},
		config.ReservationCharges: &reservationChargesReport{e: e},
	}
	for _, name := range config.ReportNames {
		rc := cfg.Reports.Get(name)
		if !rc.Enabled {
			continue
		}
		var after <-chan struct{}
		if name != config.BillingPeriods {
			after = e.periodsC
		}
		p := newPoller(name, time.Duration(rc.Interval), reports[name], after, logger, x.opts.Now)
		key := [2]string{ec.Number, name}
		p.onFailure = func() {
			x.countersMu.Lock()
			x.failures[key]++
			x.countersMu.Unlock()
		}
		p.onRefreshed = func() { x.gen.Add(1) }
		e.pollers = append(e.pollers, p)
		e.byName[name] = p
		if x.store != nil {
			x.restore(e, p)
			p.persist = func(h Health) {
				if err := x.store.save(e.number, p.name, layoutOf(e, p.report), p.report.data(), h); err != nil {
					p.logger.Warn("cannot save the report's data for a restart", "err", err)
				}
			}
		}
	}
	return e, nil
}

// layoutOf fingerprints what a report's series look like, so that data is
// not restored (from disk or from the enrollment a reload replaces) into
// another configuration's labels or budgets.
func layoutOf(e *enrollment, r report) string {
	switch r := r.(type) {
	case *usageReport:
		return e.fingerprintUsage()
	case *marketplaceReport:
		return budgetNames(r.budgets)
	}
	return ""
}

// restore serves a report's saved data until its first refresh, which
// revalidates it with the saved ETags.
func (x *Exporter) restore(e *enrollment, p *poller) {
	resolve := staticDesc
	if u, ok := p.report.(*usageReport); ok {
		resolve = func(name string) *prometheus.Desc {
			switch {
			case name == "azure_ea_usage_cost":
				return u.layout.costDesc
			case name == "azure_ea_usage_quantity" && u.layout.qtyDesc != nil:
				return u.layout.qtyDesc
			}
			return staticDesc(name)
		}
	}
	entries, h, err := x.store.load(e.number, p.name, layoutOf(e, p.report), resolve)
	switch {
	case errors.Is(err, errNoState):
		return
	case err != nil:
		p.logger.Warn("ignoring saved data", "err", err)
		return
	}
	p.report.data().store(entries)
	p.health.LastSuccess, p.health.LastChange, p.health.Rows = h.LastSuccess, h.LastChange, h.Rows
	if ps, ok := entries[""].extra.([]billing.Period); ok && p.name == config.BillingPeriods {
		e.mu.Lock()
		e.periods = ps
		e.mu.Unlock()
	}
	p.logger.Info("serving saved data until the first refresh", "saved_rows", h.Rows)
}

// adopt takes over the data, periods and health of the enrollment it
// replaces, so that a reload leaves no gap.
func (e *enrollment) adopt(old *enrollment) {
	old.mu.Lock()
	e.periods = old.periods
	old.mu.Unlock()
	for _, p := range e.pollers {
		op := old.byName[p.name]
		if op == nil {
			continue
		}
		if layoutOf(e, p.report) == layoutOf(old, op.report) {
			p.report.data().adopt(op.report.data())
		}
		h := op.snapshot()
		h.Running = false
		p.health = h
	}
}

func (e *enrollment) fingerprintUsage() string {
	l := e.usage.layout
	// Plain separators: the fingerprint is stored in JSON, which would
	// mangle labelKey's 0xff.
	return strings.Join(l.labels, ",") + "|" + strconv.Itoa(l.maxSeries) + "|" + budgetNames(l.budgets) + "|" + strconv.FormatBool(l.withUnit)
}

func budgetNames(bs []budgetMatcher) string {
	s := ""
	for _, b := range bs {
		s += fmt.Sprintf("%q=%q;", b.name, b.values)
	}
	return s
}

// Generation changes whenever what Collect serves may have changed: after
// every refresh and every reload. Between changes, an encoding of Collect's
// output can be served again.
func (x *Exporter) Generation() uint64 { return x.gen.Load() }

// Stop stops every poller.
func (x *Exporter) Stop() {
	x.cancel()
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, e := range x.enrollments {
		e.stop()
	}
}

// Ready reports whether every enabled report of every enrollment has
// completed its first refresh, successfully or not.
func (x *Exporter) Ready() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, e := range x.enrollments {
		for _, p := range e.pollers {
			if p.snapshot().Attempts == 0 {
				return false
			}
		}
	}
	return true
}

// Describe sends nothing: the usage metrics' labels follow the
// configuration, which a reload may change, so the Exporter is an
// unchecked collector.
func (x *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect serves the last snapshots. It never calls the API.
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

func (x *Exporter) collectEnrollment(ch chan<- prometheus.Metric, e *enrollment) {
	n := e.number
	if !e.keyExpiry.IsZero() {
		ch <- prometheus.MustNewConstMetric(descKeyExpiry, prometheus.GaugeValue, unix(e.keyExpiry), n)
	}
	if _, on := e.byName[config.BalanceSummary]; on {
		if c := e.balance.currency(); c != "" {
			ch <- prometheus.MustNewConstMetric(descEnrollmentInfo, prometheus.GaugeValue, 1, n, c)
		}
	}
	tracked := map[string]bool{}
	for _, p := range e.tracked() {
		tracked[p] = true
	}
	for _, p := range e.pollers {
		for _, s := range p.report.series() {
			if s.period != "" && !tracked[s.period] {
				continue // a period no longer tracked disappears
			}
			// Not Must: a snapshot restored from disk is not trusted to
			// fit; a bad series is reported, never a panic.
			m, err := prometheus.NewConstMetric(s.desc, prometheus.GaugeValue, s.value, append([]string{n}, s.labels...)...)
			if err != nil {
				m = prometheus.NewInvalidMetric(s.desc, err)
			}
			ch <- m
		}
	}
	x.collectBudgets(ch, e)
	for _, p := range e.pollers {
		ch <- prometheus.MustNewConstMetric(descInterval, prometheus.GaugeValue, p.interval.Seconds(), n, p.name)
		h := p.snapshot()
		if h.Attempts == 0 {
			continue
		}
		up := 0.0
		if h.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, n, p.name)
		ch <- prometheus.MustNewConstMetric(descDuration, prometheus.GaugeValue, h.Duration.Seconds(), n, p.name)
		if !h.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, unix(h.LastSuccess), n, p.name)
			ch <- prometheus.MustNewConstMetric(descLastChange, prometheus.GaugeValue, unix(h.LastChange), n, p.name)
			ch <- prometheus.MustNewConstMetric(descRows, prometheus.GaugeValue, float64(h.Rows), n, p.name)
		}
	}
}

func (x *Exporter) collectBudgets(ch chan<- prometheus.Metric, e *enrollment) {
	if len(e.budgets) == 0 {
		return
	}
	current := e.tracked()[0]
	var sources []map[string]float64
	if _, on := e.byName[config.UsageDetails]; on {
		if b, ok := e.usage.budgetSpent(current); ok {
			sources = append(sources, b)
		}
	}
	if _, on := e.byName[config.MarketplaceCharges]; on {
		if b, ok := e.market.budgetSpent(current); ok {
			sources = append(sources, b)
		}
	}
	for _, b := range e.budgets {
		ch <- prometheus.MustNewConstMetric(descBudgetAmount, prometheus.GaugeValue, b.Amount, e.number, b.Name)
		if len(sources) == 0 {
			continue
		}
		spent := 0.0
		for _, s := range sources {
			spent += s[b.Name]
		}
		ch <- prometheus.MustNewConstMetric(descBudgetSpent, prometheus.GaugeValue, spent, e.number, b.Name)
	}
}

func (x *Exporter) collectCounters(ch chan<- prometheus.Metric, ens []*enrollment) {
	enabled := map[[2]string]bool{}
	for _, e := range ens {
		for _, p := range e.pollers {
			enabled[[2]string{e.number, p.name}] = true
		}
	}
	x.countersMu.Lock()
	defer x.countersMu.Unlock()
	for k, v := range x.requests {
		if enabled[[2]string{k[0], k[1]}] {
			ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, v, k[0], k[1], k[2])
		}
	}
	// Failures start at zero for every enabled report, so that rate() and
	// increase() see the first failure.
	for k := range enabled {
		ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, x.failures[k], k[0], k[1])
	}
}
