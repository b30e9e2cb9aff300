package armclient

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

type balanceWire struct {
	ID         string `json:"id"`
	Properties *struct {
		Currency                       string    `json:"currency"`
		BeginningBalance               flexFloat `json:"beginningBalance"`
		EndingBalance                  flexFloat `json:"endingBalance"`
		NewPurchases                   flexFloat `json:"newPurchases"`
		Adjustments                    flexFloat `json:"adjustments"`
		Utilized                       flexFloat `json:"utilized"`
		ServiceOverage                 flexFloat `json:"serviceOverage"`
		ChargesBilledSeparately        flexFloat `json:"chargesBilledSeparately"`
		TotalOverage                   flexFloat `json:"totalOverage"`
		TotalUsage                     flexFloat `json:"totalUsage"`
		AzureMarketplaceServiceCharges flexFloat `json:"azureMarketplaceServiceCharges"`
	} `json:"properties"`
}

var idPeriodPattern = regexp.MustCompile(`(?i)/billingPeriods/([0-9]{6})(/|$)`)

// BalanceSummary returns the commitment balance of a billing period from
// Microsoft.Consumption/balances at the billing-period scope. An empty
// period asks the un-suffixed route (the current period, read from the
// answer's id). A 204, a 404 or an answer without properties is
// billing.ErrNoData.
func (c *Client) BalanceSummary(ctx context.Context, period, revision string) (billing.BalanceSummary, billing.Result, error) {
	const report = ReportBalanceSummary
	path := c.accountPath()
	if period != "" {
		if err := checkPeriod(report, period); err != nil {
			return billing.BalanceSummary{}, billing.Result{}, err
		}
		if res, ok := c.closedShortcut(report, period, revision); ok {
			return billing.BalanceSummary{}, res, nil
		}
		path += "/billingPeriods/" + period
	}
	u := c.endpoint(path+"/providers/Microsoft.Consumption/balances", "api-version="+url.QueryEscape(c.cfg.APIVersions.Consumption))
	var w balanceWire
	found, err := c.getJSON(ctx, report, u, &w)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == 404 {
			e.Err = billing.ErrNoData
			return billing.BalanceSummary{}, billing.Result{}, e
		}
		return billing.BalanceSummary{}, billing.Result{}, err
	}
	if !found || w.Properties == nil {
		return billing.BalanceSummary{}, billing.Result{}, &Error{Report: report, Kind: KindNotFound, Message: "no balance for billing period " + period, Err: billing.ErrNoData}
	}
	id := period
	if id == "" {
		if m := idPeriodPattern.FindStringSubmatch(w.ID); m != nil {
			id = m[1]
		} else {
			id = billing.PeriodOf(c.calendar())
		}
	}
	p := w.Properties
	b := billing.BalanceSummary{
		PeriodID:                id,
		Currency:                strings.TrimSpace(p.Currency), // "USD  " in the examples
		BeginningBalance:        float64(p.BeginningBalance),
		EndingBalance:           float64(p.EndingBalance),
		NewPurchases:            float64(p.NewPurchases),
		Adjustments:             float64(p.Adjustments),
		Utilized:                float64(p.Utilized),
		ServiceOverage:          float64(p.ServiceOverage),
		ChargesBilledSeparately: float64(p.ChargesBilledSeparately),
		TotalOverage:            float64(p.TotalOverage),
		TotalUsage:              float64(p.TotalUsage),
		MarketplaceCharges:      float64(p.AzureMarketplaceServiceCharges),
	}
	h := newRevisionHash(report)
	h.add(b)
	res := billing.Result{Revision: h.sum(), Rows: 1}
	c.rememberClosed(report, id, res.Revision)
	if revision != "" && revision == res.Revision {
		res.NotModified = true
		return billing.BalanceSummary{}, res, nil
	}
	return b, res, nil
}
