package collector

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// billingPeriodsReport tracks the enrollment's billing periods; the other
// reports read the newest N of them.
type billingPeriodsReport struct {
	cache[[]billing.Period]
	e *enrollment
}

func (r *billingPeriodsReport) data() data    { return &r.cache }
func (r *billingPeriodsReport) shape() string { return "" }

func (r *billingPeriodsReport) refresh(ctx context.Context) (bool, int, error) {
	var periods []billing.Period
	next, changed, err := refreshEntries(ctx, []string{""}, r.load(), func(ctx context.Context, _, rev string) ([]billing.Period, billing.Result, error) {
		ps, res, err := r.e.source.BillingPeriods(ctx, rev)
		if err != nil || res.NotModified {
			return nil, res, err
		}
		// Newest first, whatever order the source used.
		slices.SortFunc(ps, func(a, b billing.Period) int { return -strings.Compare(a.ID, b.ID) })
		periods = ps
		return ps, res, nil
	})
	r.store(next)
	if periods != nil {
		r.e.setPeriods(periods)
	}
	return changed, r.rows(), err
}

// periods returns the stored list, newest first.
func (r *billingPeriodsReport) periods() []billing.Period { return r.load()[""].Data }

// collect builds the series at collect time: which periods are tracked
// depends on the list and the configuration.
func (r *billingPeriodsReport) collect(s *sink) {
	for i, p := range r.periods() {
		if !s.tracked[p.ID] {
			continue
		}
		cur := 0.0
		if i == 0 {
			cur = 1
		}
		s.gauge(descPeriodStart, unix(p.Start), p.ID)
		s.gauge(descPeriodEnd, unix(p.End), p.ID)
		s.gauge(descPeriodCurrent, cur, p.ID)
	}
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
