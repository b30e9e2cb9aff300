package collector

import "github.com/prometheus/client_golang/prometheus"

const namespace = "azure_ea"

// polled is appended to the HELP of every billing metric: the values come
// from the last refresh of a report, not from a live call.
const polled = " Polled from the enrollment's source on the report's interval, not live."

// newDesc describes a metric; every metric carries the enrollment label first.
func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, append([]string{"enrollment"}, labels...), nil)
}

var (
	descEnrollmentInfo   = newDesc("enrollment_info", "Enrollment metadata; value 1. currency is balance summary currencyCode, the currency of every money metric of the enrollment."+polled, "currency")
	descKeyExpiry        = newDesc("api_key_expiry_timestamp_seconds", "Expiry of the enrollment's EA API key (the exp claim of the key's JWT). EA keys expire six months after they are generated.")
	descCredentialExpiry = newDesc("credential_expiry_timestamp_seconds", "Expiry of the enrollment's credential, where known: an EA API key's exp claim, a client certificate's NotAfter, or a client secret's configured expiry.", "kind")
	descDataThrough      = newDesc("data_through_timestamp_seconds", "The newest usage date (00:00 UTC) present in the tracked billing periods' data: the data is complete through that day (usage details and marketplace charges; billing data arrives one to three days late)."+polled, "report")

	descPeriodStart   = newDesc("billing_period_start_timestamp_seconds", "Start of the billing period (billing periods report, billingStart)."+polled, "billing_period")
	descPeriodEnd     = newDesc("billing_period_end_timestamp_seconds", "End of the billing period (billing periods report, billingEnd)."+polled, "billing_period")
	descPeriodCurrent = newDesc("billing_period_current", "1 for the newest billing period, 0 for the others (billing periods report)."+polled, "billing_period")

	descBalance = struct {
		beginning, ending, newPurchases, adjustments, utilized, serviceOverage, billedSeparately, totalOverage, totalUsage, marketplace *prometheus.Desc
	}{
		beginning:        newDesc("balance_beginning", "Commitment balance at the start of the billing period (balance summary, beginningBalance)."+polled, "billing_period"),
		ending:           newDesc("balance_ending", "Commitment balance at the end of the billing period, updated daily while it is open (balance summary, endingBalance)."+polled, "billing_period"),
		newPurchases:     newDesc("balance_new_purchases", "Commitment purchased in the billing period (balance summary, newPurchases)."+polled, "billing_period"),
		adjustments:      newDesc("balance_adjustments", "Credits and adjustments in the billing period (balance summary, adjustments)."+polled, "billing_period"),
		utilized:         newDesc("balance_utilized", "Commitment used in the billing period (balance summary, utilized)."+polled, "billing_period"),
		serviceOverage:   newDesc("balance_service_overage", "Azure service usage beyond the commitment in the billing period (balance summary, serviceOverage)."+polled, "billing_period"),
		billedSeparately: newDesc("balance_charges_billed_separately", "Charges not drawn from the commitment (balance summary, chargesBilledSeparately)."+polled, "billing_period"),
		totalOverage:     newDesc("balance_total_overage", "Service overage plus charges billed separately (balance summary, totalOverage)."+polled, "billing_period"),
		totalUsage:       newDesc("balance_total_usage", "Commitment used plus total overage (balance summary, totalUsage)."+polled, "billing_period"),
		marketplace:      newDesc("balance_marketplace_charges", "Azure Marketplace charges of the billing period (balance summary, azureMarketplaceServiceCharges)."+polled, "billing_period"),
	}

	descMarketplaceCost = newDesc("marketplace_cost", "Marketplace cost of the billing period to date (marketplace charges report, sum of extendedCost)."+polled,
		"billing_period", "department", "subscription_id", "subscription_name", "publisher", "offer", "plan")

	descPriceUnit     = newDesc("price_sheet_unit_price", "Unit price of the meter in the billing period (price sheet, unitPrice)."+polled, "billing_period", "meter_id", "meter_name", "part_number", "unit")
	descPriceIncluded = newDesc("price_sheet_included_quantity", "Quantity included free of charge (price sheet, includedQuantity)."+polled, "billing_period", "meter_id", "meter_name", "part_number", "unit")

	descReservedSeconds       = newDesc("reservation_reserved_seconds", "Reserved instance time over the trailing window of complete days with data (reservation usage, reservedHours x 3600)."+polled, "reservation_order_id", "reservation_id", "sku", "window")
	descUsedSeconds           = newDesc("reservation_used_seconds", "Reserved instance time used over the trailing window of complete days with data (reservation usage, usedHours x 3600)."+polled, "reservation_order_id", "reservation_id", "sku", "window")
	descUtilization           = newDesc("reservation_utilization_ratio", "Used over reserved time of the reservation over the trailing window of complete days with data (0 to 1)."+polled, "reservation_order_id", "reservation_id", "sku", "window")
	descPeriodReservedSeconds = newDesc("reservation_period_reserved_seconds", "Reserved instance time reserved over a closed billing period: the reservation's final figure for it (reservation usage, reservedHours x 3600)."+polled, "billing_period", "reservation_order_id", "reservation_id", "sku")
	descPeriodUsedSeconds     = newDesc("reservation_period_used_seconds", "Reserved instance time used over a closed billing period: the reservation's final figure for it (reservation usage, usedHours x 3600)."+polled, "billing_period", "reservation_order_id", "reservation_id", "sku")
	descPeriodUtilization     = newDesc("reservation_period_utilization_ratio", "Used over reserved time of the reservation over a closed billing period (0 to 1)."+polled, "billing_period", "reservation_order_id", "reservation_id", "sku")
	descReservationCost       = newDesc("reservation_charges", "Reservation purchases and instalments by the billing period of their event date (reservation charges, sum of amount)."+polled,
		"billing_period", "reservation_order_id", "reservation_order_name", "sku", "term", "region", "event_type")

	descBudgetAmount = newDesc("budget_amount", "Budget per billing period, from the exporter's configuration.", "budget")
	descBudgetSpent  = newDesc("budget_spent", "Usage and marketplace cost of the current billing period that matches the budget (usage details and marketplace charges)."+polled, "budget")

	descUsageFolded = newDesc("usage_folded_label_sets", "Usage label sets folded into one series labelled \"other\" because the billing period had more than usage_details.max_series.", "billing_period")

	descUp             = newDesc("up", "1 when the last refresh of the report succeeded (a 304 Not Modified is a success), else 0.", "report")
	descLastSuccess    = newDesc("last_success_timestamp_seconds", "End of the last successful refresh of the report.", "report")
	descLastChange     = newDesc("last_change_timestamp_seconds", "When the report's data last changed: a new ETag, or the first load.", "report")
	descDuration       = newDesc("refresh_duration_seconds", "Duration of the last refresh of the report.", "report")
	descInterval       = newDesc("refresh_interval_seconds", "Configured polling interval of the report; data older than a few intervals is stale.", "report")
	descRows           = newDesc("report_rows", "Rows read in the last full download of the report.", "report")
	descRequests       = newDesc("api_requests_total", "HTTP requests to the enrollment's source by status code (\"error\" when no response came back).", "report", "code")
	descQuotaRemaining = newDesc("api_quota_remaining", "Requests left in a quota of the source, as its last response announced it (ARM's x-ms-ratelimit-remaining-* headers; quota names the header).", "report", "quota")
	descFailures       = newDesc("refresh_failures_total", "Failed refreshes of the report.", "report")
)
