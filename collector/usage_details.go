package collector

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

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
	// want is what of a row the aggregation reads: a source skips the
	// rest (forty-odd fields a row, and every tag).
	want billing.UsageWant
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
	l.want.Fields = billing.FieldCost | billing.FieldDate
	for _, d := range u.Dimensions {
		dim, _ := billing.DimensionByName(d) // config validated the name against the same table
		l.dims = append(l.dims, dim.Usage)
		l.want.Fields |= dim.Field
		l.labels = append(l.labels, d)
		if d == "meter_name" || d == "meter_id" {
			l.withUnit = true
		}
	}
	if l.withUnit {
		l.want.Fields |= billing.FieldQuantity | billing.FieldUnitOfMeasure
	}
	for _, tl := range u.TagLabels() {
		l.tagKeys = append(l.tagKeys, tl[0])
		l.labels = append(l.labels, tl[1])
	}
	l.want.TagKeys = l.tagKeys
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

// usageData is one period's usage aggregate: cost and quantity by label
// set, the cost matching each budget, and how far the data reaches.
type usageData struct {
	Sets    []usageSet         `json:"sets"`
	Budgets map[string]float64 `json:"budgets,omitempty"`
	// Folded counts the label sets folded into "other" by max_series.
	Folded int `json:"folded,omitempty"`
	// Through is the newest usage date present.
	Through time.Time `json:"through"`
	// Daily is the cost of each day of the period that has rows, in date
	// order: the status page's burn-down.
	Daily []dayCost `json:"daily,omitempty"`
}

// dayCost is one day's cost.
type dayCost struct {
	Day  time.Time `json:"d"`
	Cost float64   `json:"c"`
}

// usageSet is one label set's sums. Labels are the layout's, in order.
type usageSet struct {
	Labels []string  `json:"l"`
	Cost   float64   `json:"c"`
	Units  []unitQty `json:"u,omitempty"` // only when the layout has a unit
}

type unitQty struct {
	Unit string  `json:"u"`
	Qty  float64 `json:"q"`
}

// usageAgg sums rows into label sets as they stream in: memory grows with
// the distinct label sets, not with the rows.
type usageAgg struct {
	l       *usageLayout
	key     []byte
	values  []string
	sets    map[string]*aggSet
	budgets map[string]*sum
	through time.Time
	// daily sums cost by day of month; lastDate and lastDay skip the
	// calendar arithmetic for the runs of rows of one date.
	daily    [32]sum
	lastDate time.Time
	lastDay  int
	// intern shares label values between label sets ("Platform" is in
	// thousands of them) and copies them out of the decoder's buffer, whose
	// strings are only valid during the callback.
	intern map[string]string
	// Label sets and their label values are carved from slabs: one
	// allocation per few hundred sets instead of two per set.
	setSlab   []aggSet
	labelSlab []string
	arena     []byte
}

type aggSet struct {
	labels []string
	cost   sum
	// Quantity by unit: nearly always one unit per label set, so the first
	// is held inline and a map is made only for a second.
	unit  string
	qty   sum
	units map[string]*sum
}

func (s *aggSet) addQty(unit string, q float64, intern func(string) string) {
	switch {
	case s.unit == unit:
		s.qty.add(q)
	case s.units != nil:
		addTo(s.units, intern(unit), q)
	default:
		s.units = map[string]*sum{s.unit: &sum{}, intern(unit): &sum{}}
		*s.units[s.unit] = s.qty
		s.units[intern(unit)].add(q)
	}
}

// quantities returns the sum per unit.
func (s *aggSet) quantities() map[string]*sum {
	if s.units != nil {
		return s.units
	}
	return map[string]*sum{s.unit: &s.qty}
}

func newUsageAgg(l *usageLayout) *usageAgg {
	return &usageAgg{l: l, values: make([]string, len(l.labels)), sets: map[string]*aggSet{}, budgets: map[string]*sum{}, intern: map[string]string{}}
}

func (a *usageAgg) add(r *billing.UsageRow) error {
	a.key = a.key[:0]
	i := 0
	for _, f := range a.l.dims {
		a.values[i] = f(r)
		i++
	}
	for j, k := range a.l.tagKeys {
		a.values[i] = r.Tag(j, k)
		i++
	}
	for _, v := range a.values {
		a.key = append(a.key, v...)
		a.key = append(a.key, 0xff)
	}
	s := a.sets[string(a.key)] // no allocation for a lookup
	if s == nil {
		s = a.newSet(r)
		a.sets[a.copied(a.key)] = s
	}
	s.cost.add(r.Cost)
	if a.l.withUnit {
		// Map keys go through intern: a map assignment stores the key it
		// is given, even for a key already present, and the row's strings
		// point into the decoder's buffer.
		s.addQty(r.UnitOfMeasure, r.Quantity, a.interned)
	}
	for _, b := range a.l.budgets {
		if b.matches(a.values) {
			addTo(a.budgets, b.name, r.Cost)
		}
	}
	if r.Date.After(a.through) {
		a.through = r.Date
	}
	if !r.Date.Equal(a.lastDate) {
		a.lastDate, a.lastDay = r.Date, r.Date.UTC().Day()
	}
	a.daily[a.lastDay].add(r.Cost)
	return nil
}

func (a *usageAgg) newSet(r *billing.UsageRow) *aggSet {
	if len(a.setSlab) == cap(a.setSlab) {
		a.setSlab = make([]aggSet, 0, 256)
	}
	a.setSlab = append(a.setSlab, aggSet{})
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
	s := a.copied([]byte(v)) // the conversion does not allocate: copied copies
	a.intern[s] = s
	return s
}

// copied returns a copy of b as a string carved from 64 KiB chunks: one
// allocation for thousands of label values and keys instead of one each.
// The aggregate keeps the chunks alive as long as it serves their strings.
func (a *usageAgg) copied(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(a.arena)-len(a.arena) {
		a.arena = make([]byte, 0, max(64<<10, len(b)))
	}
	start := len(a.arena)
	a.arena = append(a.arena, b...)
	return unsafe.String(&a.arena[start], len(b))
}

// finish folds the label sets past maxSeries into one and returns the
// period's aggregate, label sets in label order.
func (a *usageAgg) finish() usageData {
	sets := make([]*aggSet, 0, len(a.sets))
	for _, s := range a.sets {
		sets = append(sets, s)
	}
	folded := 0
	if len(sets) > a.l.maxSeries {
		// Keep the most expensive; fold the tail into one set whose
		// labels read "other" where the folded sets differ.
		sort.Slice(sets, func(i, j int) bool { return sets[i].cost.value() > sets[j].cost.value() })
		keep, tail := sets[:a.l.maxSeries-1], sets[a.l.maxSeries-1:]
		folded = len(tail)
		other := &aggSet{labels: slices.Clone(tail[0].labels), unit: tail[0].unit}
		for _, s := range tail {
			for i, v := range s.labels {
				if other.labels[i] != v {
					other.labels[i] = otherValue
				}
			}
			other.cost.add(s.cost.value())
			for u, q := range s.quantities() {
				other.addQty(u, q.value(), a.interned)
			}
		}
		sets = keep
		merged := false
		for _, s := range sets {
			if slices.Equal(s.labels, other.labels) {
				s.cost.add(other.cost.value())
				for u, q := range other.quantities() {
					s.addQty(u, q.value(), a.interned)
				}
				merged = true
			}
		}
		if !merged {
			sets = append(sets, other)
		}
	}
	sort.Slice(sets, func(i, j int) bool { return labelKey(sets[i].labels) < labelKey(sets[j].labels) })
	out := usageData{Sets: make([]usageSet, len(sets)), Budgets: sumValues(a.budgets), Folded: folded}
	if !a.through.IsZero() {
		out.Through = dayOf(a.through)
		first := time.Date(out.Through.Year(), out.Through.Month(), 1, 0, 0, 0, 0, time.UTC)
		for d := 1; d <= out.Through.Day(); d++ {
			if a.daily[d] != (sum{}) {
				out.Daily = append(out.Daily, dayCost{first.AddDate(0, 0, d-1), a.daily[d].value()})
			}
		}
	}
	var unitSlab []unitQty
	for i, s := range sets {
		out.Sets[i] = usageSet{Labels: s.labels, Cost: s.cost.value()}
		if !a.l.withUnit {
			continue
		}
		qty := s.quantities()
		if len(unitSlab)+len(qty) > cap(unitSlab) {
			unitSlab = make([]unitQty, 0, max(256, len(qty)))
		}
		start := len(unitSlab)
		for _, u := range sortedKeys(qty) {
			unitSlab = append(unitSlab, unitQty{u, qty[u].value()})
		}
		out.Sets[i].Units = unitSlab[start:len(unitSlab):len(unitSlab)]
	}
	return out
}

type usageReport struct {
	cache[usageData]
	e      *enrollment
	layout *usageLayout
	// foldLogged keeps the folding warning to one log line per period.
	foldLogged map[string]bool
}

func (r *usageReport) data() data { return &r.cache }

// shape fingerprints what the aggregate's label sets mean, so that data is
// not restored (from disk, or from the enrollment a reload replaces) into
// another configuration's labels or budgets.
func (r *usageReport) shape() string {
	l := r.layout
	return strings.Join(l.labels, ",") + "|" + strconv.Itoa(l.maxSeries) + "|" + budgetNames(l.budgets) + "|" + strconv.FormatBool(l.withUnit)
}

func (r *usageReport) refresh(ctx context.Context) (bool, int, error) {
	next, changed, err := refreshEntries(ctx, r.e.tracked(), r.load(), func(ctx context.Context, period, rev string) (usageData, billing.Result, error) {
		agg := newUsageAgg(r.layout)
		res, err := r.e.source.UsageDetails(ctx, period, rev, r.layout.want, agg.add)
		if err != nil || res.NotModified {
			return usageData{}, res, err
		}
		d := agg.finish()
		if d.Folded > 0 && !r.foldLogged[period] {
			r.foldLogged[period] = true
			r.e.logger.Warn("usage label sets over usage_details.max_series folded into \"other\"", "billing_period", period, "folded", d.Folded, "max_series", r.layout.maxSeries)
		}
		return d, res, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

func (r *usageReport) collect(s *sink) {
	m := r.load()
	l := r.layout
	for _, period := range sortedKeys(m) {
		if !s.tracked[period] {
			continue
		}
		d := m[period].Data
		for i := range d.Sets {
			set := &d.Sets[i]
			s.gaugeWith(l.costDesc, set.Cost, period, set.Labels)
			for _, u := range set.Units {
				s.gaugeWith(l.qtyDesc, u.Qty, period, set.Labels, u.Unit)
			}
		}
		if d.Folded > 0 {
			s.gauge(descUsageFolded, float64(d.Folded), period)
		}
	}
}

// budgetSpent returns the period's usage cost per budget; ok is false
// while the period has not been read.
func (r *usageReport) budgetSpent(period string) (map[string]float64, bool) {
	e, ok := r.load()[period]
	return e.Data.Budgets, ok
}

// through returns the newest usage date in the tracked periods' data.
func (r *usageReport) through(tracked map[string]bool) time.Time {
	var t time.Time
	for p, e := range r.load() {
		if tracked[p] && e.Data.Through.After(t) {
			t = e.Data.Through
		}
	}
	return t
}

func budgetNames(bs []budgetMatcher) string {
	s := ""
	for _, b := range bs {
		s += fmt.Sprintf("%q=%q;", b.name, b.values)
	}
	return s
}
