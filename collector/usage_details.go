package collector

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
)

// usageDimension reads one label value from a usage row.
var usageDimension = map[string]func(*billing.UsageRow) string{
	"department":        func(r *billing.UsageRow) string { return r.Department },
	"subscription_id":   func(r *billing.UsageRow) string { return r.SubscriptionID },
	"subscription_name": func(r *billing.UsageRow) string { return r.SubscriptionName },
	"meter_category":    func(r *billing.UsageRow) string { return r.MeterCategory },
	"meter_subcategory": func(r *billing.UsageRow) string { return r.MeterSubcategory },
	"meter_name":        func(r *billing.UsageRow) string { return r.MeterName },
	"meter_id":          func(r *billing.UsageRow) string { return r.MeterID },
	"meter_region":      func(r *billing.UsageRow) string { return r.MeterRegion },
	"resource_group":    func(r *billing.UsageRow) string { return r.ResourceGroup },
	"resource_location": func(r *billing.UsageRow) string { return r.ResourceLocation },
	"service_name":      func(r *billing.UsageRow) string { return r.ServiceName },
	"service_tier":      func(r *billing.UsageRow) string { return r.ServiceTier },
	"product":           func(r *billing.UsageRow) string { return r.Product },
	"consumed_service":  func(r *billing.UsageRow) string { return r.ConsumedService },
	"cost_center":       func(r *billing.UsageRow) string { return r.CostCenter },
	"account_name":      func(r *billing.UsageRow) string { return r.AccountName },
	"unit_of_measure":   func(r *billing.UsageRow) string { return r.UnitOfMeasure },
}

// otherValue stands for the label values of folded label sets.
const otherValue = "other"

// usageLayout is how usage rows become series: the dimensions and tag
// labels from the configuration, and the budgets that match on them.
type usageLayout struct {
	dims      []func(*billing.UsageRow) string
	tagKeys   []string
	labels    []string // dimension then tag label names
	withUnit  bool
	maxSeries int
	costDesc  *prometheus.Desc
	qtyDesc   *prometheus.Desc
	budgets   []budgetMatcher
}

// budgetMatcher matches label values by position.
type budgetMatcher struct {
	name   string
	pos    []int
	values []string
	never  bool // the budget matches on a label these rows do not have
}

func (b *budgetMatcher) matches(values []string) bool {
	if b.never {
		return false
	}
	for i, p := range b.pos {
		if values[p] != b.values[i] {
			return false
		}
	}
	return true
}

func newUsageLayout(cfg *config.Config, enrollment string) *usageLayout {
	u := &cfg.UsageDetails
	l := &usageLayout{maxSeries: u.MaxSeries}
	for _, d := range u.Dimensions {
		l.dims = append(l.dims, usageDimension[d])
		l.labels = append(l.labels, d)
		if d == "meter_name" || d == "meter_id" {
			l.withUnit = true
		}
	}
	for _, tl := range u.TagLabels() {
		l.tagKeys = append(l.tagKeys, tl[0])
		l.labels = append(l.labels, tl[1])
	}
	base := append([]string{"billing_period"}, l.labels...)
	l.costDesc = newDesc("usage_cost", "Usage cost of the billing period to date (usage details report, sum of cost over the period's rows)."+polled, base...)
	if l.withUnit {
		l.qtyDesc = newDesc("usage_quantity", "Usage quantity of the billing period to date, in unit (usage details report, sum of consumedQuantity)."+polled, append(base, "unit")...)
	}
	l.budgets = budgetMatchers(cfg, enrollment, l.labels)
	return l
}

// budgetMatchers compiles the enrollment's budgets against a label layout.
// A budget that matches on a label the layout lacks matches nothing.
func budgetMatchers(cfg *config.Config, enrollment string, labels []string) []budgetMatcher {
	var out []budgetMatcher
	for _, b := range cfg.Budgets {
		if b.Enrollment != enrollment {
			continue
		}
		m := budgetMatcher{name: b.Name}
		for _, k := range sortedKeys(b.Match) {
			p := slices.Index(labels, k)
			if p < 0 {
				m.never = true
				break
			}
			m.pos = append(m.pos, p)
			m.values = append(m.values, b.Match[k])
		}
		out = append(out, m)
	}
	return out
}

// usageAgg sums rows into label sets as they stream in: memory grows with
// the distinct label sets, not with the rows.
type usageAgg struct {
	l       *usageLayout
	key     []byte
	values  []string
	sets    map[string]*usageSet
	budgets map[string]float64
	// intern shares label values between label sets ("Platform" is in
	// thousands of them) and copies them out of the decoder's buffer, whose
	// strings are only valid during the callback.
	intern map[string]string
	// Label sets and their label values are carved from slabs: one
	// allocation per few hundred sets instead of two per set.
	setSlab   []usageSet
	labelSlab []string
}

type usageSet struct {
	labels []string
	cost   float64
	// Quantity by unit: nearly always one unit per label set, so the first
	// is held inline and a map is made only for a second.
	unit  string
	qty   float64
	units map[string]float64
}

func (s *usageSet) addQty(unit string, q float64, intern func(string) string) {
	switch {
	case s.unit == unit:
		s.qty += q
	case s.units != nil:
		s.units[intern(unit)] += q
	default:
		s.units = map[string]float64{s.unit: s.qty, intern(unit): q}
	}
}

// quantities returns the quantity per unit.
func (s *usageSet) quantities() map[string]float64 {
	if s.units != nil {
		return s.units
	}
	return map[string]float64{s.unit: s.qty}
}

func newUsageAgg(l *usageLayout) *usageAgg {
	return &usageAgg{l: l, values: make([]string, len(l.labels)), sets: map[string]*usageSet{}, budgets: map[string]float64{}, intern: map[string]string{}}
}

func (a *usageAgg) add(r *billing.UsageRow) error {
	a.key = a.key[:0]
	i := 0
	for _, f := range a.l.dims {
		a.values[i] = f(r)
		i++
	}
	for _, k := range a.l.tagKeys {
		a.values[i] = r.Tags[k]
		i++
	}
	for _, v := range a.values {
		a.key = append(a.key, v...)
		a.key = append(a.key, 0xff)
	}
	s := a.sets[string(a.key)] // no allocation for a lookup
	if s == nil {
		s = a.newSet(r)
		a.sets[string(a.key)] = s
	}
	s.cost += r.Cost
	if a.l.withUnit {
		// Map keys go through intern: a map assignment stores the key it
		// is given, even for a key already present, and the row's strings
		// point into the decoder's buffer.
		s.addQty(r.UnitOfMeasure, r.Quantity, a.interned)
	}
	for _, b := range a.l.budgets {
		if b.matches(a.values) {
			a.budgets[b.name] += r.Cost
		}
	}
	return nil
}

func (a *usageAgg) newSet(r *billing.UsageRow) *usageSet {
	if len(a.setSlab) == cap(a.setSlab) {
		a.setSlab = make([]usageSet, 0, 256)
	}
	a.setSlab = append(a.setSlab, usageSet{})
	s := &a.setSlab[len(a.setSlab)-1]
	n := len(a.values)
	if cap(a.labelSlab)-len(a.labelSlab) < n {
		a.labelSlab = make([]string, 0, 256*max(n, 1))
	}
	start := len(a.labelSlab)
	for _, v := range a.values {
		a.labelSlab = append(a.labelSlab, a.interned(v))
	}
	s.labels = a.labelSlab[start:len(a.labelSlab):len(a.labelSlab)]
	if a.l.withUnit {
		s.unit = a.interned(r.UnitOfMeasure)
	}
	return s
}

func (a *usageAgg) interned(v string) string {
	if s, ok := a.intern[v]; ok {
		return s
	}
	s := strings.Clone(v)
	a.intern[s] = s
	return s
}

// finish folds the label sets past maxSeries into one and returns the
// period's entry.
func (a *usageAgg) finish(period string) periodEntry {
	sets := make([]*usageSet, 0, len(a.sets))
	for _, s := range a.sets {
		sets = append(sets, s)
	}
	folded := 0
	if len(sets) > a.l.maxSeries {
		// Keep the most expensive; fold the tail into one set whose
		// labels read "other" where the folded sets differ.
		sort.Slice(sets, func(i, j int) bool { return sets[i].cost > sets[j].cost })
		keep, tail := sets[:a.l.maxSeries-1], sets[a.l.maxSeries-1:]
		folded = len(tail)
		other := &usageSet{labels: slices.Clone(tail[0].labels), unit: tail[0].unit}
		for _, s := range tail {
			for i, v := range s.labels {
				if other.labels[i] != v {
					other.labels[i] = otherValue
				}
			}
			other.cost += s.cost
			for u, q := range s.quantities() {
				other.addQty(u, q, a.interned)
			}
		}
		sets = keep
		merged := false
		for _, s := range sets {
			if slices.Equal(s.labels, other.labels) {
				s.cost += other.cost
				for u, q := range other.quantities() {
					s.addQty(u, q, a.interned)
				}
				merged = true
			}
		}
		if !merged {
			sets = append(sets, other)
		}
	}
	sort.Slice(sets, func(i, j int) bool { return labelKey(sets[i].labels) < labelKey(sets[j].labels) })
	entry := periodEntry{extra: usageExtra{budgets: a.budgets, folded: folded}}
	for _, s := range sets {
		l := append([]string{period}, s.labels...)
		entry.series = append(entry.series, series{a.l.costDesc, period, s.cost, l})
		if a.l.withUnit {
			qty := s.quantities()
			for _, u := range sortedKeys(qty) {
				entry.series = append(entry.series, series{a.l.qtyDesc, period, qty[u], append(slices.Clip(l), u)})
			}
		}
	}
	if folded > 0 {
		entry.series = append(entry.series, series{descUsageFolded, period, float64(folded), []string{period}})
	}
	return entry
}

type usageExtra struct {
	budgets map[string]float64
	folded  int
}

type usageReport struct {
	cache
	e      *enrollment
	layout *usageLayout
	// foldLogged keeps the folding warning to one log line per period.
	foldLogged map[string]bool
}

func (r *usageReport) refresh(ctx context.Context) (bool, int, error) {
	next, changed, err := refreshPeriods(ctx, r.e.tracked(), r.load(), func(ctx context.Context, period, etag string) (periodEntry, eaclient.Meta, error) {
		agg := newUsageAgg(r.layout)
		meta, err := r.e.client.UsageDetails(ctx, eaclient.Query{BillingPeriod: period}, etag, agg.add)
		if err != nil || meta.NotModified {
			return periodEntry{}, meta, err
		}
		entry := agg.finish(period)
		if x := entry.extra.(usageExtra); x.folded > 0 && !r.foldLogged[period] {
			r.foldLogged[period] = true
			r.e.logger.Warn("usage label sets over usage_details.max_series folded into \"other\"", "billing_period", period, "folded", x.folded, "max_series", r.layout.maxSeries)
		}
		return entry, meta, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

// budgetSpent returns the period's usage cost per budget.
func (r *usageReport) budgetSpent(period string) (map[string]float64, bool) {
	e, ok := r.load()[period]
	if !ok {
		return nil, false
	}
	x, _ := e.extra.(usageExtra)
	return x.budgets, true
}
