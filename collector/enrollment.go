package collector

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// enrollment is the running state of one configured enrollment: its
// source, its pollers and the billing periods they track.
type enrollment struct {
	number       string
	fingerprint  string
	trackedCount int
	source       billing.Source
	// credential is the kind and expiry of the source's credential, where
	// the source knows it.
	credentialKind   string
	credentialExpiry time.Time
	logger           *slog.Logger
	now              func() time.Time

	pollers       []*poller
	byName        map[string]*poller
	periodsReport *billingPeriodsReport
	balance       *balanceReport
	usage         *usageReport
	market        *marketplaceReport
	budgets       []config.Budget
	periodsC      chan struct{} // closed once the billing periods are known or known to be unavailable

	mu      sync.Mutex
	periods []billing.Period

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// enrollmentFingerprint is what must stay the same for a reload to leave an
// enrollment's pollers running: any change restarts them (keeping data).
// It includes the resolved credentials, so a rotated key file restarts the
// enrollment's source with the new key.
func enrollmentFingerprint(cfg *config.Config, e *config.Enrollment) string {
	reports := map[string]config.Report{}
	for _, n := range config.ReportNames {
		reports[n] = cfg.Reports.Get(n)
	}
	var budgets []config.Budget
	for _, b := range cfg.Budgets {
		if b.Enrollment == e.Number {
			budgets = append(budgets, b)
		}
	}
	b, _ := json.Marshal(struct {
		Enrollment *config.Enrollment
		Secrets    string
		Reports    map[string]config.Report
		Usage      config.Usage
		Budgets    []config.Budget
	}{e, e.CredentialDigest(), reports, cfg.UsageDetails, budgets})
	return string(b)
}

// tracked returns the billing periods the reports read, newest first: the
// newest N from the billing periods report or, until it has answered (or
// when it is disabled), the newest N calendar months by the clock.
func (e *enrollment) tracked() []string {
	e.mu.Lock()
	ps := e.periods
	e.mu.Unlock()
	var out []string
	for _, p := range ps {
		if len(out) == e.trackedCount {
			break
		}
		out = append(out, p.ID)
	}
	if len(out) > 0 {
		return out
	}
	now := e.now().UTC()
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < e.trackedCount; i++ {
		out = append(out, billing.PeriodOf(cur.AddDate(0, -i, 0)))
	}
	return out
}

// setPeriods stores a new billing periods list and, when the tracked set
// changes (a new month), refreshes the reports that depend on it at once.
func (e *enrollment) setPeriods(ps []billing.Period) {
	before := e.tracked()
	e.mu.Lock()
	known := len(e.periods) > 0
	e.periods = ps
	e.mu.Unlock()
	// The first list only replaces the clock's guess, which no report has
	// read yet: the reports wait for it. Only a later change is news.
	if after := e.tracked(); known && !slices.Equal(before, after) {
		e.logger.Info("tracked billing periods changed", "periods", after)
		for _, p := range e.pollers {
			if p.name != config.BillingPeriods {
				p.refreshSoon()
			}
		}
	}
}

func (e *enrollment) start(ctx context.Context) {
	ctx, e.cancel = context.WithCancel(ctx)
	for _, p := range e.pollers {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			p.run(ctx)
		}()
	}
	// The billing periods report gates the others' first refresh.
	if bp := e.byName[config.BillingPeriods]; bp != nil {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			select {
			case <-bp.firstDone:
			case <-bp.done:
			}
			close(e.periodsC)
		}()
	} else {
		close(e.periodsC)
	}
}

func (e *enrollment) stop() {
	if e.cancel != nil {
		e.cancel()
	}
	e.wg.Wait()
	e.source.Close() // no keep-alive connection outlives the pollers
}
