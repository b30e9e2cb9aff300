package collector

import (
	"context"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// reservationWindows are the trailing windows of complete days that
// utilisation is reported over, as the Azure portal shows it.
var reservationWindows = []struct {
	label string
	days  int
}{{"1d", 1}, {"7d", 7}, {"30d", 30}}

// reservationLookback is how many days of daily summaries a refresh reads:
// the longest window, plus the one to three days billing data arrives late,
// plus today, which is never complete.
const reservationLookback = 30 + 4

// reservationUtil is one reservation's use over one window, or over one
// closed billing period.
type reservationUtil struct {
	OrderID       string  `json:"order_id"`
	ReservationID string  `json:"reservation_id"`
	SKU           string  `json:"sku"`
	Window        string  `json:"window,omitempty"`
	Period        string  `json:"period,omitempty"`
	Reserved      float64 `json:"reserved_seconds"`
	Used          float64 `json:"used_seconds"`
}

// reservationUsageReport (report reservation_details) reports reservation
// utilisation over trailing windows ending at the newest complete day that
// has data, so that it is there on any day of the month, the 1st included,
// whatever the data's delay; and each reservation's final figures for the
// tracked billing periods that have closed.
type reservationUsageReport struct {
	cache[[]reservationUtil]
	e *enrollment
}

func (r *reservationUsageReport) data() data    { return &r.cache }
func (r *reservationUsageReport) shape() string { return "" }

func (r *reservationUsageReport) refresh(ctx context.Context) (bool, int, error) {
	today := dayOf(r.e.now())
	from := today.AddDate(0, 0, -reservationLookback)
	tracked := r.e.tracked()
	if oldest, _, err := billing.PeriodBounds(tracked[len(tracked)-1]); err == nil && oldest.Before(from) {
		from = oldest
	}
	next, changed, err := refreshEntries(ctx, []string{""}, r.load(), func(ctx context.Context, _, rev string) ([]reservationUtil, billing.Result, error) {
		rows, res, err := r.e.source.ReservationUsage(ctx, from, today, rev)
		if err != nil || res.NotModified {
			return nil, res, err
		}
		return append(reservationWindowSums(rows, today), reservationPeriodSums(rows, today)...), res, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

// reservationWindowSums sums each reservation's daily rows over every
// window ending at the newest day before today that has rows.
func reservationWindowSums(rows []billing.ReservationUsage, today time.Time) []reservationUtil {
	var last time.Time
	for _, u := range rows {
		if d := dayOf(u.Date); d.Before(today) && d.After(last) {
			last = d
		}
	}
	if last.IsZero() {
		return nil
	}
	type key struct{ order, id, sku, window string }
	sums := map[key]*reservationUtil{}
	var out []*reservationUtil
	for _, u := range rows {
		d := dayOf(u.Date)
		if d.After(last) {
			continue
		}
		age := int(last.Sub(d).Hours()/24 + 0.5)
		for _, w := range reservationWindows {
			if age >= w.days {
				continue
			}
			k := key{u.ReservationOrderID, u.ReservationID, u.SKU, w.label}
			s := sums[k]
			if s == nil {
				s = &reservationUtil{OrderID: k.order, ReservationID: k.id, SKU: k.sku, Window: k.window}
				sums[k] = s
				out = append(out, s)
			}
			s.Reserved += u.ReservedHours * 3600
			s.Used += u.UsedHours * 3600
		}
	}
	res := make([]reservationUtil, len(out))
	for i, s := range out {
		res[i] = *s
		res[i].Reserved = roundMoney(s.Reserved)
		res[i].Used = roundMoney(s.Used)
	}
	return res
}

// reservationPeriodSums sums each reservation's daily rows by billing
// period, for the periods that closed before today.
func reservationPeriodSums(rows []billing.ReservationUsage, today time.Time) []reservationUtil {
	open := billing.PeriodOf(today)
	type key struct{ order, id, sku, period string }
	sums := map[key]*reservationUtil{}
	var out []*reservationUtil
	for _, u := range rows {
		p := billing.PeriodOf(u.Date)
		if p >= open {
			continue
		}
		k := key{u.ReservationOrderID, u.ReservationID, u.SKU, p}
		s := sums[k]
		if s == nil {
			s = &reservationUtil{OrderID: k.order, ReservationID: k.id, SKU: k.sku, Period: p}
			sums[k] = s
			out = append(out, s)
		}
		s.Reserved += u.ReservedHours * 3600
		s.Used += u.UsedHours * 3600
	}
	res := make([]reservationUtil, len(out))
	for i, s := range out {
		res[i] = *s
		res[i].Reserved = roundMoney(s.Reserved)
		res[i].Used = roundMoney(s.Used)
	}
	return res
}

func (r *reservationUsageReport) collect(s *sink) {
	for _, u := range r.load()[""].Data {
		ratio := 0.0
		if u.Reserved > 0 {
			ratio = min(1, u.Used/u.Reserved)
		}
		switch {
		case u.Window != "":
			s.gauge(descReservedSeconds, u.Reserved, u.OrderID, u.ReservationID, u.SKU, u.Window)
			s.gauge(descUsedSeconds, u.Used, u.OrderID, u.ReservationID, u.SKU, u.Window)
			s.gauge(descUtilization, ratio, u.OrderID, u.ReservationID, u.SKU, u.Window)
		case s.tracked[u.Period]:
			s.gauge(descPeriodReservedSeconds, u.Reserved, u.Period, u.OrderID, u.ReservationID, u.SKU)
			s.gauge(descPeriodUsedSeconds, u.Used, u.Period, u.OrderID, u.ReservationID, u.SKU)
			s.gauge(descPeriodUtilization, ratio, u.Period, u.OrderID, u.ReservationID, u.SKU)
		}
	}
}

// reservationCharge is the sum of one kind of transaction of one
// reservation order in one billing period.
type reservationCharge struct {
	Labels []string `json:"labels"` // billing_period first, then the other labels of descReservationCost
	Amount float64  `json:"amount"`
}

// reservationChargesReport sums reservation transactions by the billing
// period of their event date, over the tracked periods.
type reservationChargesReport struct {
	cache[[]reservationCharge]
	e *enrollment
}

func (r *reservationChargesReport) data() data    { return &r.cache }
func (r *reservationChargesReport) shape() string { return "" }

func (r *reservationChargesReport) refresh(ctx context.Context) (bool, int, error) {
	tracked := r.e.tracked()
	from, _, _ := billing.PeriodBounds(tracked[len(tracked)-1])
	_, end, _ := billing.PeriodBounds(tracked[0])
	to := end.AddDate(0, 0, -1)
	next, changed, err := refreshEntries(ctx, []string{""}, r.load(), func(ctx context.Context, _, rev string) ([]reservationCharge, billing.Result, error) {
		charges, res, err := r.e.source.ReservationCharges(ctx, from, to, rev)
		if err != nil || res.NotModified {
			return nil, res, err
		}
		sums := newSums()
		for _, c := range charges {
			sums.add([]string{billing.PeriodOf(c.EventDate), c.ReservationOrderID, c.ReservationOrderName, c.SKU, c.Term, c.Region, c.EventType}, c.Amount)
		}
		out := make([]reservationCharge, 0, sums.len())
		sums.each(func(labels []string, v float64) { out = append(out, reservationCharge{labels, v}) })
		return out, res, nil
	})
	r.store(next)
	return changed, r.rows(), err
}

func (r *reservationChargesReport) collect(s *sink) {
	for _, c := range r.load()[""].Data {
		if s.tracked[c.Labels[0]] {
			s.gauge(descReservationCost, c.Amount, c.Labels...)
		}
	}
}

// dayOf is the UTC day t falls in.
func dayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
