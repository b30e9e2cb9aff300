package simulator

import (
	"math"
	"time"
)

// The commitment account. The enrollment buys a year's commitment in its
// anniversary month; at creation the simulator's current month is the ninth
// of the commitment year. Unused commitment expires at the year's end.

func (d *dataset) yearStart(m int) int {
	anniv := d.epoch - 8
	return m - ((m-anniv)%12+12)%12
}

// commitment is the purchase at the start of the commitment year ys.
func (d *dataset) commitment(ys int) float64 {
	d.mu.Lock()
	c, ok := d.commitCum[ys]
	d.mu.Unlock()
	if ok {
		return c
	}
	full := func(m int) float64 { return d.usageTotal(m, daysIn(m)*d.o.UsageRowsPerDay, true) }
	if d.o.Scenario == ScenarioOverage && ys == d.yearStart(d.epoch) {
		// Enough for the months before the current one and a third of it:
		// overage starts about ten days into the current period.
		for m := ys; m < d.epoch; m++ {
			c += full(m)
		}
		c += full(d.epoch) / 3
	} else {
		for m := ys; m < ys+12; m++ {
			c += full(m)
		}
		c *= 1.12
	}
	c = math.Round(c/1000) * 1000
	d.mu.Lock()
	d.commitCum[ys] = c
	d.mu.Unlock()
	return c
}

type balance struct {
	month                                          int
	begin, purchases, adjustments, utilized, end   float64
	serviceOverage, billedSeparately, totalOverage float64
	totalUsage, marketplace                        float64
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// balance computes month m's summary by running the account from the start
// of its commitment year.
func (d *dataset) balance(m, late int) balance {
	var b balance
	end := 0.0
	for j := d.yearStart(m); j <= m; j++ {
		b = balance{month: j, begin: end}
		if j == d.yearStart(m) {
			b.purchases = d.commitment(j)
		}
		if j%4 == 0 {
			b.adjustments = round2(0.004 * d.o.MonthlySpend) // a promotional credit
		}
		usage := d.usageTotal(j, d.usageRows(j, late), false)
		avail := b.begin + b.purchases + b.adjustments
		b.utilized = min(avail, usage)
		b.serviceOverage = usage - b.utilized
		b.marketplace = d.marketplaceTotal(j)
		b.billedSeparately = b.marketplace
		b.totalOverage = b.serviceOverage + b.billedSeparately
		b.totalUsage = b.utilized + b.totalOverage
		b.end = avail - b.utilized
		end = b.end
	}
	return b
}

// marketCharge is one marketplace row.
type marketCharge struct {
	day, offer, sub int
	quantity, cost  float64
	recurring       bool
}

// marketplace returns month m's marketplace charges: recurring offers on the
// first day, usage-based ones every day with data.
func (d *dataset) marketplace(m int) []marketCharge {
	var out []marketCharge
	days := d.daysWithData(m)
	for day := 0; day < days; day++ {
		for o, off := range offers {
			sub := (o*7 + 3) % len(d.subs)
			if off.monthly > 0 {
				if day == 0 {
					out = append(out, marketCharge{day: 0, offer: o, sub: sub, quantity: 1, cost: off.monthly, recurring: true})
				}
				continue
			}
			h := mix(d.o.Seed^saltMarketplace, uint64(m), uint64(day*16+o))
			q := math.Round(24*(2+8*unit(h))*1000) / 1000
			out = append(out, marketCharge{day: day, offer: o, sub: sub, quantity: q, cost: math.Round(q*off.rate*1e6) / 1e6})
		}
	}
	return out
}

func (d *dataset) marketplaceTotal(m int) float64 {
	t := 0.0
	for _, c := range d.marketplace(m) {
		t += c.cost
	}
	return t
}

// reservationPurchase is when reservation r was bought: a few months back,
// on the 5th.
func (d *dataset) reservationPurchase(r int) time.Time {
	return monthStart(d.epoch-(r*3+2)).AddDate(0, 0, 4).Add(9*time.Hour + 13*time.Minute)
}

type reservationDay struct {
	r                      int
	date                   time.Time
	reserved, used         float64
	minPct, avgPct, maxPct float64
}

// reservationDays returns each reservation's use on each full day in
// [start, end] since its purchase. Today is not over, so it is left out.
func (d *dataset) reservationDays(start, end time.Time) []reservationDay {
	today := d.now().Truncate(24 * time.Hour)
	var out []reservationDay
	for day := start.Truncate(24 * time.Hour); !day.After(end) && day.Before(today); day = day.AddDate(0, 0, 1) {
		for r, res := range reservations {
			if day.Before(d.reservationPurchase(r).Truncate(24 * time.Hour)) {
				continue
			}
			h := mix(d.o.Seed^saltReservation, uint64(r), uint64(day.Unix()/86400))
			util := math.Min(1, math.Max(0, res.utilisation+(unit(h)-0.5)*0.1))
			reserved := res.quantity * 24
			used := math.Round(reserved*util*100) / 100
			avg := math.Round(used/reserved*10000) / 100
			out = append(out, reservationDay{
				r: r, date: day, reserved: reserved, used: used,
				minPct: math.Max(0, math.Round(avg-15*unit(mix(h, 1, 1)))), avgPct: avg,
				maxPct: math.Min(100, math.Round(avg+15*unit(mix(h, 2, 2)))),
			})
		}
	}
	return out
}

type reservationEvent struct {
	r      int
	date   time.Time
	amount float64
}

// reservationEvents returns purchase events in [start, end] up to now:
// OneTime reservations are paid at purchase, Recurring ones monthly.
func (d *dataset) reservationEvents(start, end time.Time) []reservationEvent {
	now := d.now()
	var out []reservationEvent
	for r, res := range reservations {
		p := d.reservationPurchase(r)
		amount := res.price
		n := 1
		if res.frequency == "Recurring" {
			months := 12
			if res.term == "P3Y" {
				months = 36
			}
			amount = math.Round(res.price/float64(months)*100) / 100
			n = months
		}
		for i := 0; i < n; i++ {
			t := p.AddDate(0, i, 0)
			if t.After(now) || t.After(end.Add(24*time.Hour-time.Nanosecond)) {
				break
			}
			if t.Before(start) {
				continue
			}
			out = append(out, reservationEvent{r: r, date: t, amount: amount})
		}
	}
	return out
}
