package eaclient

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

type billingPeriodWire struct {
	BillingPeriodID flexString `json:"billingPeriodId"`
	BillingStart    flexTime   `json:"billingStart"`
	BillingEnd      flexTime   `json:"billingEnd"`
}

var periodIDPattern = regexp.MustCompile(`^[0-9]{6}$`)

func checkPeriodID(id string) error {
	if !periodIDPattern.MatchString(id) {
		return fmt.Errorf("billing period id %q is not yyyyMM", truncate(id, 20))
	}
	return nil
}

// BillingPeriods returns the enrollment's billing periods that have data,
// newest first.
func (c *Client) BillingPeriods(ctx context.Context, etag string) ([]billing.Period, Meta, error) {
	u := c.endpoint("v2", "billingperiods", nil)
	return getList(ctx, c, ReportBillingPeriods, u, etag, func(w *billingPeriodWire) (billing.Period, error) {
		id := string(w.BillingPeriodID)
		if err := checkPeriodID(id); err != nil {
			return billing.Period{}, err
		}
		p := billing.Period{ID: id, Start: time.Time(w.BillingStart), End: time.Time(w.BillingEnd)}
		if p.Start.IsZero() {
			p.Start, _, _ = billing.PeriodBounds(id)
		}
		if p.End.IsZero() {
			_, next, _ := billing.PeriodBounds(id)
			p.End = next.Add(-time.Second)
		}
		return p, nil
	})
}
