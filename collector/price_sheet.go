package collector

import (
	"context"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// priceSheetReport reads the price sheet of the newest tracked period: a
// price sheet has thousands of meters, and older periods' prices are
// history nobody alerts on.
type priceSheetReport struct {
	cache[[]billing.Price]
	e *enrollment
}

func (r *priceSheetReport) data() data    { return &r.cache }
func (r *priceSheetReport) shape() string { return "" }

func (r *priceSheetReport) refresh(ctx context.Context) (bool, int, error) {
	tracked := r.e.tracked()[:1]
	next, changed, err := refreshEntries(ctx, tracked, r.load(), func(ctx context.Context, period, rev string) ([]billing.Price, billing.Result, error) {
		prices, res, err := r.e.source.PriceSheet(ctx, period, rev)
		if err != nil || res.NotModified {
			return nil, res, err
		}
		// A duplicate row would be a duplicate series: keep the first.
		seen := map[string]bool{}
		out := prices[:0]
		for _, p := range prices {
			k := labelKey([]string{p.MeterID, p.MeterName, p.PartNumber, p.UnitOfMeasure})
			if !seen[k] {
				seen[k] = true
				out = append(out, p)
			}
		}
		return out, res, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

func (r *priceSheetReport) collect(s *sink) {
	m := r.load()
	for _, period := range sortedKeys(m) {
		if !s.tracked[period] {
			continue
		}
		for _, p := range m[period].Data {
			s.gauge(descPriceUnit, p.UnitPrice, period, p.MeterID, p.MeterName, p.PartNumber, p.UnitOfMeasure)
			s.gauge(descPriceIncluded, p.IncludedQuantity, period, p.MeterID, p.MeterName, p.PartNumber, p.UnitOfMeasure)
		}
	}
}
