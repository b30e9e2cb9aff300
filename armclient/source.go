package armclient

// UsageDetails and MarketplaceCharges are in costdetails.go: both read the
// Cost Details report, and one run of it feeds both.
