package armclient

import (
	"context"
	"fmt"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// UsageDetails is not offered yet: ARM's line items come from the Cost
// Details CSV report (POST generateCostDetailsReport, poll, stream the
// blobs), which will reuse runAsync and download.
func (c *Client) UsageDetails(ctx context.Context, period, revision string, each func(*billing.UsageRow) error) (billing.Result, error) {
	return billing.Result{}, fmt.Errorf("%s: %w (the ARM source will read it from the Cost Details report)", ReportUsageDetails, billing.ErrUnsupported)
}

// MarketplaceCharges is not offered yet: marketplace rows are the Cost
// Details rows with PublisherType Marketplace.
func (c *Client) MarketplaceCharges(ctx context.Context, period, revision string) ([]billing.MarketplaceCharge, billing.Result, error) {
	return nil, billing.Result{}, fmt.Errorf("%s: %w (the ARM source will read it from the Cost Details report)", ReportMarketplaceCharges, billing.ErrUnsupported)
}
