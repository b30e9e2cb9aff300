// Package collector turns an enrollment's billing reports into Prometheus
// metrics. One poller per enrollment and report refreshes the report on its
// own interval, revalidating what it holds, and swaps in an immutable
// aggregate; the Exporter, a prometheus.Collector, serves the aggregates as
// const metrics. A scrape never calls a source.
//
// The package reads every upstream through billing.Source and imports
// none: main chooses each enrollment's source through Options.OpenSource.
package collector

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// SourceOpener opens the source of enrollment e of cfg; the source reports
// its requests and quotas to obs.
type SourceOpener func(cfg *config.Config, e *config.Enrollment, obs billing.Observer, logger *slog.Logger) (billing.Source, error)

// Options configure an Exporter. Zero values take defaults.
type Options struct {
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OpenSource opens each enrollment's source. Required.
	OpenSource SourceOpener
	// StoragePath, when set, is where each report's last aggregate and
	// revisions are kept across restarts.
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
	// oldFormatLogged: saved data of another version was reported once.
	oldFormatLogged atomic.Bool

	// Counters outlive reloads, so they live here rather than in pollers.
	countersMu sync.Mutex
	requests   map[[3]string]float64 // enrollment, report, code
	failures   map[[2]string]float64 // enrollment, report
	remaining  map[[3]string]float64 // enrollment, report, quota
}

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
		remaining:   map[[3]string]float64{},
	}
	if opts.StoragePath != "" {
		x.store = &store{dir: opts.StoragePath}
	}
	return x
}

// Apply makes the running pollers match cfg: enrollments that are gone are
// stopped, new ones started, and changed ones restarted with the data they
// had, which they revalidate. Unchanged enrollments keep running untouched.
func (x *Exporter) Apply(cfg *config.Config) error {
	if x.opts.OpenSource == nil {
		return errors.New("collector: Options.OpenSource is not set")
	}
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
				s.source.Close()
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
		number: ec.Number, fingerprint: fp, trackedCount: ec.TrackedPeriods,
		logger: logger, now: x.opts.Now, byName: map[string]*poller{},
		periodsC: make(chan struct{}),
	}
	src, err := x.opts.OpenSource(cfg, ec, observer{x, ec.Number}, logger)
	if err != nil {
		return nil, err
	}
	e.source = src
	if ce, ok := src.(billing.CredentialExpirer); ok {
		if kind, exp, ok := ce.CredentialExpiry(); ok {
			e.credentialKind, e.credentialExpiry = kind, exp
		}
	}
	for _, b := range cfg.Budgets {
		if b.Enrollment == ec.Number {
			e.budgets = append(e.budgets, b)
		}
	}
	e.periodsReport = &billingPeriodsReport{e: e}
	e.balance = &balanceReport{e: e}
	e.usage = &usageReport{e: e, layout: newUsageLayout(cfg, ec.Number), foldLogged: map[string]bool{}}
	e.market = newMarketplaceReport(e, cfg)
	reports := map[string]report{
		config.BillingPeriods:     e.periodsReport,
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
				if err := x.store.save(e.number, p.name, p.report, h, x.opts.Now()); err != nil {
					p.logger.Warn("cannot save the report's data for a restart", "err", err)
				}
			}
		}
	}
	return e, nil
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

// observer records one enrollment's requests and quotas.
type observer struct {
	x          *Exporter
	enrollment string
}

func (o observer) Request(report, code string) {
	o.x.countersMu.Lock()
	o.x.requests[[3]string{o.enrollment, report, code}]++
	o.x.countersMu.Unlock()
}

func (o observer) Remaining(report, quota string, v float64) {
	o.x.countersMu.Lock()
	o.x.remaining[[3]string{o.enrollment, report, quota}] = v
	o.x.countersMu.Unlock()
}
