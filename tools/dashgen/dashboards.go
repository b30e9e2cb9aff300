package main

// The bundled dashboards. Money dashboards select a currency, the
// enrollments billed in it (multi) and a billing period; every money panel
// keeps the enrollment label (it never adds enrollments together) and joins
// azure_ea_enrollment_info on the selected currency, so that its legend or
// table shows the currency and no amount of another currency slips in even
// when the enrollment variable is typed by hand.

const (
	en = `enrollment=~"$enrollment"`
	// cur keeps the series of each enrollment's current billing period.
	cur = ` and on (enrollment, billing_period) (azure_ea_billing_period_current == 1)`
	// period selects the selected billing period.
	period = `{` + en + `, billing_period="$billing_period"}`
	sel    = `{` + en + `}`
	unit   = "none"
)

// inCurrency keeps the series of enrollments billed in the selected currency
// and adds their currency label. expr must keep the enrollment label.
func inCurrency(expr string) string {
	return `(` + expr + `) * on (enrollment) group_left (currency) azure_ea_enrollment_info{` + en + `, currency="$currency"}`
}

// previousOfSelected selects the billing-period series (start timestamps) of the
// period before the selected one, per enrollment: the newest period that
// starts before it. It works on a fresh Prometheus and on any day of a month.
const previousOfSelected = `(azure_ea_billing_period_start_timestamp_seconds{` + en + `}` +
	` == on (enrollment) group_left () max by (enrollment) (azure_ea_billing_period_start_timestamp_seconds{` + en + `}` +
	` < on (enrollment) group_left () max by (enrollment) (azure_ea_billing_period_start_timestamp_seconds` + period + `)))`

var (
	tagsCommon = []string{"azure-ea", "billing", "cost"}
	// hide are the target labels tables leave out.
	hide = []string{"Time", "job", "instance"}
)

func stat(title, desc, expr, unit string, width int) Panel {
	return Panel{Type: "stat", Title: title, Description: desc, Width: width, Unit: unit, Decimals: i(2),
		Targets: []Target{{Expr: expr, Legend: "{{enrollment}} {{currency}}"}}}
}

// All returns every bundled dashboard.
func All() []Dashboard {
	return []Dashboard{commitment(), costExplorer(), marketplaceReservations(), exporterHealth()}
}

func commitment() Dashboard {
	balance := func(m string) string { return inCurrency(`sum by (enrollment) (` + m + period + `)`) }
	current := func(m string) string { return inCurrency(m + sel + cur) }
	return Dashboard{
		File: "azure-ea-commitment.json", UID: "azure-ea-commitment", Title: "Azure EA / Commitment and balance",
		Description: "Commitment (prepayment) balance, what uses it, overage, and when it runs out at the current burn rate.",
		Tags:        tagsCommon, Time: "now-90d", Vars: []string{"currency", "enrollment", "billing_period"},
		Rows: []Row{
			{Title: "Billing period $billing_period ($currency)", Height: 5, Panels: []Panel{
				stat("Ending balance", "Commitment left at the end of the selected period, or now for the current one (balance summary, endingBalance; updated daily while the period is open).", balance("azure_ea_balance_ending"), unit, 4),
				stat("Commitment used", "Commitment used in the selected period (utilized).", balance("azure_ea_balance_utilized"), unit, 4),
				{Type: "stat", Title: "Service overage", Description: "Usage beyond the commitment in the selected period, billed at pay-as-you-go rates.", Width: 4, Unit: unit, Decimals: i(2),
					Thresholds: []Threshold{{nil, "green"}, {f(0.01), "red"}},
					Targets:    []Target{{Expr: balance("azure_ea_balance_service_overage"), Legend: "{{enrollment}} {{currency}}"}}},
				stat("Total overage", "Service overage plus charges billed separately, in the selected period.", balance("azure_ea_balance_total_overage"), unit, 4),
				stat("Burn rate per day (current period)", "Commitment used plus service overage, per day of usage data in the current period (the previous period's rate until the current one has a day of data).",
					inCurrency(`enrollment:azure_ea_burn_rate_per_day:current`+sel), unit, 4),
				{Type: "stat", Title: "Days until the commitment runs out", Description: "Ending balance of the current period over the burn rate. Red when it runs out before the period ends.", Width: 4, Unit: "d", Decimals: i(1),
					Thresholds: []Threshold{{nil, "red"}, {f(14), "orange"}, {f(31), "green"}},
					Targets:    []Target{{Expr: `enrollment:azure_ea_commitment_days_left:current` + sel, Legend: "{{enrollment}}"}}},
			}},
			{Title: "Run-out forecast (current period, counted from the day the usage data is complete through)", Height: 8, Panels: []Panel{
				{Type: "stat", Title: "Run-out date at the current burn rate", Description: "The day the commitment balance reaches zero if spend continues at this period's rate, counted from the day the usage data is complete through.", Width: 6, Unit: "dateTimeAsIsoNoDateIfToday",
					Targets: []Target{{Expr: `enrollment:azure_ea_commitment_run_out_timestamp_seconds:current` + sel + ` * 1000`, Legend: "{{enrollment}}"}}},
				{Type: "stat", Title: "Service spend forecast at period end", Description: "Linear forecast: spend so far plus the burn rate times the days of the period without data yet.", Width: 6, Unit: unit, Decimals: i(0),
					Targets: []Target{{Expr: inCurrency(`enrollment:azure_ea_service_spend:forecast` + sel), Legend: "{{enrollment}} {{currency}}"}}},
				{Type: "stat", Title: "Usage data complete through", Description: "The instant the current period's usage data is complete through (azure_ea_data_through_timestamp_seconds): the clock of the burn rate and the forecasts.", Width: 6, Unit: "dateTimeAsIso",
					Targets: []Target{{Expr: `enrollment:azure_ea_data_through_timestamp_seconds:current` + sel + ` * 1000`, Legend: "{{enrollment}}"}}},
				{Type: "stat", Title: "Days of the period without data yet", Width: 6, Unit: "d", Decimals: i(1),
					Targets: []Target{{Expr: `enrollment:azure_ea_period_remaining_days:current` + sel, Legend: "{{enrollment}}"}}},
			}},
			{Title: "Balance over time ($currency)", Height: 9, Panels: []Panel{
				{Type: "timeseries", Title: "Ending balance of the current period", Width: 12, Unit: unit,
					Targets: []Target{{Expr: current("azure_ea_balance_ending"), Legend: "{{enrollment}} {{currency}}"}}},
				{Type: "timeseries", Title: "Spend of the current period by kind", Description: "Commitment used, service overage and charges billed separately (marketplace).", Width: 12, Unit: unit, Stack: true,
					Targets: []Target{
						{Expr: current("azure_ea_balance_utilized"), Legend: "{{enrollment}} {{currency}} utilized"},
						{Expr: current("azure_ea_balance_service_overage"), Legend: "{{enrollment}} {{currency}} service overage"},
						{Expr: current("azure_ea_balance_charges_billed_separately"), Legend: "{{enrollment}} {{currency}} billed separately"},
					}},
			}},
			{Title: "Balance summary by billing period ($currency)", Height: 9, Panels: []Panel{
				{Type: "table", Title: "Balance summary", Description: "Every field of the balance summary for each tracked billing period.", Width: 24, Unit: unit, Decimals: i(2), Merge: true,
					HideFields: hide,
					Rename: map[string]string{"Value #A": "beginning", "Value #B": "new purchases", "Value #C": "adjustments", "Value #D": "utilized",
						"Value #E": "ending", "Value #F": "service overage", "Value #G": "billed separately", "Value #H": "total overage",
						"Value #I": "total usage", "Value #J": "marketplace"},
					Targets: func() []Target {
						var t []Target
						for _, m := range []string{"beginning", "new_purchases", "adjustments", "utilized", "ending", "service_overage", "charges_billed_separately", "total_overage", "total_usage", "marketplace_charges"} {
							t = append(t, Target{Expr: inCurrency(`azure_ea_balance_` + m + sel), Instant: true, Table: true})
						}
						return t
					}()},
			}},
		},
	}
}

func costExplorer() Dashboard {
	usage := func(by string) string {
		return inCurrency(`sum by (enrollment` + by + `) (azure_ea_usage_cost` + period + `)`)
	}
	return Dashboard{
		File: "azure-ea-cost-explorer.json", UID: "azure-ea-cost-explorer", Title: "Azure EA / Cost explorer",
		Description: "Usage cost by department, subscription, meter category, meter and tag; the period against the previous one; forecast and budgets.",
		Tags:        tagsCommon, Time: "now-60d", Vars: []string{"currency", "enrollment", "billing_period", "tag"},
		Rows: []Row{
			{Title: "Billing period $billing_period ($currency)", Height: 5, Panels: []Panel{
				stat("Usage cost to date", "Sum of azure_ea_usage_cost in the selected period.", usage(""), unit, 6),
				stat("Marketplace cost to date", "Sum of azure_ea_marketplace_cost in the selected period.",
					inCurrency(`sum by (enrollment) (azure_ea_marketplace_cost`+period+`)`), unit, 6),
				stat("Previous period's usage cost", "Usage cost of the whole period before the selected one (the newest tracked period that starts before it).",
					inCurrency(`sum by (enrollment) (azure_ea_usage_cost`+sel+` and on (enrollment, billing_period) `+previousOfSelected+`)`), unit, 6),
				stat("Forecast at period end (current period)", "Linear forecast of the current period's service spend, per day of usage data.",
					inCurrency(`enrollment:azure_ea_service_spend:forecast`+sel), unit, 6),
			}},
			{Title: "Where the money goes in $billing_period ($currency)", Height: 10, Panels: []Panel{
				{Type: "bargauge", Title: "By department", Width: 8, Unit: unit, Decimals: i(0),
					Targets: []Target{{Expr: `sort_desc(` + usage(", department") + `)`, Legend: "{{department}} ({{enrollment}}, {{currency}})", Instant: true}}},
				{Type: "bargauge", Title: "Top 10 subscriptions", Width: 8, Unit: unit, Decimals: i(0),
					Targets: []Target{{Expr: `topk(10, ` + usage(", subscription_name") + `)`, Legend: "{{subscription_name}} ({{enrollment}}, {{currency}})", Instant: true}}},
				{Type: "bargauge", Title: "By meter category", Width: 8, Unit: unit, Decimals: i(0),
					Targets: []Target{{Expr: `sort_desc(` + usage(", meter_category") + `)`, Legend: "{{meter_category}} ({{enrollment}}, {{currency}})", Instant: true}}},
			}},
			{Title: "Top meters and tags in $billing_period ($currency)", Height: 10, Panels: []Panel{
				{Type: "table", Title: "Top 20 meters by cost", Description: "The meters with the highest cost in the selected period.", Width: 9, Unit: unit, Decimals: i(2),
					HideFields: hide, Rename: map[string]string{"Value": "cost"},
					Targets: []Target{{Expr: `topk(20, ` + usage(", meter_category, meter_subcategory, meter_name") + `)`, Instant: true, Table: true}}},
				{Type: "table", Title: "Quantity consumed by meter", Description: "Usage quantity in the meter's unit (needs meter_name or meter_id among the usage dimensions).", Width: 7, Unit: "short", Decimals: i(1),
					HideFields: hide, Rename: map[string]string{"Value": "quantity"},
					Targets: []Target{{Expr: `topk(20, sum by (enrollment, meter_name, unit) (azure_ea_usage_quantity` + period + `))`, Instant: true, Table: true}}},
				{Type: "table", Title: "Usage cost by tag $tag", Description: "Usage cost by the value of the tag label chosen in the Tag variable. Tag labels exist when the exporter's configuration maps resource tags to labels (usage_details.tags, e.g. { CostCenter: tag_cost_center }); without them this shows each enrollment's total.", Width: 8, Unit: unit, Decimals: i(2),
					HideFields: hide, Rename: map[string]string{"Value": "cost"},
					Targets: []Target{{Expr: `sort_desc(` + usage(", $tag") + `)`, Instant: true, Table: true}}},
			}},
			{Title: "Over time ($currency)", Height: 9, Panels: []Panel{
				{Type: "timeseries", Title: "Month-to-date usage cost by department", Width: 12, Unit: unit, Stack: true,
					Targets: []Target{{Expr: inCurrency(`enrollment_department:azure_ea_usage_cost:current` + sel), Legend: "{{enrollment}} {{currency}} {{department}}"}}},
				{Type: "timeseries", Title: "Current period against the previous one", Description: "Usage cost of the current period to date; the previous period's cost through the same day of its period (pro rata to its days, capped at its total); and the previous period's total.", Width: 12, Unit: unit,
					Targets: []Target{
						{Expr: inCurrency(`enrollment:azure_ea_usage_cost:current` + sel), Legend: "{{enrollment}} {{currency}} {{billing_period}} to date"},
						{Expr: inCurrency(`enrollment:azure_ea_usage_cost:previous_to_date` + sel), Legend: "{{enrollment}} {{currency}} {{billing_period}} to the same day"},
						{Expr: inCurrency(`enrollment:azure_ea_usage_cost:previous` + sel), Legend: "{{enrollment}} {{currency}} {{billing_period}} in all"},
					}},
			}},
			{Title: "Daily spend and budgets ($currency)", Height: 9, Panels: []Panel{
				{Type: "timeseries", Title: "Usage cost per day of data", Description: "Growth of the current period's cost over the last 24 hours, per day the usage data advanced (a batch of late days counts as several days).", Width: 12, Unit: unit,
					Targets: []Target{{Expr: inCurrency(`enrollment:azure_ea_usage_cost:daily` + sel), Legend: "{{enrollment}} {{currency}}"}}},
				{Type: "table", Title: "Budgets", Description: "Configured budgets: amount, spent this period, share spent, linear forecast at period end (per day of usage data).", Width: 12, Unit: unit, Decimals: i(2), Merge: true,
					HideFields: hide,
					Rename:     map[string]string{"Value #A": "amount", "Value #B": "spent", "Value #C": "share spent", "Value #D": "forecast"},
					Targets: []Target{
						{Expr: inCurrency(`azure_ea_budget_amount` + sel), Instant: true, Table: true},
						{Expr: inCurrency(`azure_ea_budget_spent` + sel), Instant: true, Table: true},
						{Expr: inCurrency(`budget:azure_ea_budget_spent:ratio` + sel), Instant: true, Table: true},
						{Expr: inCurrency(`budget:azure_ea_budget_spent:forecast` + sel), Instant: true, Table: true},
					}},
			}},
		},
	}
}

// windows are the trailing windows of the reservation gauges.
var windows = []struct{ label, name string }{{"1d", "1 day"}, {"7d", "7 days"}, {"30d", "30 days"}}

func marketplaceReservations() Dashboard {
	byWindow := func(m string) []Target {
		var t []Target
		for _, w := range windows {
			t = append(t, Target{Expr: `max without (window) (` + m + `{` + en + `, window="` + w.label + `"})`, Instant: true, Table: true})
		}
		return t
	}
	renameWindows := map[string]string{}
	for n, w := range windows {
		renameWindows["Value #"+string(rune('A'+n))] = w.name
	}
	return Dashboard{
		File: "azure-ea-marketplace-reservations.json", UID: "azure-ea-marketplace-reservations", Title: "Azure EA / Marketplace and reservations",
		Description: "Marketplace cost by publisher, offer and plan; reserved-instance utilisation over the trailing 1, 7 and 30 days, hours and charges.",
		Tags:        tagsCommon, Time: "now-30d", Vars: []string{"currency", "enrollment", "billing_period"},
		Rows: []Row{
			{Title: "Marketplace in $billing_period ($currency)", Height: 9, Panels: []Panel{
				{Type: "bargauge", Title: "Marketplace cost by publisher", Width: 8, Unit: unit, Decimals: i(0),
					Targets: []Target{{Expr: `sort_desc(` + inCurrency(`sum by (enrollment, publisher) (azure_ea_marketplace_cost`+period+`)`) + `)`, Legend: "{{publisher}} ({{enrollment}}, {{currency}})", Instant: true}}},
				{Type: "table", Title: "Marketplace cost by offer and plan", Width: 16, Unit: unit, Decimals: i(2),
					HideFields: hide, Rename: map[string]string{"Value": "cost"},
					Targets: []Target{{Expr: `sort_desc(` + inCurrency(`sum by (enrollment, publisher, offer, plan, department) (azure_ea_marketplace_cost`+period+`)`) + `)`, Instant: true, Table: true}}},
			}},
			{Title: "Reservations: utilisation over the trailing complete days of data", Height: 9, Panels: []Panel{
				{Type: "bargauge", Title: "Utilisation over the last 7 days", Description: "Used over reserved hours per reservation, over the trailing 7 complete days (what AzureEAReservationUnderutilized alerts on).", Width: 8, Unit: "percentunit", Min: f(0), Max: f(1),
					Thresholds: []Threshold{{nil, "red"}, {f(0.8), "orange"}, {f(0.95), "green"}},
					Targets:    []Target{{Expr: `azure_ea_reservation_utilization_ratio{` + en + `, window="7d"}`, Legend: "{{enrollment}} {{sku}} {{reservation_id}}", Instant: true}}},
				{Type: "table", Title: "Utilisation by window", Description: "Used over reserved hours over the trailing 1, 7 and 30 complete days, as the Azure portal shows them.", Width: 16, Unit: "percentunit", Decimals: i(1), Merge: true,
					HideFields: hide, Rename: renameWindows, Targets: byWindow("azure_ea_reservation_utilization_ratio")},
			}},
			{Title: "Reservation hours and charges", Height: 9, Panels: []Panel{
				{Type: "table", Title: "Reserved and used hours by window", Width: 12, Unit: "h", Decimals: i(1), Merge: true,
					HideFields: hide, Rename: map[string]string{"Value #A": "reserved hours", "Value #B": "used hours", "Value #C": "unused hours"},
					Targets: []Target{
						{Expr: `azure_ea_reservation_reserved_seconds` + sel + ` / 3600`, Instant: true, Table: true},
						{Expr: `azure_ea_reservation_used_seconds` + sel + ` / 3600`, Instant: true, Table: true},
						{Expr: `(azure_ea_reservation_reserved_seconds` + sel + ` - azure_ea_reservation_used_seconds` + sel + `) / 3600`, Instant: true, Table: true},
					}},
				{Type: "bargauge", Title: "Reservation charges by event type in $billing_period ($currency)", Width: 12, Unit: unit, Decimals: i(0),
					Targets: []Target{{Expr: inCurrency(`sum by (enrollment, event_type, reservation_order_name) (azure_ea_reservation_charges` + period + `)`), Legend: "{{event_type}} {{reservation_order_name}} ({{enrollment}}, {{currency}})", Instant: true}}},
			}},
			{Title: "Reservation utilisation over time", Height: 9, Panels: []Panel{
				{Type: "timeseries", Title: "Utilisation by window", Width: 24, Unit: "percentunit", Min: f(0), Max: f(1),
					Targets: []Target{{Expr: `azure_ea_reservation_utilization_ratio` + sel, Legend: "{{enrollment}} {{sku}} {{reservation_id}} {{window}}"}}},
			}},
			{Title: "Price sheet (newest period; enable the price_sheet report; $currency)", Height: 9, Panels: []Panel{
				{Type: "table", Title: "Unit prices", Description: "The 50 highest unit prices of the price sheet, with the quantity included free.", Width: 24, Decimals: i(4), Merge: true,
					HideFields: hide, Rename: map[string]string{"Value #A": "unit price", "Value #B": "included quantity"},
					Targets: []Target{
						{Expr: `topk(50, ` + inCurrency(`azure_ea_price_sheet_unit_price`+sel) + `)`, Instant: true, Table: true},
						{Expr: inCurrency(`azure_ea_price_sheet_included_quantity`+sel) + ` and on (enrollment, billing_period, meter_id, part_number) topk(50, ` + inCurrency(`azure_ea_price_sheet_unit_price`+sel) + `)`, Instant: true, Table: true},
					}},
			}},
		},
	}
}

func exporterHealth() Dashboard {
	return Dashboard{
		File: "azure-ea-exporter-health.json", UID: "azure-ea-exporter-health", Title: "Azure EA / Exporter health",
		Description: "Per enrollment and report: refresh state, data age, how far the usage data is complete, durations, rows, API requests by status, failures, and credential expiry.",
		Tags:        []string{"azure-ea", "exporter"}, Time: "now-7d", Vars: []string{"enrollment_any"},
		Rows: []Row{
			{Title: "State", Height: 8, Panels: []Panel{
				{Type: "table", Title: "Reports", Description: "Up (last refresh succeeded), data age, and rows of the last full download.", Width: 12, Decimals: i(0), Merge: true,
					HideFields: hide, Rename: map[string]string{"Value #A": "up", "Value #B": "seconds since last success", "Value #C": "rows", "Value #D": "interval (s)", "Value #E": "seconds since data changed"},
					Targets: []Target{
						{Expr: `azure_ea_up` + sel, Instant: true, Table: true},
						{Expr: `time() - azure_ea_last_success_timestamp_seconds` + sel, Instant: true, Table: true},
						{Expr: `azure_ea_report_rows` + sel, Instant: true, Table: true},
						{Expr: `azure_ea_refresh_interval_seconds` + sel, Instant: true, Table: true},
						{Expr: `time() - azure_ea_last_change_timestamp_seconds` + sel, Instant: true, Table: true},
					}},
				{Type: "stat", Title: "Data complete through", Description: "The newest usage date in the usage and marketplace data (azure_ea_data_through_timestamp_seconds): Azure's data lags by hours to days.", Width: 6, Unit: "dateTimeAsIso",
					Targets: []Target{{Expr: `azure_ea_data_through_timestamp_seconds` + sel + ` * 1000`, Legend: "{{enrollment}} {{report}}"}}},
				{Type: "stat", Title: "Credential expires in", Description: "The API key's JWT exp claim (keys expire every six months), or the client secret's or certificate's expiry, where known.", Width: 6, Unit: "s",
					Thresholds: []Threshold{{nil, "red"}, {f(14 * 86400), "orange"}, {f(30 * 86400), "green"}},
					Targets:    []Target{{Expr: `azure_ea_credential_expiry_timestamp_seconds` + sel + ` - time()`, Legend: "{{enrollment}} {{kind}}"}}},
			}},
			{Title: "Refreshes", Height: 8, Panels: []Panel{
				{Type: "timeseries", Title: "Data age", Description: "Seconds since the last successful refresh.", Width: 8, Unit: "s",
					Targets: []Target{{Expr: `time() - azure_ea_last_success_timestamp_seconds` + sel, Legend: "{{enrollment}} {{report}}"}}},
				{Type: "timeseries", Title: "Refresh duration", Width: 8, Unit: "s",
					Targets: []Target{{Expr: `azure_ea_refresh_duration_seconds` + sel, Legend: "{{enrollment}} {{report}}"}}},
				{Type: "timeseries", Title: "Failed refreshes", Width: 8, Unit: "short",
					Targets: []Target{{Expr: `increase(azure_ea_refresh_failures_total` + sel + `[1h])`, Legend: "{{enrollment}} {{report}}"}}},
			}},
			{Title: "API traffic", Height: 8, Panels: []Panel{
				{Type: "timeseries", Title: "API requests by status", Width: 12, Unit: "reqps",
					Targets: []Target{{Expr: `sum by (enrollment, report, code) (rate(azure_ea_api_requests_total` + sel + `[1h]))`, Legend: "{{enrollment}} {{report}} {{code}}"}}},
				{Type: "stat", Title: "Share of requests answered 304 Not Modified", Description: "ETag revalidations that cost no download, over the dashboard's range.", Width: 6, Unit: "percentunit",
					Targets: []Target{{Expr: `sum by (enrollment) (increase(azure_ea_api_requests_total{` + en + `, code="304"}[$__range])) / sum by (enrollment) (increase(azure_ea_api_requests_total` + sel + `[$__range]))`, Legend: "{{enrollment}}"}}},
				{Type: "stat", Title: "Configuration reload", Description: "1 when the last reload succeeded.", Width: 6, Unit: "bool",
					Thresholds: []Threshold{{nil, "red"}, {f(1), "green"}},
					Targets:    []Target{{Expr: `azure_ea_exporter_config_last_reload_successful`, Legend: "{{instance}}"}}},
			}},
		},
	}
}
