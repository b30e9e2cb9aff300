package simulator

import (
	"fmt"
	"math"
	"strconv"
)

// The balance summary and the commitment account behind it. The enrollment
// buys a year's commitment in its anniversary month; at creation the
// simulator's current month is the ninth of the commitment year. Unused
// commitment expires at the year's end.

func (d *dataset) yearStart(m int) int {
	anniv := d.epoch - 8
	return m - ((m-anniv)%12+12)%12
}

// credit is the promotional credit of month m (every fourth month).
func (d *dataset) credit(m int) float64 {
	if m%4 == 0 {
		return round2(0.004 * d.o.MonthlySpend)
	}
	return 0
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
		// Enough, with the credits, for the year's usage before the epoch
		// month and a quarter of that month's first day: the commitment
		// runs out on the first day of the current period, so every day of
		// it, the 1st included, shows overage. It is sized on whole months
		// (as served without a data latency) and kept to the cent, rounded
		// up, so that no period before the epoch month has overage.
		for m := ys; m < d.epoch; m++ {
			c += full(m) - d.credit(m)
		}
		first := d.usageTotal(d.epoch, d.o.UsageRowsPerDay, true)
		c += max(0, first/4-d.credit(d.epoch))
		c = math.Ceil(c*100) / 100
	} else {
		for m := ys; m < ys+12; m++ {
			c += full(m)
		}
		c *= 1.12
		c = math.Round(c/1000) * 1000
	}
	d.mu.Lock()
	d.commitCum[ys] = c
	d.mu.Unlock()
	return c
}

type balance struct {
	month                                          int
	begin, purchases, adjustments, utilized, end   float64
	credit, expired                                float64 // the adjustments: credit - expired
	serviceOverage, billedSeparately, totalOverage float64
	totalUsage, marketplace                        float64
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// balance computes month m's summary by running the account from the start
// of its commitment year. Every period begins with the balance the one
// before it ended with: at a year's start that balance expires, as an
// adjustment.
func (d *dataset) balance(m, late int) balance {
	ys := d.yearStart(m)
	expiring := 0.0
	if m == ys {
		// Only the first month shows what the previous year left.
		expiring = d.runYear(ys-12, ys-1, late, 0).end
	}
	return d.runYear(ys, m, late, expiring)
}

// runYear runs the account of the commitment year ys up to month m.
// expiring is the previous year's ending balance, shown as the year's
// beginning balance and taken away again as expired commitment.
func (d *dataset) runYear(ys, m, late int, expiring float64) balance {
	var b balance
	carried := 0.0 // commitment never carries into a new year
	for j := ys; j <= m; j++ {
		b = balance{month: j, begin: carried, credit: d.credit(j)}
		if j == ys {
			b.begin, b.expired, b.purchases = expiring, expiring, d.commitment(j)
		}
		b.adjustments = b.credit - b.expired
		usage := d.usageTotal(j, d.usageRows(j, late), false)
		avail := carried + b.purchases + b.credit
		b.utilized = min(avail, usage)
		b.serviceOverage = usage - b.utilized
		b.marketplace = d.marketplaceTotal(j)
		b.billedSeparately = b.marketplace
		b.totalOverage = b.serviceOverage + b.billedSeparately
		b.totalUsage = b.utilized + b.totalOverage
		b.end = avail - b.utilized
		carried = b.end
	}
	return b
}

func (s *Server) writeBalance(w *jw, req request) {
	b := s.d.balance(req.month, s.late())
	// v3 answers with an array, v1/v2 with a single object (observed).
	if req.version >= 3 {
		w.raw("[")
	}
	w.open()
	w.str("id", fmt.Sprintf("enrollments/%s/billingperiods/%s/balancesummaries", s.d.o.Enrollment, monthID(req.month)))
	// A number, not a string: the documented sample does this.
	id, _ := strconv.Atoi(monthID(req.month))
	w.int("billingPeriodId", int64(id))
	w.str("currencyCode", s.d.o.Currency)
	w.num("beginningBalance", round2(b.begin))
	w.num("endingBalance", round2(b.end))
	w.num("newPurchases", round2(b.purchases))
	w.num("adjustments", round2(b.adjustments))
	w.num("utilized", round2(b.utilized))
	w.num("serviceOverage", round2(b.serviceOverage))
	w.num("chargesBilledSeparately", round2(b.billedSeparately))
	w.num("totalOverage", round2(b.totalOverage))
	w.num("totalUsage", round2(b.totalUsage))
	w.num("azureMarketplaceServiceCharges", round2(b.marketplace))
	writeBalanceDetails(w, b)
	w.close()
	if req.version >= 3 {
		w.raw("]")
	}
}

// writeBalanceDetails writes the purchases and adjustments of a balance,
// the same in the EA balance summary and the ARM balance.
func writeBalanceDetails(w *jw, b balance) {
	w.key("newPurchasesDetails")
	w.raw("[")
	if b.purchases > 0 {
		w.open()
		w.str("name", "Azure Monetary Commitment")
		w.num("value", round2(b.purchases))
		w.close()
	}
	w.raw("]")
	w.key("adjustmentDetails")
	w.raw("[")
	if b.credit > 0 {
		w.open()
		w.str("name", "Promo Credit")
		w.num("value", round2(b.credit))
		w.close()
	}
	if b.expired > 0 {
		w.open()
		w.str("name", "Expired Commitment")
		w.num("value", -round2(b.expired))
		w.close()
	}
	w.raw("]")
}
