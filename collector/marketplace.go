package collector

import (
	"context"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// marketplaceData is one period's marketplace cost by label set.
type marketplaceData struct {
	Costs []labelledValue `json:"costs"`
	// Budgets is the period's cost matching each budget.
	Budgets map[string]float64 `json:"budgets,omitempty"`
	// Through is the newest usage date present.
	Through time.Time `json:"through"`
}

// labelledValue is a value and its label values (the enrollment aside).
type labelledValue struct {
	Labels []string `json:"l"`
	Value  float64  `json:"v"`
}

type marketplaceReport struct {
	cache[marketplaceData]
	e *enrollment
	// budgets match on the labels a marketplace charge has: the usage
	// dimensions it shares and the configured tags.
	budgets    []budgetMatcher
	budgetDims []func(*billing.MarketplaceCharge) string
}

func newMarketplaceReport(e *enrollment, cfg *config.Config) *marketplaceReport {
	r := &marketplaceReport{e: e}
	var labels []string
	for _, d := range billing.Dimensions {
		if d.Marketplace != nil {
			labels = append(labels, d.Name)
			r.budgetDims = append(r.budgetDims, d.Marketplace)
		}
	}
	for _, tl := range cfg.UsageDetails.TagLabels() {
		tag := tl[0]
		labels = append(labels, tl[1])
		r.budgetDims = append(r.budgetDims, func(c *billing.MarketplaceCharge) string { return c.Tags[tag] })
	}
	r.budgets = budgetMatchers(cfg, e.number, labels)
	return r
}

func (r *marketplaceReport) data() data    { return &r.cache }
func (r *marketplaceReport) shape() string { return budgetNames(r.budgets) }

func (r *marketplaceReport) refresh(ctx context.Context) (bool, int, error) {
	next, changed, err := refreshEntries(ctx, r.e.tracked(), r.load(), func(ctx context.Context, period, rev string) (marketplaceData, billing.Result, error) {
		charges, res, err := r.e.source.MarketplaceCharges(ctx, period, rev)
		if err != nil || res.NotModified {
			return marketplaceData{}, res, err
		}
		sums := newSums()
		budgets := map[string]*sum{}
		values := make([]string, len(r.budgetDims))
		var through time.Time
		for i := range charges {
			c := &charges[i]
			sums.add([]string{c.Department, c.SubscriptionID, c.SubscriptionName, c.Publisher, c.Offer, c.Plan}, c.Cost)
			if d := dayOf(c.UsageStart); d.After(through) {
				through = d
			}
			for j, f := range r.budgetDims {
				values[j] = f(c)
			}
			for _, b := range r.budgets {
				if b.matches(values) {
					addTo(budgets, b.name, c.Cost)
				}
			}
		}
		out := marketplaceData{Costs: make([]labelledValue, 0, sums.len()), Budgets: sumValues(budgets), Through: through}
		sums.each(func(l []string, v float64) { out.Costs = append(out.Costs, labelledValue{l, v}) })
		return out, res, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

func (r *marketplaceReport) collect(s *sink) {
	m := r.load()
	for _, period := range sortedKeys(m) {
		if !s.tracked[period] {
			continue
		}
		for _, c := range m[period].Data.Costs {
			s.gaugeWith(descMarketplaceCost, c.Value, period, c.Labels)
		}
	}
}

// budgetSpent returns the period's marketplace cost per budget; ok is false
// while the period has not been read.
func (r *marketplaceReport) budgetSpent(period string) (map[string]float64, bool) {
	e, ok := r.load()[period]
	return e.Data.Budgets, ok
}

// through returns the newest usage date in the tracked periods' data.
func (r *marketplaceReport) through(tracked map[string]bool) time.Time {
	var t time.Time
	for p, e := range r.load() {
		if tracked[p] && e.Data.Through.After(t) {
			t = e.Data.Through
		}
	}
	return t
}

// addTo adds v to the named sum.
func addTo(m map[string]*sum, name string, v float64) {
	s := m[name]
	if s == nil {
		s = &sum{}
		m[name] = s
	}
	s.add(v)
}

// sumValues returns the rounded value of every sum.
func sumValues(m map[string]*sum) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, s := range m {
		out[k] = s.value()
	}
	return out
}
