package eaclient

import (
	"context"
	"net/url"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

type priceWire struct {
	BillingPeriodID  flexString `json:"billingPeriodId"`
	MeterID          string     `json:"meterId"`
	MeterName        string     `json:"meterName"`
	UnitOfMeasure    string     `json:"unitOfMeasure"`
	IncludedQuantity flexFloat  `json:"includedQuantity"`
	PartNumber       string     `json:"partNumber"`
	UnitPrice        flexFloat  `json:"unitPrice"`
	CurrencyCode     string     `json:"currencyCode"`
}

// PriceSheet returns the price sheet of a billing period, or of the current
// one when period is empty.
func (c *Client) PriceSheet(ctx context.Context, period, etag string) ([]billing.Price, Meta, error) {
	rest := "pricesheet"
	if period != "" {
		rest = "billingPeriods/" + url.PathEscape(period) + "/pricesheet"
	}
	u := c.endpoint("v3", rest, nil)
	return getList(ctx, c, ReportPriceSheet, u, etag, func(w *priceWire) (billing.Price, error) {
		// The docs' sample carries other periods' ids in the rows; the
		// period asked for is the one the rows belong to.
		id := period
		if id == "" {
			id = string(w.BillingPeriodID)
		}
		return billing.Price{
			PeriodID:         id,
			MeterID:          w.MeterID,
			MeterName:        w.MeterName,
			PartNumber:       w.PartNumber,
			UnitOfMeasure:    w.UnitOfMeasure,
			UnitPrice:        float64(w.UnitPrice),
			IncludedQuantity: float64(w.IncludedQuantity),
			Currency:         w.CurrencyCode,
		}, nil
	})
}
