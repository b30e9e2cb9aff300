package armclient

import (
	"cmp"
	"context"
	"net/url"
	"slices"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

type reservationSummaryWire struct {
	Properties struct {
		ReservationOrderID       string    `json:"reservationOrderId"`
		ReservationID            string    `json:"reservationId"`
		SkuName                  string    `json:"skuName"`
		ReservedHours            flexFloat `json:"reservedHours"`
		UsageDate                wireTime  `json:"usageDate"`
		UsedHours                flexFloat `json:"usedHours"`
		MinUtilizationPercentage flexFloat `json:"minUtilizationPercentage"`
		AvgUtilizationPercentage flexFloat `json:"avgUtilizationPercentage"`
		MaxUtilizationPercentage flexFloat `json:"maxUtilizationPercentage"`
		TotalReservedQuantity    flexFloat `json:"totalReservedQuantity"`
	} `json:"properties"`
}

type reservationTransactionWire struct {
	Properties struct {
		EventDate                  wireTime  `json:"eventDate"`
		ReservationOrderID         string    `json:"reservationOrderId"`
		Description                string    `json:"description"`
		EventType                  string    `json:"eventType"`
		Quantity                   flexFloat `json:"quantity"`
		Amount                     flexFloat `json:"amount"`
		Currency                   string    `json:"currency"`
		ReservationOrderName       string    `json:"reservationOrderName"`
		PurchasingEnrollment       string    `json:"purchasingEnrollment"`
		ArmSkuName                 string    `json:"armSkuName"`
		Term                       string    `json:"term"`
		Region                     string    `json:"region"`
		PurchasingSubscriptionGUID string    `json:"purchasingSubscriptionGuid"`
		PurchasingSubscriptionName string    `json:"purchasingSubscriptionName"`
		AccountName                string    `json:"accountName"`
		DepartmentName             string    `json:"departmentName"`
		CostCenter                 string    `json:"costCenter"`
		CurrentEnrollment          string    `json:"currentEnrollment"`
		BillingFrequency           string    `json:"billingFrequency"`
	} `json:"properties"`
	// tags is [] in the swagger example and {} in the migration guide:
	// not decoded.
}

// dateFilter is the Consumption $filter on a date property, inclusive.
func dateFilter(property string, from, to time.Time) string {
	return "properties/" + property + " ge " + dayString(from) + " AND properties/" + property + " le " + dayString(to)
}

func inDays(d, from, to time.Time) bool {
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	f := time.Date(from.UTC().Year(), from.UTC().Month(), from.UTC().Day(), 0, 0, 0, 0, time.UTC)
	t := time.Date(to.UTC().Year(), to.UTC().Month(), to.UTC().Day(), 0, 0, 0, 0, time.UTC)
	return !day.Before(f) && !day.After(t)
}

// ReservationUsage returns the daily reservation summaries
// (Microsoft.Consumption/reservationSummaries, grain=daily) of the billing
// account for the inclusive date range, following nextLink on the ARM host.
// Each row's Date is the usage day as the service writes it.
func (c *Client) ReservationUsage(ctx context.Context, from, to time.Time, revision string) ([]billing.ReservationUsage, billing.Result, error) {
	const report = ReportReservationDetails
	q := "grain=daily&$filter=" + url.QueryEscape(dateFilter("usageDate", from, to)) + "&api-version=" + url.QueryEscape(c.cfg.APIVersions.Consumption)
	u := c.endpoint(c.accountPath()+"/providers/Microsoft.Consumption/reservationSummaries", q)
	var out []billing.ReservationUsage
	read := 0
	_, err := getList(ctx, c, report, u, func(w *reservationSummaryWire) error {
		read++
		p := &w.Properties
		d := p.UsageDate.day()
		if !d.IsZero() && !inDays(d, from, to) {
			return nil
		}
		out = append(out, billing.ReservationUsage{
			Date:                  d,
			ReservationOrderID:    p.ReservationOrderID,
			ReservationID:         p.ReservationID,
			SKU:                   p.SkuName,
			ReservedQuantity:      float64(p.TotalReservedQuantity),
			ReservedHours:         float64(p.ReservedHours),
			UsedHours:             float64(p.UsedHours),
			MinUtilizationPercent: float64(p.MinUtilizationPercentage),
			AvgUtilizationPercent: float64(p.AvgUtilizationPercentage),
			MaxUtilizationPercent: float64(p.MaxUtilizationPercentage),
		})
		return nil
	})
	if err != nil {
		return nil, billing.Result{}, err
	}
	slices.SortStableFunc(out, func(a, b billing.ReservationUsage) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.ReservationOrderID, b.ReservationOrderID), cmp.Compare(a.ReservationID, b.ReservationID))
	})
	return finish(report, out, read, revision)
}

// ReservationCharges returns the reservation transactions
// (Microsoft.Consumption/reservationTransactions) whose event date (UTC) is
// in the inclusive range. The service answers whole billing months for the
// range's first and last day; rows outside the range are dropped here.
// Transactions are not de-duplicated by id: a purchase and its refund share
// one.
func (c *Client) ReservationCharges(ctx context.Context, from, to time.Time, revision string) ([]billing.ReservationCharge, billing.Result, error) {
	const report = ReportReservationCharges
	q := "$filter=" + url.QueryEscape(dateFilter("eventDate", from, to)) + "&api-version=" + url.QueryEscape(c.cfg.APIVersions.Consumption)
	u := c.endpoint(c.accountPath()+"/providers/Microsoft.Consumption/reservationTransactions", q)
	var out []billing.ReservationCharge
	read := 0
	_, err := getList(ctx, c, report, u, func(w *reservationTransactionWire) error {
		read++
		p := &w.Properties
		ev := p.EventDate.UTC()
		if !ev.IsZero() && !inDays(ev, from, to) {
			return nil
		}
		out = append(out, billing.ReservationCharge{
			EventDate:            ev,
			EventType:            p.EventType,
			ReservationOrderID:   p.ReservationOrderID,
			ReservationOrderName: p.ReservationOrderName,
			Description:          p.Description,
			SKU:                  p.ArmSkuName,
			Term:                 p.Term,
			Region:               p.Region,
			BillingFrequency:     p.BillingFrequency,
			Quantity:             float64(p.Quantity),
			Amount:               float64(p.Amount),
			Currency:             p.Currency,
			Department:           p.DepartmentName,
			AccountName:          p.AccountName,
			CostCenter:           p.CostCenter,
			SubscriptionID:       p.PurchasingSubscriptionGUID,
			SubscriptionName:     p.PurchasingSubscriptionName,
			PurchasingEnrollment: p.PurchasingEnrollment,
			CurrentEnrollment:    p.CurrentEnrollment,
		})
		return nil
	})
	if err != nil {
		return nil, billing.Result{}, err
	}
	slices.SortStableFunc(out, func(a, b billing.ReservationCharge) int { return a.EventDate.Compare(b.EventDate) })
	return finish(report, out, read, revision)
}

// finish hashes the records into the revision and answers NotModified when
// it is the caller's.
func finish[T any](report string, out []T, read int, revision string) ([]T, billing.Result, error) {
	h := newRevisionHash(report)
	for i := range out {
		h.add(&out[i])
	}
	res := billing.Result{Revision: h.sum(), Rows: read}
	if revision != "" && revision == res.Revision {
		res.NotModified = true
		return nil, res, nil
	}
	return out, res, nil
}
