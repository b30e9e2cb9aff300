package collector

import (
	"context"
	"slices"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
)

// billingPeriodsReport tracks the enrollment's billing periods; the other
// reports read the newest N of them.
type billingPeriodsReport struct {
	cache
	e *enrollment
}

func (r *billingPeriodsReport) refresh(ctx context.Context) (bool, int, error) {
	var periods []billing.Period
	next, changed, err := refreshPeriods(ctx, []string{""}, r.load(), func(ctx context.Context, _, etag string) (periodEntry, eaclient.Meta, error) {
		ps, meta, err := r.e.client.BillingPeriods(ctx, etag)
		if err != nil || meta.NotModified {
			return periodEntry{}, meta, err
		}
		// Newest first, whatever order the API used.
		slices.SortFunc(ps, func(a, b billing.Period) int { return -compareStrings(a.ID, b.ID) })
		periods = ps
		return periodEntry{extra: ps}, meta, nil
	})
	r.store(next)
	if periods != nil {
		r.e.setPeriods(periods)
	}
	return changed, r.rows(), err
}

// series are built at collect time: which period is current depends on
// the tracked set.
func (r *billingPeriodsReport) series() []series {
	ps, _ := r.load()[""].extra.([]billing.Period)
	tracked := r.e.tracked()
	var out []series
	for i, p := range ps {
		if !slices.Contains(tracked, p.ID) {
			continue
		}
		cur := 0.0
		if i == 0 {
			cur = 1
		}
		out = append(out,
			series{desc: descPeriodStart, period: p.ID, value: unix(p.Start), labels: []string{p.ID}},
			series{desc: descPeriodEnd, period: p.ID, value: unix(p.End), labels: []string{p.ID}},
			series{desc: descPeriodCurrent, period: p.ID, value: cur, labels: []string{p.ID}},
		)
	}
	return out
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type balanceReport struct {
	cache
	e *enrollment
}

func (r *balanceReport) refresh(ctx context.Context) (bool, int, error) {
	next, changed, err := refreshPeriods(ctx, r.e.tracked(), r.load(), func(ctx context.Context, period, etag string) (periodEntry, eaclient.Meta, error) {
		bs, meta, err := r.e.client.BalanceSummary(ctx, period, etag)
		if err != nil || meta.NotModified {
			return periodEntry{}, meta, err
		}
		var entry periodEntry
		for _, b := range bs {
			if b.PeriodID != period {
				continue // an answer for another period is not this period's
			}
			d, l := &balanceDescs, []string{period}
			entry.series = append(entry.series,
				series{d.beginning, period, b.BeginningBalance, l},
				series{d.ending, period, b.EndingBalance, l},
				series{d.newPurchases, period, b.NewPurchases, l},
				series{d.adjustments, period, b.Adjustments, l},
				series{d.utilized, period, b.Utilized, l},
				series{d.serviceOverage, period, b.ServiceOverage, l},
				series{d.billedSeparately, period, b.ChargesBilledSeparately, l},
				series{d.totalOverage, period, b.TotalOverage, l},
				series{d.totalUsage, period, b.TotalUsage, l},
				series{d.marketplace, period, b.MarketplaceCharges, l},
			)
			entry.extra = b.Currency
			break
		}
		return entry, meta, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

// currency is the enrollment's currency from the newest balance summary
// that names one.
func (r *balanceReport) currency() string {
	m := r.load()
	for _, p := range r.e.tracked() {
		if c, _ := m[p].extra.(string); c != "" {
			return c
		}
	}
	return ""
}

type priceSheetReport struct {
	cache
	e *enrollment
}

func (r *priceSheetReport) refresh(ctx context.Context) (bool, int, error) {
	// The newest period only: a price sheet has thousands of meters, and
	// older periods' prices are history nobody alerts on.
	tracked := r.e.tracked()
	if len(tracked) > 1 {
		tracked = tracked[:1]
	}
	next, changed, err := refreshPeriods(ctx, tracked, r.load(), func(ctx context.Context, period, etag string) (periodEntry, eaclient.Meta, error) {
		prices, meta, err := r.e.client.PriceSheet(ctx, period, etag)
		if err != nil || meta.NotModified {
			return periodEntry{}, meta, err
		}
		var entry periodEntry
		seen := map[string]bool{}
		for _, p := range prices {
			l := []string{period, p.MeterID, p.MeterName, p.PartNumber, p.UnitOfMeasure}
			k := labelKey(l)
			if seen[k] {
				continue // a duplicate row would be a duplicate series
			}
			seen[k] = true
			entry.series = append(entry.series,
				series{descPriceUnit, period, p.UnitPrice, l},
				series{descPriceIncluded, period, p.IncludedQuantity, l})
		}
		return entry, meta, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

type reservationUsageReport struct {
	cache
	e *enrollment
}

func (r *reservationUsageReport) refresh(ctx context.Context) (bool, int, error) {
	tracked := r.e.tracked()
	start, _, _ := billing.PeriodBounds(tracked[0])
	end := r.e.now().UTC()
	next, changed, err := refreshPeriods(ctx, []string{""}, r.load(), func(ctx context.Context, _, etag string) (periodEntry, eaclient.Meta, error) {
		rows, meta, err := r.e.client.ReservationSummaries(ctx, "daily", start, end, etag)
		if err != nil || meta.NotModified {
			return periodEntry{}, meta, err
		}
		type sums struct{ reserved, used float64 }
		agg := map[string]*sums{}
		labels := map[string][]string{}
		for _, u := range rows {
			if u.Date.Before(start) {
				continue
			}
			l := []string{u.ReservationOrderID, u.ReservationID, u.SKU}
			k := labelKey(l)
			s := agg[k]
			if s == nil {
				s = &sums{}
				agg[k] = s
				labels[k] = l
			}
			s.reserved += u.ReservedHours * 3600
			s.used += u.UsedHours * 3600
		}
		var entry periodEntry
		for _, k := range sortedKeys(agg) {
			s, l := agg[k], labels[k]
			ratio := 0.0
			if s.reserved > 0 {
				ratio = min(1, s.used/s.reserved)
			}
			entry.series = append(entry.series,
				series{descReservedSeconds, "", s.reserved, l},
				series{descUsedSeconds, "", s.used, l},
				series{descUtilization, "", ratio, l})
		}
		return entry, meta, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

type reservationChargesReport struct {
	cache
	e *enrollment
}

func (r *reservationChargesReport) refresh(ctx context.Context) (bool, int, error) {
	tracked := r.e.tracked()
	start, _, _ := billing.PeriodBounds(tracked[len(tracked)-1])
	_, end, _ := billing.PeriodBounds(tracked[0])
	end = end.Add(-24 * time.Hour)
	next, changed, err := refreshPeriods(ctx, []string{""}, r.load(), func(ctx context.Context, _, etag string) (periodEntry, eaclient.Meta, error) {
		charges, meta, err := r.e.client.ReservationCharges(ctx, start, end, etag)
		if err != nil || meta.NotModified {
			return periodEntry{}, meta, err
		}
		agg := map[string]float64{}
		labels := map[string][]string{}
		for _, c := range charges {
			l := []string{billing.PeriodOf(c.EventDate), c.ReservationOrderID, c.ReservationOrderName, c.SKU, c.Term, c.Region, c.EventType}
			k := labelKey(l)
			agg[k] += c.Amount
			labels[k] = l
		}
		var entry periodEntry
		for _, k := range sortedKeys(agg) {
			l := labels[k]
			entry.series = append(entry.series, series{descReservationCost, l[0], agg[k], l})
		}
		return entry, meta, nil
	})
	r.store(next)
	return changed, r.rows(), err
}
