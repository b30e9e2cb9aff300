package simulator

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// The reservation reports: details (per instance) and summaries (per
// reservation, daily or monthly) of each complete day's use, and the
// charges of the purchases.

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
// [start, end] since its purchase, up to the newest day with data. Today is
// not over, so it is always left out, while usage has today's partial rows.
func (d *dataset) reservationDays(start, end time.Time) []reservationDay {
	last := d.now().Truncate(24*time.Hour).AddDate(0, 0, -max(1, d.o.DataLatencyDays))
	var out []reservationDay
	for day := start.Truncate(24 * time.Hour); !day.After(end) && !day.After(last); day = day.AddDate(0, 0, 1) {
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

// reservationEvents returns purchase events in [start, end] up to now (or
// with a data latency, up to the end of the newest day with data): OneTime
// reservations are paid at purchase, Recurring ones monthly.
func (d *dataset) reservationEvents(start, end time.Time) []reservationEvent {
	now := d.now()
	if d.o.DataLatencyDays > 0 {
		now = d.dataThrough().Add(24*time.Hour - time.Nanosecond)
	}
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

func reservationIDs(seed uint64, r int) (order, id string) {
	return guid(mix(seed, 0x0d, uint64(r))), guid(mix(seed, 0x1d, uint64(r)))
}

func (s *Server) writeReservationDetails(w *jw, req request) {
	w.raw("[")
	for _, rd := range s.d.reservationDays(req.start, req.end) {
		res := &reservations[rd.r]
		order, id := reservationIDs(s.d.o.Seed, rd.r)
		n := int(res.quantity)
		for k := 0; k < n; k++ {
			w.open()
			w.str("reservationOrderId", order)
			w.str("reservationId", id)
			w.time("usageDate", rd.date, "2006-01-02T15:04:05")
			w.str("skuName", res.sku)
			sub := &s.d.subs[(rd.r*5+k)%len(s.d.subs)]
			w.str("instanceId", fmt.Sprintf("/subscriptions/%s/resourcegroups/rg-%s/providers/microsoft.compute/virtualmachines/vm-%d-%02d", sub.guid, sub.env, rd.r, k))
			w.num("totalReservedQuantity", res.quantity)
			// Each instance carries its share of the day, so the rows of a
			// reservation add up to its daily summary.
			w.num("reservedHours", rd.reserved/float64(n))
			w.num("usedHours", rd.used/float64(n))
			w.close()
		}
	}
	w.raw("]")
}

func (s *Server) writeReservationSummaries(w *jw, req request) {
	days := s.d.reservationDays(req.start, req.end)
	if req.grain == "monthly" {
		// Monthly grain: the current month to date, one row a reservation.
		cur := s.d.currentMonth()
		days = s.d.reservationDays(monthStart(cur), monthStart(cur+1).Add(-time.Second))
		agg := map[int]*reservationDay{}
		var order []int
		for _, d := range days {
			a, ok := agg[d.r]
			if !ok {
				a = &reservationDay{r: d.r, date: monthStart(cur), minPct: 100}
				agg[d.r] = a
				order = append(order, d.r)
			}
			a.reserved += d.reserved
			a.used += d.used
			a.minPct = min(a.minPct, d.minPct)
			a.maxPct = max(a.maxPct, d.maxPct)
		}
		sort.Ints(order)
		days = days[:0]
		for _, r := range order {
			a := agg[r]
			a.avgPct = round2(a.used / a.reserved * 100)
			days = append(days, *a)
		}
	}
	w.raw("[")
	for _, rd := range days {
		res := &reservations[rd.r]
		order, id := reservationIDs(s.d.o.Seed, rd.r)
		w.open()
		w.str("reservationOrderId", order)
		w.str("reservationId", id)
		w.str("skuName", res.sku)
		w.num("reservedHours", rd.reserved)
		w.time("usageDate", rd.date, "2006-01-02T15:04:05")
		w.num("usedHours", rd.used)
		w.num("minUtilizationPercentage", rd.minPct)
		w.num("avgUtilizationPercentage", rd.avgPct)
		w.num("maxUtilizationPercentage", rd.maxPct)
		w.close()
	}
	w.raw("]")
}

func (s *Server) writeReservationCharges(w *jw, req request) {
	w.raw("[")
	for _, ev := range s.d.reservationEvents(req.start, req.end) {
		res := &reservations[ev.r]
		order, _ := reservationIDs(s.d.o.Seed, ev.r)
		sub := &s.d.subs[(ev.r*5)%len(s.d.subs)]
		dept := &departments[sub.dept]
		term := map[string]string{"P1Y": "1 Year", "P3Y": "3 Years"}[res.term]
		w.open()
		w.str("purchasingEnrollment", s.d.o.Enrollment)
		w.str("armSkuName", res.sku)
		w.str("term", res.term)
		w.str("region", res.region)
		w.str("purchasingSubscriptionGuid", sub.guid)
		w.str("purchasingSubscriptionName", sub.name)
		w.str("accountName", "cloud-"+strings.ToLower(strings.Fields(dept.name)[0]))
		w.str("accountOwnerEmail", "cloud-"+strings.ToLower(strings.Fields(dept.name)[0])+"@contoso.example")
		w.str("departmentName", dept.name)
		w.str("costCenter", dept.costCenter)
		w.str("currentEnrollment", s.d.o.Enrollment)
		if req.version >= 4 {
			w.str("billingFrequency", res.frequency)
		}
		w.time("eventDate", ev.date, "2006-01-02T15:04:05")
		w.str("reservationOrderId", order)
		w.str("description", res.sku+" "+res.region+" "+term)
		w.str("eventType", "Purchase")
		w.num("quantity", res.quantity)
		w.num("amount", ev.amount)
		w.str("currency", s.d.o.Currency)
		w.str("reservationOrderName", res.orderName)
		w.close()
	}
	w.raw("]")
}
