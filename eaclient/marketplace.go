package eaclient

import (
	"context"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

type marketplaceWire struct {
	SubscriptionGUID  string    `json:"subscriptionGuid"`
	SubscriptionName  string    `json:"subscriptionName"`
	UsageStartDate    flexTime  `json:"usageStartDate"`
	UsageEndDate      flexTime  `json:"usageEndDate"`
	OfferName         string    `json:"offerName"`
	Tags              flexTags  `json:"tags"`
	UnitOfMeasure     string    `json:"unitOfMeasure"`
	CostCenter        string    `json:"costCenter"`
	AccountName       string    `json:"accountName"`
	DepartmentName    string    `json:"departmentName"`
	PublisherName     string    `json:"publisherName"`
	PlanName          string    `json:"planName"`
	ConsumedQuantity  flexFloat `json:"consumedQuantity"`
	ResourceRate      flexFloat `json:"resourceRate"`
	ExtendedCost      flexFloat `json:"extendedCost"`
	IsRecurringCharge flexBool  `json:"isRecurringCharge"`
}

// MarketplaceCharges returns the marketplace charges of a billing period or
// date range (not paged by the API).
func (c *Client) MarketplaceCharges(ctx context.Context, q Query, etag string) ([]billing.MarketplaceCharge, Meta, error) {
	rest, params := q.route("marketplacecharges", "marketplacechargesbycustomdate")
	u := c.endpoint("v3", rest, params)
	return getList(ctx, c, ReportMarketplaceCharges, u, etag, func(w *marketplaceWire) (billing.MarketplaceCharge, error) {
		return billing.MarketplaceCharge{
			UsageStart:       time.Time(w.UsageStartDate),
			UsageEnd:         time.Time(w.UsageEndDate),
			Department:       w.DepartmentName,
			AccountName:      w.AccountName,
			CostCenter:       w.CostCenter,
			SubscriptionID:   w.SubscriptionGUID,
			SubscriptionName: w.SubscriptionName,
			Publisher:        w.PublisherName,
			Offer:            w.OfferName,
			Plan:             w.PlanName,
			UnitOfMeasure:    w.UnitOfMeasure,
			Quantity:         float64(w.ConsumedQuantity),
			Rate:             float64(w.ResourceRate),
			Cost:             float64(w.ExtendedCost),
			Recurring:        bool(w.IsRecurringCharge),
			Tags:             w.Tags,
		}, nil
	})
}
