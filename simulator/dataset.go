package simulator

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Scenarios select the shape of the commitment account.
const (
	// ScenarioHealthy: the annual commitment covers the year's spend.
	ScenarioHealthy = "healthy"
	// ScenarioOverage: the commitment ran out on the first day of the
	// current billing period (the month the simulator was created in), so
	// that period shows service overage, growing every day, on any day of
	// the month; the periods before it were covered.
	ScenarioOverage = "overage"
)

// Options describe the synthetic enrollment. Zero values take defaults that
// look like a mid-size company: a few departments, two dozen subscriptions,
// about 6,000 usage rows a month.
type Options struct {
	Enrollment    string // default "100"
	Currency      string // default "USD"
	APIKey        string // the key the server accepts; default MintKey(enrollment, now+183 days)
	Subscriptions int    // default 24
	// UsageRowsPerDay sets the size of the usage report: a month has about
	// 30 times as many rows. Rows are generated when served, never stored.
	UsageRowsPerDay int     // default 200
	MonthlySpend    float64 // typical usage cost of a month, default 180000
	Periods         int     // billing periods of history, the current one included; default 13
	PageSize        int     // usage rows per page, default 1000
	Scenario        string  // ScenarioHealthy (default) or ScenarioOverage
	Seed            uint64
	// Now is the simulator's clock; time.Now when nil. The current billing
	// period, the rows of the current month and the reservation windows
	// all follow it.
	Now func() time.Time
	// DataLatencyDays delays the data as Azure's usage pipeline does (one
	// to three days): usage, marketplace and reservation rows exist only
	// for whole days up to today minus DataLatencyDays, and the balance
	// summary follows the usage served. 0 (the default) serves today's
	// partial usage.
	DataLatencyDays int
	// Gzip compresses the answers of the EA routes for clients that accept
	// gzip, as a front end may.
	Gzip bool
}

func (o *Options) setDefaults() {
	if o.Enrollment == "" {
		o.Enrollment = "100"
	}
	if o.Currency == "" {
		o.Currency = "USD"
	}
	if o.Subscriptions <= 0 {
		o.Subscriptions = 24
	}
	if o.UsageRowsPerDay <= 0 {
		o.UsageRowsPerDay = 200
	}
	if o.MonthlySpend <= 0 {
		o.MonthlySpend = 180000
	}
	if o.Periods <= 0 {
		o.Periods = 13
	}
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.Scenario == "" {
		o.Scenario = ScenarioHealthy
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.DataLatencyDays = max(o.DataLatencyDays, 0)
}

type subscription struct {
	guid, name string
	dept       int
	env        string
	weight     float64
}

// dataset generates every report from (seed, month, row index): nothing is
// stored but per-month totals, so a million rows a month cost no memory.
type dataset struct {
	o         Options
	subs      []subscription
	subCum    []float64 // cumulative weights for picking a subscription
	meterCum  []float64
	epoch     int // the month the dataset was created in: spend is MonthlySpend there
	mu        sync.Mutex
	totals    map[totalKey]float64 // usage cost of a month (up to a day count)
	commitCum map[int]float64      // commitment of a commitment year, by its first month
}

type totalKey struct {
	month, rows int
	full        bool
}

func newDataset(o Options) *dataset {
	d := &dataset{o: o, totals: map[totalKey]float64{}, commitCum: map[int]float64{}}
	d.epoch = monthOf(d.now())
	for i := 0; i < o.Subscriptions; i++ {
		h := mix(o.Seed, saltSubscription, uint64(i))
		dept := i % len(departments)
		env := environments[int(h%uint64(len(environments)))]
		slug := strings.ToLower(strings.NewReplacer(" & ", "-", " ", "-").Replace(departments[dept].name))
		d.subs = append(d.subs, subscription{
			guid:   guid(h),
			name:   fmt.Sprintf("%s-%s-%02d", slug, env, i+1),
			dept:   dept,
			env:    env,
			weight: 0.3 + float64(mix(h, 1, 2)%1000)/1000*2.7,
		})
	}
	acc := 0.0
	for _, s := range d.subs {
		acc += s.weight
		d.subCum = append(d.subCum, acc)
	}
	acc = 0
	for _, m := range meters {
		acc += m.weight
		d.meterCum = append(d.meterCum, acc)
	}
	return d
}

// Salts keep the random streams of different things independent.
const (
	saltSubscription = iota + 1
	saltUsage
	saltMarketplace
	saltReservation
)

// mix is a splitmix64-style hash: a pure function from its inputs to 64
// well-mixed bits. All "randomness" in the dataset comes from it.
func mix(a, b, c uint64) uint64 {
	x := a*0x9E3779B97F4A7C15 ^ b*0xBF58476D1CE4E5B9 ^ c*0x94D049BB133111EB
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// unit maps 64 random bits to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

func guid(h uint64) string {
	h2 := mix(h, 7, 7)
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(h), uint16(h>>32), uint16(h>>48)&0xfff, uint16(h2)&0x3fff|0x8000, h2>>16&0xffffffffffff)
}

func pick(cum []float64, u float64) int {
	x := u * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Months are numbered year*12 + month-1 so that consecutive periods are
// consecutive integers.
func monthOf(t time.Time) int { t = t.UTC(); return t.Year()*12 + int(t.Month()) - 1 }

func monthStart(m int) time.Time { return time.Date(m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, time.UTC) }

func monthID(m int) string { return monthStart(m).Format("200601") }

func daysIn(m int) int { return monthStart(m + 1).Add(-time.Hour).Day() }

func (d *dataset) now() time.Time { return d.o.Now().UTC() }

// currentMonth is the open billing period.
func (d *dataset) currentMonth() int { return monthOf(d.now()) }

// history returns the months the billing-periods report lists, newest first.
func (d *dataset) history() []int {
	cur := d.currentMonth()
	out := make([]int, 0, d.o.Periods)
	for i := 0; i < d.o.Periods; i++ {
		out = append(out, cur-i)
	}
	return out
}

func (d *dataset) inHistory(m int) bool {
	cur := d.currentMonth()
	return m <= cur && m > cur-d.o.Periods
}

// dataThrough is the newest day (its midnight) with usage: today, whose
// data is partial as in the real API, or DataLatencyDays before it.
func (d *dataset) dataThrough() time.Time {
	return d.now().Truncate(24*time.Hour).AddDate(0, 0, -d.o.DataLatencyDays)
}

// openMonth is the month whose data still grows day by day: the current
// one, or with a data latency the month of the newest day with data.
func (d *dataset) openMonth() int { return monthOf(d.dataThrough()) }

// daysWithData is how many days of month m have usage: all of a month
// before the newest day with data, up to that day in its month, none
// after it.
func (d *dataset) daysWithData(m int) int {
	open := d.openMonth()
	switch {
	case m < open:
		return daysIn(m)
	case m == open:
		return d.dataThrough().Day()
	default:
		return 0
	}
}

// usageRows is the number of usage rows in month m. late adds rows that
// arrived late (the data version moved), dated the last day with data.
func (d *dataset) usageRows(m, late int) int {
	days := d.daysWithData(m)
	if days == 0 {
		return 0
	}
	n := days * d.o.UsageRowsPerDay
	if m == d.currentMonth() {
		n += late
	}
	return n
}
