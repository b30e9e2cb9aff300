package eaclient

import (
	"context"
	"net/url"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

type balanceSummaryWire struct {
	BillingPeriodID                flexString `json:"billingPeriodId"`
	CurrencyCode                   string     `json:"currencyCode"`
	BeginningBalance               flexFloat  `json:"beginningBalance"`
	EndingBalance                  flexFloat  `json:"endingBalance"`
	NewPurchases                   flexFloat  `json:"newPurchases"`
	Adjustments                    flexFloat  `json:"adjustments"`
	Utilized                       flexFloat  `json:"utilized"`
	ServiceOverage                 flexFloat  `json:"serviceOverage"`
	ChargesBilledSeparately        flexFloat  `json:"chargesBilledSeparately"`
	TotalOverage                   flexFloat  `json:"totalOverage"`
	TotalUsage                     flexFloat  `json:"totalUsage"`
	AzureMarketplaceServiceCharges flexFloat  `json:"azureMarketplaceServiceCharges"`
}

// BalanceSummary returns the balance summary of a billing period (yyyyMM),
// or of the current one when period is empty. The v3 API answers with an
// array, v1/v2 with an object; both are read, and an empty answer is an
// empty slice.
func (c *Client) BalanceSummary(ctx context.Context, period, etag string) ([]billing.BalanceSummary, Meta, error) {
	rest := "balancesummary"
	if period != "" {
		rest = "billingPeriods/" + url.PathEscape(period) + "/balancesummary"
	}
	u := c.endpoint("v3", rest, nil)
	return getList(ctx, c, ReportBalanceSummary, u, etag, func(w *balanceSummaryWire) (billing.BalanceSummary, error) {
		id := string(w.BillingPeriodID)
		if id == "" {
			id = period
		}
		if id != "" {
			if err := checkPeriodID(id); err != nil {
				return billing.BalanceSummary{}, err
			}
		}
		return billing.BalanceSummary{
			PeriodID:                id,
			Currency:                w.CurrencyCode,
			BeginningBalance:        float64(w.BeginningBalance),
			EndingBalance:           float64(w.EndingBalance),
			NewPurchases:            float64(w.NewPurchases),
			Adjustments:             float64(w.Adjustments),
			Utilized:                float64(w.Utilized),
			ServiceOverage:          float64(w.ServiceOverage),
			ChargesBilledSeparately: float64(w.ChargesBilledSeparately),
			TotalOverage:            float64(w.TotalOverage),
			TotalUsage:              float64(w.TotalUsage),
			MarketplaceCharges:      float64(w.AzureMarketplaceServiceCharges),
		}, nil
	})
}
