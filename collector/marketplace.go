package collector

import (
	"context"
	"slices"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
)

type marketplaceReport struct {
	cache
	e *enrollment
	// budgets match on the labels a marketplace charge has: the usage
	// dimensions it shares and the configured tags.
	budgets    []budgetMatcher
	budgetDims []func(*billing.MarketplaceCharge) string
}

var marketplaceDimension = map[string]func(*billing.MarketplaceCharge) string{
	"department":        func(c *billing.MarketplaceCharge) string { return c.Department },
	"subscription_id":   func(c *billing.MarketplaceCharge) string { return c.SubscriptionID },
	"subscription_name": func(c *billing.MarketplaceCharge) string { return c.SubscriptionName },
	"cost_center":       func(c *billing.MarketplaceCharge) string { return c.CostCenter },
	"account_name":      func(c *billing.MarketplaceCharge) string { return c.AccountName },
}

func newMarketplaceReport(e *enrollment, cfg *config.Config) *marketplaceReport {
	r := &marketplaceReport{e: e}
	var labels []string
	for _, d := range config.MarketplaceDimensions {
		labels = append(labels, d)
		r.budgetDims = append(r.budgetDims, marketplaceDimension[d])
	}
	for _, tl := range cfg.UsageDetails.TagLabels() {
		tag := tl[0]
		labels = append(labels, tl[1])
		r.budgetDims = append(r.budgetDims, func(c *billing.MarketplaceCharge) string { return c.Tags[tag] })
	}
	r.budgets = budgetMatchers(cfg, e.number, labels)
	return r
}

func (r *marketplaceReport) refresh(ctx context.Context) (bool, int, error) {
	next, changed, err := refreshPeriods(ctx, r.e.tracked(), r.load(), func(ctx context.Context, period, etag string) (periodEntry, eaclient.Meta, error) {
		charges, meta, err := r.e.client.MarketplaceCharges(ctx, eaclient.Query{BillingPeriod: period}, etag)
		if err != nil || meta.NotModified {
			return periodEntry{}, meta, err
		}
		agg := map[string]float64{}
		labels := map[string][]string{}
		budgets := map[string]float64{}
		values := make([]string, len(r.budgetDims))
		for i := range charges {
			c := &charges[i]
			l := []string{period, c.Department, c.SubscriptionID, c.SubscriptionName, c.Publisher, c.Offer, c.Plan}
			k := labelKey(l)
			agg[k] += c.Cost
			labels[k] = l
			for j, f := range r.budgetDims {
				values[j] = f(c)
			}
			for _, b := range r.budgets {
				if b.matches(values) {
					budgets[b.name] += c.Cost
				}
			}
		}
		entry := periodEntry{extra: budgets}
		for _, k := range sortedKeys(agg) {
			entry.series = append(entry.series, series{descMarketplaceCost, period, agg[k], slices.Clip(labels[k])})
		}
		return entry, meta, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

func (r *marketplaceReport) budgetSpent(period string) (map[string]float64, bool) {
	e, ok := r.load()[period]
	if !ok {
		return nil, false
	}
	b, _ := e.extra.(map[string]float64)
	return b, true
}
