package simulator

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The marketplace charges report, by billing period or custom date range.

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

func (s *Server) writeMarketplace(w *jw, req request) {
	w.raw("[")
	months := []int{req.month}
	if req.byDate {
		months = months[:0]
		for m := monthOf(req.start); m <= monthOf(req.end); m++ {
			months = append(months, m)
		}
	}
	for _, m := range months {
		for _, c := range s.d.marketplace(m) {
			day := monthStart(m).AddDate(0, 0, c.day)
			if req.byDate && (day.Before(req.start) || day.After(req.end)) {
				continue
			}
			off := &offers[c.offer]
			sub := &s.d.subs[c.sub]
			dept := &departments[sub.dept]
			w.open()
			w.str("id", fmt.Sprintf("enrollments/%s/dates/%s/instances('')/marketplaces", s.d.o.Enrollment, day.Format("20060102")))
			w.str("subscriptionGuid", sub.guid)
			w.str("subscriptionName", sub.name)
			w.str("meterId", "")
			w.time("usageStartDate", day, "2006-01-02T15:04:05")
			w.time("usageEndDate", day.Add(24*time.Hour-time.Second), "2006-01-02T15:04:05")
			w.str("offerName", off.offer)
			w.str("resourceGroup", "")
			w.str("instanceId", "")
			w.str("additionalInfo", "")
			w.str("tags", "")
			w.str("orderNumber", "")
			w.str("unitOfMeasure", off.unit)
			w.str("costCenter", dept.costCenter)
			w.int("accountId", int64(190000+sub.dept*101))
			w.str("accountName", "cloud-"+strings.ToLower(strings.Fields(dept.name)[0]))
			w.str("accountOwnerId", "cloud-"+strings.ToLower(strings.Fields(dept.name)[0])+"@contoso.example")
			w.int("departmentId", int64(79300+sub.dept))
			w.str("departmentName", dept.name)
			w.str("publisherName", off.publisher)
			w.str("planName", off.plan)
			w.num("consumedQuantity", c.quantity)
			w.num("resourceRate", off.rate)
			w.num("extendedCost", c.cost)
			if req.version >= 3 {
				// Observed both as a JSON boolean and as "False".
				if c.recurring {
					w.bool("isRecurringCharge", true)
				} else {
					w.str("isRecurringCharge", "False")
				}
			}
			w.close()
		}
	}
	w.raw("]")
}
