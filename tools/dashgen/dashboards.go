package main

// The bundled dashboards. Selectors use the enrollment variable (multi) and,
// where a panel is about one billing period, the billing_period variable.

const (
	en = `enrollment=~"$enrollment"`
	// cur keeps the series of each enrollment's current billing period.
	cur   = ` and on (enrollment, billing_period) (azure_ea_billing_period_current == 1)`
	money = "none"
)

var tagsCommon = []string{"azure-ea", "billing", "cost"}

func stat(title, desc, expr, unit string, width int) Panel {
	return Panel{Type: "stat", Title: title, Description: desc, Width: width, Unit: unit, Decimals: i(2),
		Targets: []Target{{Expr: expr, Legend: "{{enrollment}}"}}}
}

// All returns every bundled dashboard.
func All() []Dashboard {
	return []Dashboard{commitment(), costExplorer(), marketplaceReservations(), exporterHealth()}
}

func commitment() Dashboard {
	balance := func(m string) string { return m + `{` + en + `}` + cur }
	return Dashboard{
		File: "azure-ea-commitment.json", UID: "azure-ea-commitment", Title: "Azure EA / Commitment and balance",
		Description: "Commitment (prepayment) balance, what uses it, overage, and when it runs out at the current burn rate.",
		Tags:        tagsCommon, Time: "now-90d", Vars: []string{"enrollment", "billing_period", "currency"},
		Rows: []Row{
			{Title: "Current billing period ($currency)", Height: 5, Panels: []Panel{
				stat("Ending balance", "Commitment left (balance summary, endingBalance; updated daily while the period is open).", balance("azure_ea_balance_ending"), money, 4),
				stat("Commitment used", "Commitment used this period (utilized).", balance("azure_ea_balance_utilized"), money, 4),
				{Type: "stat", Title: "Service overage", Description: "Usage beyond the commitment, billed at pay-as-you-go rates.", Width: 4, Unit: money, Decimals: i(2),
					Thresholds: []Threshold{{nil, "green"}, {f(0.01), "red"}},
					Targets:    []Target{{Expr: balance("azure_ea_balance_service_overage"), Legend: "{{enrollment}}"}}},
				stat("Total overage", "Service overage plus charges billed separately.", balance("azure_ea_balance_total_overage"), money, 4),
				stat("Burn rate per day", "Commitment used plus service overage, per day of the period so far.", `enrollment:azure_ea_burn_rate_per_day:current{`+en+`}`, money, 4),
				{Type: "stat", Title: "Days until the commitment runs out", Description: "Ending balance over the burn rate. Red when it runs out before the period ends.", Width: 4, Unit: "d", Decimals: i(1),
					Thresholds: []Threshold{{nil, "red"}, {f(14), "orange"}, {f(31), "green"}},
					Targets:    []Target{{Expr: `enrollment:azure_ea_commitment_days_left:current{` + en + `}`, Legend: "{{enrollment}}"}}},
			}},
			{Title: "Run-out forecast", Height: 8, Panels: []Panel{
				{Type: "stat", Title: "Run-out date at the current burn rate", Description: "The day the commitment balance reaches zero if spend continues at this period's rate.", Width: 8, Unit: "dateTimeAsIsoNoDateIfToday",
					Targets: []Target{{Expr: `time() * 1000 + enrollment:azure_ea_commitment_days_left:current{` + en + `} * 86400000`, Legend: "{{enrollment}}"}}},
				{Type: "stat", Title: "Service spend forecast at period end", Description: "Linear forecast: spend so far plus the burn rate times the days left.", Width: 8, Unit: money, Decimals: i(0),
					Targets: []Target{{Expr: `enrollment:azure_ea_service_spend:forecast{` + en + `}`, Legend: "{{enrollment}}"}}},
				{Type: "stat", Title: "Days left in the period", Width: 8, Unit: "d", Decimals: i(1),
					Targets: []Target{{Expr: `enrollment:azure_ea_period_remaining_days:current{` + en + `}`, Legend: "{{enrollment}}"}}},
			}},
			{Title: "Balance over time", Height: 9, Panels: []Panel{
				{Type: "timeseries", Title: "Ending balance", Width: 12, Unit: money,
					Targets: []Target{{Expr: balance("azure_ea_balance_ending"), Legend: "{{enrollment}}"}}},
				{Type: "timeseries", Title: "Spend of the current period by kind", Description: "Commitment used, service overage and charges billed separately (marketplace).", Width: 12, Unit: money, Stack: true,
					Targets: []Target{
						{Expr: balance("azure_ea_balance_utilized"), Legend: "{{enrollment}} utilized"},
						{Expr: balance("azure_ea_balance_service_overage"), Legend: "{{enrollment}} service overage"},
						{Expr: balance("azure_ea_balance_charges_billed_separately"), Legend: "{{enrollment}} billed separately"},
					}},
			}},
			{Title: "Balance summary by billing period", Height: 9, Panels: []Panel{
				{Type: "table", Title: "Balance summary", Description: "Every field of the balance summary for each tracked billing period.", Width: 24, Unit: money, Decimals: i(2), Merge: true,
					HideFields: []string{"Time"},
					Rename: map[string]string{"Value #A": "beginning", "Value #B": "new purchases", "Value #C": "adjustments", "Value #D": "utilized",
						"Value #E": "ending", "Value #F": "service overage", "Value #G": "billed separately", "Value #H": "total overage",
						"Value #I": "total usage", "Value #J": "marketplace"},
					Targets: func() []Target {
						var t []Target
						for _, m := range []string{"beginning", "new_purchases", "adjustments", "utilized", "ending", "service_overage", "charges_billed_separately", "total_overage", "total_usage", "marketplace_charges"} {
							t = append(t, Target{Expr: `azure_ea_balance_` + m + `{` + en + `}`, Instant: true, Table: true})
						}
						return t
					}()},
			}},
		},
	}
}

func costExplorer() Dashboard {
	period := `{` + en + `, billing_period="$billing_period"}`
	return Dashboard{
		File: "azure-ea-cost-explorer.json", UID: "azure-ea-cost-explorer", Title: "Azure EA / Cost explorer",
		Description: "Month-to-date usage cost by department, subscription, meter category and meter; the period against the previous one; forecast and budgets.",
		Tags:        tagsCommon, Time: "now-60d", Vars: []string{"enrollment", "billing_period", "currency"},
		Rows: []Row{
			{Title: "Billing period $billing_period ($currency)", Height: 5, Panels: []Panel{
				stat("Usage cost to date", "Sum of azure_ea_usage_cost in the selected period.", `sum by (enrollment) (azure_ea_usage_cost`+period+`)`, money, 6),
				stat("Marketplace cost to date", "Sum of azure_ea_marketplace_cost in the selected period.", `sum by (enrollment) (azure_ea_marketplace_cost`+period+`)`, money, 6),
				stat("Previous period's usage cost", "Usage cost of the period before the selected one, for comparison.",
					`sum by (enrollment) (azure_ea_usage_cost{`+en+`} unless on (enrollment, billing_period) (azure_ea_billing_period_current == 1))`, money, 6),
				stat("Forecast at period end", "Linear forecast of the current period's service spend.", `enrollment:azure_ea_service_spend:forecast{`+en+`}`, money, 6),
			}},
			{Title: "Where the money goes", Height: 10, Panels: []Panel{
				{Type: "bargauge", Title: "By department", Width: 8, Unit: money, Decimals: i(0),
					Targets: []Target{{Expr: `sort_desc(sum by (department) (azure_ea_usage_cost` + period + `))`, Legend: "{{department}}", Instant: true}}},
				{Type: "bargauge", Title: "Top 10 subscriptions", Width: 8, Unit: money, Decimals: i(0),
					Targets: []Target{{Expr: `topk(10, sum by (subscription_name) (azure_ea_usage_cost` + period + `))`, Legend: "{{subscription_name}}", Instant: true}}},
				{Type: "bargauge", Title: "By meter category", Width: 8, Unit: money, Decimals: i(0),
					Targets: []Target{{Expr: `sort_desc(sum by (meter_category) (azure_ea_usage_cost` + period + `))`, Legend: "{{meter_category}}", Instant: true}}},
			}},
			{Title: "Top meters", Height: 10, Panels: []Panel{
				{Type: "table", Title: "Top 20 meters by cost", Description: "The meters with the highest cost in the selected period.", Width: 14, Unit: money, Decimals: i(2),
					HideFields: []string{"Time"}, Rename: map[string]string{"Value": "cost"},
					Targets: []Target{{Expr: `topk(20, sum by (meter_category, meter_subcategory, meter_name) (azure_ea_usage_cost` + period + `))`, Instant: true, Table: true}}},
				{Type: "table", Title: "Quantity consumed by meter", Description: "Usage quantity in the meter's unit (needs meter_name or meter_id among the usage dimensions).", Width: 10, Unit: "short", Decimals: i(1),
					HideFields: []string{"Time"}, Rename: map[string]string{"Value": "quantity"},
					Targets: []Target{{Expr: `topk(20, sum by (meter_name, unit) (azure_ea_usage_quantity` + period + `))`, Instant: true, Table: true}}},
			}},
			{Title: "Over time", Height: 9, Panels: []Panel{
				{Type: "timeseries", Title: "Month-to-date usage cost by department", Width: 12, Unit: money, Stack: true,
					Targets: []Target{{Expr: `enrollment_department:azure_ea_usage_cost:current{` + en + `}`, Legend: "{{enrollment}} {{department}}"}}},
				{Type: "timeseries", Title: "Current period against the previous one", Description: "Month-to-date cost now, and a month ago (the previous period at the same point).", Width: 12, Unit: money,
					Targets: []Target{
						{Expr: `enrollment:azure_ea_usage_cost:current{` + en + `}`, Legend: "{{enrollment}} this period"},
						{Expr: `sum by (enrollment) (enrollment:azure_ea_usage_cost:current{` + en + `} offset 30d)`, Legend: "{{enrollment}} 30 days earlier"},
					}},
			}},
			{Title: "Daily spend and budgets", Height: 9, Panels: []Panel{
				{Type: "timeseries", Title: "Spend of the last 24 hours", Description: "Month-to-date cost now minus a day ago (within one period).", Width: 12, Unit: money,
					Targets: []Target{{Expr: `enrollment:azure_ea_usage_cost:daily{` + en + `}`, Legend: "{{enrollment}}"}}},
				{Type: "table", Title: "Budgets", Description: "Configured budgets: amount, spent this period, share spent, linear forecast at period end.", Width: 12, Unit: money, Decimals: i(2), Merge: true,
					HideFields: []string{"Time"},
					Rename:     map[string]string{"Value #A": "amount", "Value #B": "spent", "Value #C": "share spent", "Value #D": "forecast"},
					Targets: []Target{
						{Expr: `azure_ea_budget_amount{` + en + `}`, Instant: true, Table: true},
						{Expr: `azure_ea_budget_spent{` + en + `}`, Instant: true, Table: true},
						{Expr: `budget:azure_ea_budget_spent:ratio{` + en + `}`, Instant: true, Table: true},
						{Expr: `budget:azure_ea_budget_spent:forecast{` + en + `}`, Instant: true, Table: true},
					}},
			}},
		},
	}
}

func marketplaceReservations() Dashboard {
	period := `{` + en + `, billing_period="$billing_period"}`
	res := `{` + en + `}`
	return Dashboard{
		File: "azure-ea-marketplace-reservations.json", UID: "azure-ea-marketplace-reservations", Title: "Azure EA / Marketplace and reservations",
		Description: "Marketplace cost by publisher, offer and plan; reserved-instance utilisation, hours and charges.",
		Tags:        tagsCommon, Time: "now-30d", Vars: []string{"enrollment", "billing_period", "currency"},
		Rows: []Row{
			{Title: "Marketplace ($currency)", Height: 9, Panels: []Panel{
				{Type: "bargauge", Title: "Marketplace cost by publisher", Width: 8, Unit: money, Decimals: i(0),
					Targets: []Target{{Expr: `sort_desc(sum by (publisher) (azure_ea_marketplace_cost` + period + `))`, Legend: "{{publisher}}", Instant: true}}},
				{Type: "table", Title: "Marketplace cost by offer and plan", Width: 16, Unit: money, Decimals: i(2),
					HideFields: []string{"Time"}, Rename: map[string]string{"Value": "cost"},
					Targets: []Target{{Expr: `sort_desc(sum by (publisher, offer, plan, department) (azure_ea_marketplace_cost` + period + `))`, Instant: true, Table: true}}},
			}},
			{Title: "Reservations: current billing period to date", Height: 9, Panels: []Panel{
				{Type: "bargauge", Title: "Utilisation", Description: "Used over reserved hours per reservation.", Width: 8, Unit: "percentunit", Min: f(0), Max: f(1),
					Thresholds: []Threshold{{nil, "red"}, {f(0.8), "orange"}, {f(0.95), "green"}},
					Targets:    []Target{{Expr: `azure_ea_reservation_utilization_ratio` + res, Legend: "{{sku}} {{reservation_id}}", Instant: true}}},
				{Type: "table", Title: "Reserved and used hours", Width: 16, Unit: "h", Decimals: i(1), Merge: true,
					HideFields: []string{"Time"}, Rename: map[string]string{"Value #A": "reserved hours", "Value #B": "used hours", "Value #C": "unused hours"},
					Targets: []Target{
						{Expr: `azure_ea_reservation_reserved_seconds` + res + ` / 3600`, Instant: true, Table: true},
						{Expr: `azure_ea_reservation_used_seconds` + res + ` / 3600`, Instant: true, Table: true},
						{Expr: `(azure_ea_reservation_reserved_seconds` + res + ` - azure_ea_reservation_used_seconds` + res + `) / 3600`, Instant: true, Table: true},
					}},
			}},
			{Title: "Reservation utilisation over time and charges", Height: 9, Panels: []Panel{
				{Type: "timeseries", Title: "Utilisation", Width: 12, Unit: "percentunit", Min: f(0), Max: f(1),
					Targets: []Target{{Expr: `azure_ea_reservation_utilization_ratio` + res, Legend: "{{sku}} {{reservation_id}}"}}},
				{Type: "bargauge", Title: "Reservation charges by event type ($currency)", Width: 12, Unit: money, Decimals: i(0),
					Targets: []Target{{Expr: `sum by (event_type, reservation_order_name) (azure_ea_reservation_charges` + period + `)`, Legend: "{{event_type}} {{reservation_order_name}}", Instant: true}}},
			}},
			{Title: "Price sheet (newest period; enable the price_sheet report)", Height: 9, Panels: []Panel{
				{Type: "table", Title: "Unit prices", Description: "The 50 highest unit prices of the price sheet, with the quantity included free.", Width: 24, Decimals: i(4), Merge: true,
					HideFields: []string{"Time"}, Rename: map[string]string{"Value #A": "unit price ($currency)", "Value #B": "included quantity"},
					Targets: []Target{
						{Expr: `topk(50, azure_ea_price_sheet_unit_price` + res + `)`, Instant: true, Table: true},
						{Expr: `azure_ea_price_sheet_included_quantity` + res + ` and on (enrollment, billing_period, meter_id, part_number) topk(50, azure_ea_price_sheet_unit_price` + res + `)`, Instant: true, Table: true},
					}},
			}},
		},
	}
}

func exporterHealth() Dashboard {
	sel := `{` + en + `}`
	return Dashboard{
		File: "azure-ea-exporter-health.json", UID: "azure-ea-exporter-health", Title: "Azure EA / Exporter health",
		Description: "Per enrollment and report: refresh state, data age, durations, rows, API requests by status, failures, and the API key's expiry.",
		Tags:        []string{"azure-ea", "exporter"}, Time: "now-7d", Vars: []string{"enrollment"},
		Rows: []Row{
			{Title: "State", Height: 8, Panels: []Panel{
				{Type: "table", Title: "Reports", Description: "Up (last refresh succeeded), data age, and rows of the last full download.", Width: 16, Decimals: i(0), Merge: true,
					HideFields: []string{"Time"}, Rename: map[string]string{"Value #A": "up", "Value #B": "seconds since last success", "Value #C": "rows", "Value #D": "interval (s)", "Value #E": "seconds since data changed"},
					Targets: []Target{
						{Expr: `azure_ea_up` + sel, Instant: true, Table: true},
						{Expr: `time() - azure_ea_last_success_timestamp_seconds` + sel, Instant: true, Table: true},
						{Expr: `azure_ea_report_rows` + sel, Instant: true, Table: true},
						{Expr: `azure_ea_refresh_interval_seconds` + sel, Instant: true, Table: true},
						{Expr: `time() - azure_ea_last_change_timestamp_seconds` + sel, Instant: true, Table: true},
					}},
				{Type: "stat", Title: "API key expires in", Description: "From the key's JWT exp claim. Keys expire every six months.", Width: 8, Unit: "s",
					Thresholds: []Threshold{{nil, "red"}, {f(14 * 86400), "orange"}, {f(30 * 86400), "green"}},
					Targets:    []Target{{Expr: `azure_ea_api_key_expiry_timestamp_seconds` + sel + ` - time()`, Legend: "{{enrollment}}"}}},
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
