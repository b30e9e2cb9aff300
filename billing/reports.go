package billing

// Report names: the keys of the configuration's reports section, the
// report label of the exporter's health metrics, and the name every
// source's errors and request counts give a report. Defined here once.
const (
	ReportBillingPeriods     = "billing_periods"
	ReportBalanceSummary     = "balance_summary"
	ReportUsageDetails       = "usage_details"
	ReportMarketplaceCharges = "marketplace_charges"
	ReportPriceSheet         = "price_sheet"
	// ReportReservationDetails reads reservation use per day (the EA API's
	// reservation summaries route, ARM's reservationSummaries).
	ReportReservationDetails = "reservation_details"
	ReportReservationCharges = "reservation_charges"
)
