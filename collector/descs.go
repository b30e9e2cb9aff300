package collector

import "github.com/prometheus/client_golang/prometheus"

const namespace = "azure_ea"

// polled is appended to the HELP of every billing metric: the values come
// from the last refresh of a report, not from a live call.
const polled = " Polled from the EA Reporting API on the report's interval, not live."

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	d := prometheus.NewDesc(namespace+"_"+name, help, append([]string{"enrollment"}, labels...), nil)
	descNames.Store(d, namespace+"_"+name)
	return d
}

// newStaticDesc is newDesc for the fixed metrics, which persisted
// snapshots refer to by name.
func newStaticDesc(name, help string, labels ...string) *prometheus.Desc {
	d := newDesc(name, help, labels...)
	staticDescs.Store(namespace+"_"+name, d)
	return d
}

func staticDesc(name string) *prometheus.Desc {
	if d, ok := staticDescs.Load(name); ok {
		return d.(*prometheus.Desc)
	}
	return nil
}

var (
	descEnrollmentInfo = newStaticDesc("enrollment_info", "Enrollment metadata; value 1. currency is balance summary currencyCode, the currency of every money metric of the enrollment."+polled, "currency")
	descKeyExpiry      = newStaticDesc("api_key_expiry_timestamp_seconds", "Expiry of the enrollment's API key (the exp claim of the key's JWT). EA keys expire six months after they are generated.")

	descPeriodStart   = newStaticDesc("billing_period_start_timestamp_seconds", "Start of the billing period (billing periods report, billingStart)."+polled, "billing_period")
	descPeriodEnd     = newStaticDesc("billing_period_end_timestamp_seconds", "End of the billing period (billing periods report, billingEnd)."+polled, "billing_period")
	descPeriodCurrent = newStaticDesc("billing_period_current", "1 for the newest billing period, 0 for the others (billing periods report)."+polled, "billing_period")

	balanceDescs = struct {
		beginning, ending, newPurchases, adjustments, utilized, serviceOverage, billedSeparately, totalOverage, totalUsage, marketplace *prometheus.Desc
	}{
		beginning:        newStaticDesc("balance_beginning", "Commitment balance at the start of the billing period (balance summary, beginningBalance)."+polled, "billing_period"),
		ending:           newStaticDesc("balance_ending", "Commitment balance at the end of the billing period, updated daily while it is open (balance summary, endingBalance)."+polled, "billing_period"),
		newPurchases:     newStaticDesc("balance_new_purchases", "Commitment purchased in the billing period (balance summary, newPurchases)."+polled, "billing_period"),
		adjustments:      newStaticDesc("balance_adjustments", "Credits and adjustments in the billing period (balance summary, adjustments)."+polled, "billing_period"),
		utilized:         newStaticDesc("balance_utilized", "Commitment used in the billing period (balance summary, utilized)."+polled, "billing_period"),
		serviceOverage:   newStaticDesc("balance_service_overage", "Azure service usage beyond the commitment in the billing period (balance summary, serviceOverage)."+polled, "billing_period"),
		billedSeparately: newStaticDesc("balance_charges_billed_separately", "Charges not drawn from the commitment (balance summary, chargesBilledSeparately)."+polled, "billing_period"),
		totalOverage:     newStaticDesc("balance_total_overage", "Service overage plus charges billed separately (balance summary, totalOverage)."+polled, "billing_period"),
		totalUsage:       newStaticDesc("balance_total_usage", "Commitment used plus total overage (balance summary, totalUsage)."+polled, "billing_period"),
		marketplace:      newStaticDesc("balance_marketplace_charges", "Azure Marketplace charges of the billing period (balance summary, azureMarketplaceServiceCharges)."+polled, "billing_period"),
	}

	descMarketplaceCost = newStaticDesc("marketplace_cost", "Marketplace cost of the billing period to date (marketplace charges report, sum of extendedCost)."+polled,
		"billing_period", "department", "subscription_id", "subscription_name", "publisher", "offer", "plan")

	descPriceUnit     = newStaticDesc("price_sheet_unit_price", "Unit price of the meter in the billing period (price sheet, unitPrice)."+polled, "billing_period", "meter_id", "meter_name", "part_number", "unit")
	descPriceIncluded = newStaticDesc("price_sheet_included_quantity", "Quantity included free of charge (price sheet, includedQuantity)."+polled, "billing_period", "meter_id", "meter_name", "part_number", "unit")

	descReservedSeconds = newStaticDesc("reservation_reserved_seconds", "Reserved instance time reserved in the current billing period to date (reservation usage, reservedHours x 3600)."+polled, "reservation_order_id", "reservation_id", "sku")
	descUsedSeconds     = newStaticDesc("reservation_used_seconds", "Reserved instance time used in the current billing period to date (reservation usage, usedHours x 3600)."+polled, "reservation_order_id", "reservation_id", "sku")
	descUtilization     = newStaticDesc("reservation_utilization_ratio", "Used over reserved time of the reservation in the current billing period to date (0 to 1)."+polled, "reservation_order_id", "reservation_id", "sku")
	descReservationCost = newStaticDesc("reservation_charges", "Reservation purchases and instalments by the billing period of their event date (reservation charges, sum of amount)."+polled,
		"billing_period", "reservation_order_id", "reservation_order_name", "sku", "term", "region", "event_type")

	descBudgetAmount = newStaticDesc("budget_amount", "Budget per billing period, from the exporter's configuration.", "budget")
	descBudgetSpent  = newStaticDesc("budget_spent", "Usage and marketplace cost of the current billing period that matches the budget (usage details and marketplace charges)."+polled, "budget")

	descUsageFolded = newStaticDesc("usage_folded_label_sets", "Usage label sets folded into one series labelled \"other\" because the billing period had more than usage_details.max_series.", "billing_period")

	descUp          = newStaticDesc("up", "1 when the last refresh of the report succeeded (a 304 Not Modified is a success), else 0.", "report")
	descLastSuccess = newStaticDesc("last_success_timestamp_seconds", "End of the last successful refresh of the report.", "report")
	descLastChange  = newStaticDesc("last_change_timestamp_seconds", "When the report's data last changed: a new ETag, or the first load.", "report")
	descDuration    = newStaticDesc("refresh_duration_seconds", "Duration of the last refresh of the report.", "report")
	descInterval    = newStaticDesc("refresh_interval_seconds", "Configured polling interval of the report; data older than a few intervals is stale.", "report")
	descRows        = newStaticDesc("report_rows", "Rows read in the last full download of the report.", "report")
	descRequests    = newStaticDesc("api_requests_total", "HTTP requests to the EA Reporting API by status code (\"error\" when no response came back).", "report", "code")
	descFailures    = newStaticDesc("refresh_failures_total", "Failed refreshes of the report.", "report")
)
