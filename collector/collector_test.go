package collector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// These tests drive the collector through the in-memory fake source, in a
// synctest bubble: the pollers' timers run on the bubble's fake clock, so a
// day of polling takes no time and no test sleeps on the wall clock.

// fakeEnv is an exporter on a fake source whose clock starts at start.
type fakeEnv struct {
	x   *Exporter
	src *fakeSource
	now func() time.Time
}

// startFake starts an exporter on src inside the current bubble, with its
// clock at start, and waits for the first refreshes.
func startFake(t *testing.T, src *fakeSource, start time.Time, cfg *config.Config, opts Options) *fakeEnv {
	t.Helper()
	bubble0 := time.Now()
	now := func() time.Time { return start.Add(time.Since(bubble0)) }
	opts.Now = now
	opts.OpenSource = src.opener()
	x := New(opts)
	if err := x.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Stop)
	synctest.Wait()
	if !x.Ready() {
		t.Fatal("not ready after the first refreshes")
	}
	return &fakeEnv{x: x, src: src, now: now}
}

// standardSource has two closed periods and the open one of start's month.
func standardSource(start time.Time) *fakeSource {
	f := newFakeSource()
	cur := month(start)
	prev := month(cur.Start.AddDate(0, -1, 0))
	f.periods = []billing.Period{prev, cur} // oldest first: the collector sorts
	f.balances[cur.ID] = billing.BalanceSummary{PeriodID: cur.ID, Currency: "EUR", BeginningBalance: 1000, EndingBalance: 700, Utilized: 300}
	f.balances[prev.ID] = billing.BalanceSummary{PeriodID: prev.ID, Currency: "EUR", BeginningBalance: 1500, EndingBalance: 1000, Utilized: 500}
	f.usage[prev.ID] = []billing.UsageRow{
		{Date: prev.Start, Department: "Platform", MeterName: "D4 v3", UnitOfMeasure: "1 Hour", Cost: 0.1, Quantity: 1},
		{Date: prev.Start.AddDate(0, 0, 3), Department: "Platform", MeterName: "D4 v3", UnitOfMeasure: "1 Hour", Cost: 0.2, Quantity: 2},
		{Date: prev.End.Add(-time.Hour), Department: "Data", MeterName: "Hot LRS", UnitOfMeasure: "1 GB/Month", Cost: 499.7, Quantity: 10, Tags: map[string]string{"env": "prod"}},
	}
	f.market[prev.ID] = []billing.MarketplaceCharge{
		{UsageStart: prev.Start.AddDate(0, 0, 5), Department: "Platform", SubscriptionID: "s1", SubscriptionName: "platform-prod", Publisher: "Datadog", Offer: "Datadog", Plan: "Pro", Cost: 12.5},
	}
	return f
}

func TestFakeSourceSemantics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC) // the 1st: the open period has no usage yet
		src := standardSource(start)
		env := startFake(t, src, start, fakeConfig(`
budgets:
  - { name: platform, enrollment: "100", amount: 100, match: { department: Platform } }
`), Options{})

		want := `
# HELP azure_ea_usage_cost Usage cost of the billing period to date (usage details report, sum of cost over the period's rows). Polled from the enrollment's source on the report's interval, not live.
# TYPE azure_ea_usage_cost gauge
azure_ea_usage_cost{billing_period="202611",department="Data",enrollment="100",meter_name="Hot LRS"} 499.7
azure_ea_usage_cost{billing_period="202611",department="Platform",enrollment="100",meter_name="D4 v3"} 0.3
# HELP azure_ea_usage_quantity Usage quantity of the billing period to date, in unit (usage details report, sum of consumedQuantity). Polled from the enrollment's source on the report's interval, not live.
# TYPE azure_ea_usage_quantity gauge
azure_ea_usage_quantity{billing_period="202611",department="Data",enrollment="100",meter_name="Hot LRS",unit="1 GB/Month"} 10
azure_ea_usage_quantity{billing_period="202611",department="Platform",enrollment="100",meter_name="D4 v3",unit="1 Hour"} 3
# HELP azure_ea_data_through_timestamp_seconds The newest usage date (00:00 UTC) present in the tracked billing periods' data: the data is complete through that day (usage details and marketplace charges; billing data arrives one to three days late). Polled from the enrollment's source on the report's interval, not live.
# TYPE azure_ea_data_through_timestamp_seconds gauge
azure_ea_data_through_timestamp_seconds{enrollment="100",report="marketplace_charges"} 1.7939232e+09
azure_ea_data_through_timestamp_seconds{enrollment="100",report="usage_details"} 1.7959968e+09
# HELP azure_ea_budget_spent Usage and marketplace cost of the current billing period that matches the budget (usage details and marketplace charges). Polled from the enrollment's source on the report's interval, not live.
# TYPE azure_ea_budget_spent gauge
azure_ea_budget_spent{budget="platform",enrollment="100"} 0
`
		// 0.1 + 0.2 is 0.30000000000000004 in float64: money is rounded.
		// data through: 2026-11-30 for usage, 2026-11-06 for marketplace.
		// The budget counts the current period only, which has no data yet.
		if err := testutil.CollectAndCompare(env.x, strings.NewReader(want), "azure_ea_usage_cost", "azure_ea_usage_quantity", "azure_ea_data_through_timestamp_seconds", "azure_ea_budget_spent"); err != nil {
			t.Error(err)
		}

		{ // not modified changes no value and advances last success only
			before := gatherText(t, env.x)
			success0 := metricAt(t, env.x, "azure_ea_last_success_timestamp_seconds", "report", "usage_details")
			change0 := metricAt(t, env.x, "azure_ea_last_change_timestamp_seconds", "report", "usage_details")
			calls := src.callCount(config.UsageDetails)
			time.Sleep(5 * time.Hour) // past the 4h interval and its jitter
			synctest.Wait()
			if src.callCount(config.UsageDetails) == calls {
				t.Fatal("usage not polled again after its interval")
			}
			if got := gatherText(t, env.x); stripHealth(got) != stripHealth(before) {
				t.Errorf("values changed:\n%s", diffLines(stripHealth(before), stripHealth(got)))
			}
			if s := metricAt(t, env.x, "azure_ea_last_success_timestamp_seconds", "report", "usage_details"); s <= success0 {
				t.Errorf("last success %v, was %v", s, success0)
			}
			if c := metricAt(t, env.x, "azure_ea_last_change_timestamp_seconds", "report", "usage_details"); c != change0 {
				t.Errorf("last change moved on a not-modified refresh: %v -> %v", change0, c)
			}
		}

		{ // a failure keeps the last good data
			src.bump()
			src.setFailing(config.UsageDetails, errFake)
			before := metricAt(t, env.x, "azure_ea_usage_cost", "department", "Data")
			time.Sleep(5 * time.Hour)
			synctest.Wait()
			if up := metricAt(t, env.x, "azure_ea_up", "report", "usage_details"); up != 0 {
				t.Errorf("up %v during a failure", up)
			}
			if up := metricAt(t, env.x, "azure_ea_up", "report", "balance_summary"); up != 1 {
				t.Errorf("another report went down: %v", up)
			}
			if got := metricAt(t, env.x, "azure_ea_usage_cost", "department", "Data"); got != before {
				t.Errorf("value %v after a failure, was %v", got, before)
			}
			if f := metricAt(t, env.x, "azure_ea_refresh_failures_total", "report", "usage_details"); f < 1 {
				t.Errorf("failures_total %v", f)
			}
			// Recovery comes by itself: retries back off from a minute up to
			// the interval.
			src.setFailing(config.UsageDetails, nil)
			time.Sleep(4*time.Hour + 15*time.Minute)
			synctest.Wait()
			if up := metricAt(t, env.x, "azure_ea_up", "report", "usage_details"); up != 1 {
				t.Errorf("not up again after recovery: %v", up)
			}
		}

		{ // a new period rolls the oldest out
			next := month(start.AddDate(0, 1, 0))
			src.mu.Lock()
			src.periods = append(src.periods, next)
			src.balances[next.ID] = billing.BalanceSummary{PeriodID: next.ID, Currency: "EUR", BeginningBalance: 700, EndingBalance: 700}
			src.mu.Unlock()
			src.bump()
			time.Sleep(13 * time.Hour) // the billing periods report's interval
			synctest.Wait()
			got := gatherText(t, env.x)
			if strings.Contains(got, `billing_period="202611"`) {
				t.Error("the period no longer tracked is still served")
			}
			if !strings.Contains(got, `azure_ea_balance_beginning{billing_period="202701",enrollment="100"} 700`) {
				t.Errorf("the new period is not served:\n%s", got)
			}
		}
	})
}

func TestFakeNoDataYetIsNotAFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)
		src := standardSource(start)
		env := startFake(t, src, start, fakeConfig(""), Options{})
		// The open period has a balance but no usage or marketplace rows.
		for _, r := range []string{config.UsageDetails, config.MarketplaceCharges, config.BalanceSummary} {
			if up := metricAt(t, env.x, "azure_ea_up", "report", r); up != 1 {
				t.Errorf("%s: up %v", r, up)
			}
		}
		if strings.Contains(gatherText(t, env.x), `azure_ea_usage_cost{billing_period="202802"`) {
			t.Error("usage series for a period without data")
		}
	})
}

func TestFakeFoldingAndBudgets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
		src := standardSource(start)
		cur := month(start)
		src.usage[cur.ID] = []billing.UsageRow{
			{Date: cur.Start, Department: "A", MeterName: "m1", Cost: 10},
			{Date: cur.Start, Department: "B", MeterName: "m1", Cost: 1},
			{Date: cur.Start, Department: "C", MeterName: "m1", Cost: 2},
			{Date: cur.Start, Department: "A", MeterName: "m2", Cost: 5, Tags: map[string]string{"team": "x"}},
		}
		src.market[cur.ID] = []billing.MarketplaceCharge{{UsageStart: cur.Start, Department: "A", Cost: 7}}
		env := startFake(t, src, start, fakeConfig(`  max_series: 2
  tags: { team: tag_team }
budgets:
  - { name: a, enrollment: "100", amount: 20, match: { department: A } }
  - { name: team-x, enrollment: "100", amount: 20, match: { tag_team: x } }
  - { name: all, enrollment: "100", amount: 20 }
`), Options{})
		want := `
# HELP azure_ea_budget_spent Usage and marketplace cost of the current billing period that matches the budget (usage details and marketplace charges). Polled from the enrollment's source on the report's interval, not live.
# TYPE azure_ea_budget_spent gauge
azure_ea_budget_spent{budget="a",enrollment="100"} 22
azure_ea_budget_spent{budget="all",enrollment="100"} 25
azure_ea_budget_spent{budget="team-x",enrollment="100"} 5
# HELP azure_ea_usage_folded_label_sets Usage label sets folded into one series labelled "other" because the billing period had more than usage_details.max_series.
# TYPE azure_ea_usage_folded_label_sets gauge
azure_ea_usage_folded_label_sets{billing_period="202612",enrollment="100"} 3
`
		if err := testutil.CollectAndCompare(env.x, strings.NewReader(want), "azure_ea_budget_spent", "azure_ea_usage_folded_label_sets"); err != nil {
			t.Error(err)
		}
		got := gatherText(t, env.x)
		for _, s := range []string{
			`azure_ea_usage_cost{billing_period="202612",department="A",enrollment="100",meter_name="m1",tag_team=""} 10`,
			`azure_ea_usage_cost{billing_period="202612",department="other",enrollment="100",meter_name="other",tag_team="other"} 8`,
		} {
			if !strings.Contains(got, s) {
				t.Errorf("missing %s in\n%s", s, got)
			}
		}
	})
}

// TestReservationWindowsOnEveryDay: utilisation windows end at the newest
// complete day with data, so they are there on the 1st of a month and
// whatever the data's delay.
func TestReservationWindowsOnEveryDay(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start time.Time
		// newest day with data (the source's delay)
		newest time.Time
	}{
		{"1st of a month, data two days late", time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC), day(2026, 11, 29)},
		{"29 February", time.Date(2028, 2, 29, 23, 0, 0, 0, time.UTC), day(2028, 2, 28)},
		{"31 December, today partial", time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), day(2026, 12, 31)},
		{"1 March after a leap February", time.Date(2028, 3, 1, 6, 0, 0, 0, time.UTC), day(2028, 2, 27)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := standardSource(tc.start)
				// 40 days of one reservation: 24 reserved hours a day, used 12
				// on the newest day and 24 on the others.
				for d := tc.newest; !d.Before(tc.newest.AddDate(0, 0, -40)); d = d.AddDate(0, 0, -1) {
					used := 24.0
					if d.Equal(tc.newest) {
						used = 12
					}
					src.resUsage = append(src.resUsage, billing.ReservationUsage{Date: d, ReservationOrderID: "o1", ReservationID: "r1", SKU: "D4", ReservedHours: 24, UsedHours: used})
				}
				env := startFake(t, src, tc.start, fakeConfig(""), Options{})
				// Today's data is partial: the windows end the day before.
				last := tc.newest
				if !last.Before(dayOf(tc.start)) {
					last = dayOf(tc.start).AddDate(0, 0, -1)
				}
				for _, w := range []struct {
					window     string
					days       float64
					usedHours  float64
					reservedHr float64
				}{{"1d", 1, 0, 0}, {"7d", 7, 0, 0}, {"30d", 30, 0, 0}} {
					reserved := w.days * 24 * 3600
					used := reserved
					if last.Equal(tc.newest) {
						used -= 12 * 3600
					}
					if got := metricAt(t, env.x, "azure_ea_reservation_reserved_seconds", "window", w.window); got != reserved {
						t.Errorf("%s reserved %v, want %v", w.window, got, reserved)
					}
					if got := metricAt(t, env.x, "azure_ea_reservation_used_seconds", "window", w.window); got != used {
						t.Errorf("%s used %v, want %v", w.window, got, used)
					}
					if got := metricAt(t, env.x, "azure_ea_reservation_utilization_ratio", "window", w.window); got != used/reserved {
						t.Errorf("%s ratio %v, want %v", w.window, got, used/reserved)
					}
				}
				// The request covers the longest window and the data's delay.
				src.mu.Lock()
				rng := src.resRange
				src.mu.Unlock()
				if rng[1].Sub(rng[0]) < 33*24*time.Hour {
					t.Errorf("requested %v..%v: too short for a 30-day window three days late", rng[0], rng[1])
				}
			})
		})
	}
}

func TestFakeUnsupportedReport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
		src := standardSource(start)
		src.unsupported[config.PriceSheet] = true
		env := startFake(t, src, start, fakeConfig("reports: { price_sheet: { enabled: true } }\n"), Options{})
		got := gatherText(t, env.x)
		if strings.Contains(got, `report="price_sheet"`) {
			t.Errorf("an unsupported report has series:\n%s", got)
		}
		time.Sleep(30 * time.Hour)
		synctest.Wait()
		if n := src.callCount(config.PriceSheet); n != 1 {
			t.Errorf("an unsupported report was asked %d times", n)
		}
		var found bool
		for _, es := range env.x.Status(nil) {
			for _, rs := range es.Reports {
				if rs.Name == config.PriceSheet {
					found = rs.Unsupported && rs.LastError == ""
				}
			}
		}
		if !found {
			t.Error("the status page does not show price_sheet as unsupported")
		}
	})
}

// TestFakePersistenceRoundTrip: what a restarted exporter restores from
// disk is exactly what it served, and it revalidates rather than reloads.
func TestFakePersistenceRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		src := standardSource(start)
		src.resCharges = []billing.ReservationCharge{{EventDate: start, EventType: "Purchase", ReservationOrderID: "o1", Amount: 955}}
		src.prices["202612"] = []billing.Price{{MeterID: "m", MeterName: "D4", PartNumber: "p", UnitOfMeasure: "1 Hour", UnitPrice: 0.192}}
		src.resUsage = []billing.ReservationUsage{{Date: day(2026, 11, 30), ReservationOrderID: "o1", ReservationID: "r1", SKU: "D4", ReservedHours: 24, UsedHours: 20}}
		cfg := fakeConfig("reports: { price_sheet: { enabled: true } }\nbudgets: [{ name: all, enrollment: \"100\", amount: 10 }]\n")
		env := startFake(t, src, start, cfg, Options{StoragePath: dir})
		before := stripHealth(gatherText(t, env.x))
		env.x.Stop()
		for _, r := range config.ReportNames {
			if _, err := os.Stat(filepath.Join(dir, "100", r+".json.gz")); err != nil {
				t.Errorf("nothing saved for %s: %v", r, err)
			}
		}

		// While every report fails, the restarted exporter serves the saved data.
		for _, r := range config.ReportNames {
			src.setFailing(r, errFake)
		}
		env2 := startFake(t, src, start, cfg, Options{StoragePath: dir})
		if got := stripHealth(gatherText(t, env2.x)); got != before {
			t.Errorf("restored data differs:\n%s", diffLines(before, got))
		}
		env2.x.Stop()

		// Once the source answers, the saved revisions make it not modified.
		for _, r := range config.ReportNames {
			src.setFailing(r, nil)
		}
		env3 := startFake(t, src, start, cfg, Options{StoragePath: dir})
		if got := stripHealth(gatherText(t, env3.x)); got != before {
			t.Errorf("data after revalidation differs:\n%s", diffLines(before, got))
		}
		if c := metricAt(t, env3.x, "azure_ea_last_change_timestamp_seconds", "report", "usage_details"); c != unix(start) {
			t.Errorf("revalidation counted as a change: last change %v", c)
		}
	})
}

// TestStatusSummary: the status page's money figures come from the same
// aggregates as the metrics, and the burn rate counts the days the data
// covers, not the calendar days.
func TestStatusSummary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
		src := standardSource(start)
		cur := month(start)
		// Data through the 2nd (three days late): 2 days of 150 each.
		src.usage[cur.ID] = []billing.UsageRow{
			{Date: cur.Start, Department: "Platform", Cost: 150},
			{Date: cur.Start.AddDate(0, 0, 1), Department: "Platform", Cost: 100},
			{Date: cur.Start.AddDate(0, 0, 1), Department: "Data", Cost: 50},
		}
		src.market[cur.ID] = []billing.MarketplaceCharge{{UsageStart: cur.Start, Department: "Platform", Cost: 20}}
		src.balances[cur.ID] = billing.BalanceSummary{PeriodID: cur.ID, Currency: "EUR", BeginningBalance: 1000, EndingBalance: 700, Utilized: 300}
		env := startFake(t, src, start, fakeConfig(`budgets: [{ name: platform, enrollment: "100", amount: 200, match: { department: Platform } }]`), Options{})
		st := env.x.Status(nil)
		if len(st) != 1 {
			t.Fatalf("%d enrollments", len(st))
		}
		s := st[0].Summary
		if s.Currency != "EUR" || s.Period != "202612" || s.PreviousPeriod != "202611" {
			t.Errorf("currency %q period %q previous %q", s.Currency, s.Period, s.PreviousPeriod)
		}
		if !s.HasSpend || s.Spend != 320 || !s.HasPreviousSpend || s.PreviousSpend != 512.5 {
			t.Errorf("spend %v (%v), previous %v (%v)", s.Spend, s.HasSpend, s.PreviousSpend, s.HasPreviousSpend)
		}
		if !s.DataThrough.Equal(day(2026, 12, 2)) || len(s.Daily) != 2 || s.Daily[1].Cost != 150 {
			t.Errorf("through %v, daily %v", s.DataThrough, s.Daily)
		}
		if s.BurnPerDay != 150 || s.CommitmentDaysLeft != 700.0/150 {
			t.Errorf("burn %v/day, %v days left", s.BurnPerDay, s.CommitmentDaysLeft)
		}
		if len(s.Budgets) != 1 || s.Budgets[0].Spent != 270 || !s.Budgets[0].HasSpent {
			t.Errorf("budgets %+v", s.Budgets)
		}
	})
}

// causeErr is a source error with a cause, like the clients' errors.
type causeErr struct{ cause, detail string }

func (e causeErr) Error() string { return e.cause + ": " + e.detail }
func (e causeErr) Cause() string { return e.cause }

// TestFailureLogs: one error line when a streak starts, one more whenever
// its cause changes, none for the same cause again; the wording is true
// when there never was good data.
func TestFailureLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC)
		src := standardSource(start)
		src.setFailing(config.BalanceSummary, causeErr{"transport error", "dial tcp 127.0.0.1:1: connection refused"})
		lb := &logBuffer{}
		startFake(t, src, start, fakeConfig(""), Options{Logger: logger(lb)})
		if n := lb.count("refresh failed; no data to serve until a refresh succeeds"); n != 1 {
			t.Errorf("first failure without data logged %d times:\n%s", n, lb.String())
		}
		// The same cause with other details: debug only.
		src.setFailing(config.BalanceSummary, causeErr{"transport error", "dial tcp 127.0.0.1:1: i/o timeout"})
		time.Sleep(70 * time.Second)
		synctest.Wait()
		// Another cause: logged again.
		src.setFailing(config.BalanceSummary, causeErr{"HTTP 401 unauthorized", "the key expired"})
		time.Sleep(3 * time.Minute)
		synctest.Wait()
		if n := lb.count("level=ERROR"); n != 2 {
			t.Errorf("%d error lines, want 2 (the start and the change of cause):\n%s", n, lb.String())
		}
		if !strings.Contains(lb.String(), "refresh still failing, with another cause") || !strings.Contains(lb.String(), "the key expired") {
			t.Errorf("the change of cause is not logged:\n%s", lb.String())
		}
		// Recovery, then a new streak while good data exists.
		src.setFailing(config.BalanceSummary, nil)
		time.Sleep(5 * time.Hour)
		synctest.Wait()
		src.bump()
		src.setFailing(config.BalanceSummary, causeErr{"HTTP 503 server error", "busy"})
		time.Sleep(70 * time.Minute)
		synctest.Wait()
		if n := lb.count("refresh failed; serving the last good data"); n != 1 {
			t.Errorf("a streak with good data logged %d times:\n%s", n, lb.String())
		}
	})
}

// TestReservationClosedPeriods: each tracked period that has closed gets
// the reservation's final figures; the open one does not.
func TestReservationClosedPeriods(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC)
		src := standardSource(start)
		// November: 30 days, 24 reserved hours a day, 18 used.
		for d := day(2026, 10, 25); d.Before(day(2026, 12, 1)); d = d.AddDate(0, 0, 1) {
			src.resUsage = append(src.resUsage, billing.ReservationUsage{Date: d, ReservationOrderID: "o1", ReservationID: "r1", SKU: "D4", ReservedHours: 24, UsedHours: 18})
		}
		env := startFake(t, src, start, fakeConfig(""), Options{})
		want := `
# HELP azure_ea_reservation_period_utilization_ratio Used over reserved time of the reservation over a closed billing period (0 to 1). Polled from the enrollment's source on the report's interval, not live.
# TYPE azure_ea_reservation_period_utilization_ratio gauge
azure_ea_reservation_period_utilization_ratio{billing_period="202611",enrollment="100",reservation_id="r1",reservation_order_id="o1",sku="D4"} 0.75
# HELP azure_ea_reservation_period_reserved_seconds Reserved instance time reserved over a closed billing period: the reservation's final figure for it (reservation usage, reservedHours x 3600). Polled from the enrollment's source on the report's interval, not live.
# TYPE azure_ea_reservation_period_reserved_seconds gauge
azure_ea_reservation_period_reserved_seconds{billing_period="202611",enrollment="100",reservation_id="r1",reservation_order_id="o1",sku="D4"} 2.592e+06
`
		// October is not tracked (two periods: December and November).
		if err := testutil.CollectAndCompare(env.x, strings.NewReader(want), "azure_ea_reservation_period_utilization_ratio", "azure_ea_reservation_period_reserved_seconds"); err != nil {
			t.Error(err)
		}
	})
}
