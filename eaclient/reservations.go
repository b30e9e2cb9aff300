package eaclient

import (
	"context"
	"net/url"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

type reservationDetailWire struct {
	ReservationOrderID    string    `json:"reservationOrderId"`
	ReservationID         string    `json:"reservationId"`
	UsageDate             flexTime  `json:"usageDate"`
	SkuName               string    `json:"skuName"`
	InstanceID            string    `json:"instanceId"`
	TotalReservedQuantity flexFloat `json:"totalReservedQuantity"`
	ReservedHours         flexFloat `json:"reservedHours"`
	UsedHours             flexFloat `json:"usedHours"`
}

type reservationSummaryWire struct {
	ReservationOrderID       string    `json:"reservationOrderId"`
	ReservationID            string    `json:"reservationId"`
	SkuName                  string    `json:"skuName"`
	ReservedHours            flexFloat `json:"reservedHours"`
	UsageDate                flexTime  `json:"usageDate"`
	UsedHours                flexFloat `json:"usedHours"`
	MinUtilizationPercentage flexFloat `json:"minUtilizationPercentage"`
	AvgUtilizationPercentage flexFloat `json:"avgUtilizationPercentage"`
	MaxUtilizationPercentage flexFloat `json:"maxUtilizationPercentage"`
}

type reservationChargeWire struct {
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
	EventDate                  flexTime  `json:"eventDate"`
	ReservationOrderID         string    `json:"reservationOrderId"`
	Description                string    `json:"description"`
	EventType                  string    `json:"eventType"`
	Quantity                   flexFloat `json:"quantity"`
	Amount                     flexFloat `json:"amount"`
	Currency                   string    `json:"currency"`
	ReservationOrderName       string    `json:"reservationOrderName"`
}

func dateRange(start, end time.Time, startKey, endKey string) url.Values {
	return url.Values{startKey: {day(start)}, endKey: {day(end)}}
}

// ReservationDetails returns reserved-instance usage per reservation,
// instance and day in [start, end].
func (c *Client) ReservationDetails(ctx context.Context, start, end time.Time, etag string) ([]billing.ReservationUsage, Meta, error) {
	u := c.endpoint("v2", "reservationdetails", dateRange(start, end, "startDate", "endDate"))
	return getList(ctx, c, ReportReservationDetails, u, etag, func(w *reservationDetailWire) (billing.ReservationUsage, error) {
		return billing.ReservationUsage{
			Date:               time.Time(w.UsageDate),
			ReservationOrderID: w.ReservationOrderID,
			ReservationID:      w.ReservationID,
			SKU:                w.SkuName,
			InstanceID:         w.InstanceID,
			ReservedQuantity:   float64(w.TotalReservedQuantity),
			ReservedHours:      float64(w.ReservedHours),
			UsedHours:          float64(w.UsedHours),
		}, nil
	})
}

// ReservationSummaries returns reserved-instance utilisation per reservation
// at grain "daily" (one row a day in [start, end]) or "monthly".
func (c *Client) ReservationSummaries(ctx context.Context, grain string, start, end time.Time, etag string) ([]billing.ReservationUsage, Meta, error) {
	q := url.Values{"grain": {grain}}
	if !start.IsZero() {
		q.Set("startdate", day(start))
		q.Set("enddate", day(end))
	}
	u := c.endpoint("v2", "reservationsummaries", q)
	return getList(ctx, c, ReportReservationSummaries, u, etag, func(w *reservationSummaryWire) (billing.ReservationUsage, error) {
		return billing.ReservationUsage{
			Date:                  time.Time(w.UsageDate),
			ReservationOrderID:    w.ReservationOrderID,
			ReservationID:         w.ReservationID,
			SKU:                   w.SkuName,
			ReservedHours:         float64(w.ReservedHours),
			UsedHours:             float64(w.UsedHours),
			MinUtilizationPercent: float64(w.MinUtilizationPercentage),
			AvgUtilizationPercent: float64(w.AvgUtilizationPercentage),
			MaxUtilizationPercent: float64(w.MaxUtilizationPercentage),
		}, nil
	})
}

// ReservationCharges returns reservation transactions with an event date in
// [start, end].
func (c *Client) ReservationCharges(ctx context.Context, start, end time.Time, etag string) ([]billing.ReservationCharge, Meta, error) {
	u := c.endpoint("v4", "reservationcharges", dateRange(start, end, "startDate", "endDate"))
	return getList(ctx, c, ReportReservationCharges, u, etag, func(w *reservationChargeWire) (billing.ReservationCharge, error) {
		return billing.ReservationCharge{
			EventDate:            time.Time(w.EventDate),
			EventType:            w.EventType,
			ReservationOrderID:   w.ReservationOrderID,
			ReservationOrderName: w.ReservationOrderName,
			Description:          w.Description,
			SKU:                  w.ArmSkuName,
			Term:                 w.Term,
			Region:               w.Region,
			BillingFrequency:     w.BillingFrequency,
			Quantity:             float64(w.Quantity),
			Amount:               float64(w.Amount),
			Currency:             w.Currency,
			Department:           w.DepartmentName,
			AccountName:          w.AccountName,
			CostCenter:           w.CostCenter,
			SubscriptionID:       w.PurchasingSubscriptionGUID,
			SubscriptionName:     w.PurchasingSubscriptionName,
			PurchasingEnrollment: w.PurchasingEnrollment,
			CurrentEnrollment:    w.CurrentEnrollment,
		}, nil
	})
}
