package collector

import (
	"context"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// balanceReport reads the commitment account of each tracked period.
type balanceReport struct {
	cache[billing.BalanceSummary]
	e *enrollment
}

func (r *balanceReport) data() data    { return &r.cache }
func (r *balanceReport) shape() string { return "" }

func (r *balanceReport) refresh(ctx context.Context) (bool, int, error) {
	next, changed, err := refreshEntries(ctx, r.e.tracked(), r.load(), func(ctx context.Context, period, rev string) (billing.BalanceSummary, billing.Result, error) {
		return r.e.source.BalanceSummary(ctx, period, rev)
	})
	r.store(next)
	return changed, r.rows(), err
}

func (r *balanceReport) collect(s *sink) {
	m := r.load()
	for _, period := range sortedKeys(m) {
		e := m[period]
		if e.NoData || !s.tracked[period] {
			continue
		}
		b := &e.Data
		s.gauge(descBalance.beginning, b.BeginningBalance, period)
		s.gauge(descBalance.ending, b.EndingBalance, period)
		s.gauge(descBalance.newPurchases, b.NewPurchases, period)
		s.gauge(descBalance.adjustments, b.Adjustments, period)
		s.gauge(descBalance.utilized, b.Utilized, period)
		s.gauge(descBalance.serviceOverage, b.ServiceOverage, period)
		s.gauge(descBalance.billedSeparately, b.ChargesBilledSeparately, period)
		s.gauge(descBalance.totalOverage, b.TotalOverage, period)
		s.gauge(descBalance.totalUsage, b.TotalUsage, period)
		s.gauge(descBalance.marketplace, b.MarketplaceCharges, period)
	}
}

// currency is the enrollment's currency from the newest balance summary
// that names one.
func (r *balanceReport) currency(tracked []string) string {
	m := r.load()
	for _, p := range tracked {
		if c := m[p].Data.Currency; c != "" {
			return c
		}
	}
	return ""
}
