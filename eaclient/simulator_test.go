package eaclient_test

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

var simNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func startSim(t testing.TB, o simulator.Options, mod ...func(*eaclient.Config)) (*simulator.Server, *eaclient.Client) {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return simNow }
	}
	sim := simulator.New(o)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	cfg := eaclient.Config{BaseURL: ts.URL, Enrollment: sim.Enrollment(), APIKey: sim.APIKey(),
		Retry: eaclient.Retry{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := eaclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.05 }

// TestEveryReportAgainstSimulator reads every report the exporter uses and
// checks that the numbers agree with each other the way a real bill does.
func TestEveryReportAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	_, c := startSim(t, simulator.Options{UsageRowsPerDay: 50, PageSize: 300})

	periods, _, err := c.BillingPeriods(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(periods) != 13 || periods[0].ID != "202611" || periods[12].ID != "202511" {
		t.Fatalf("periods %v", periods)
	}

	for _, period := range []string{"202611", "202610"} {
		t.Run(period, func(t *testing.T) {
			bs, _, err := c.BalanceSummary(ctx, period, "")
			if err != nil || len(bs) != 1 {
				t.Fatalf("balance: %v %v", bs, err)
			}
			b := bs[0]
			usage, rows := 0.0, 0
			meta, err := c.UsageDetails(ctx, eaclient.Query{BillingPeriod: period}, "", func(r *billing.UsageRow) error {
				if billing.PeriodOf(r.Date) != period {
					t.Errorf("row dated %v in period %s", r.Date, period)
				}
				usage += r.Cost
				rows++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			days := 30
			if period == "202611" {
				days = 28
			} else {
				days = 31
			}
			if rows != days*50 || meta.Rows != rows || meta.Pages != (rows+299)/300 {
				t.Errorf("rows %d meta %+v", rows, meta)
			}
			mkt, _, err := c.MarketplaceCharges(ctx, eaclient.Query{BillingPeriod: period}, "")
			if err != nil {
				t.Fatal(err)
			}
			mktSum := 0.0
			for _, m := range mkt {
				mktSum += m.Cost
			}
			if !near(b.Utilized+b.ServiceOverage, usage) {
				t.Errorf("utilized %v + overage %v != usage %v", b.Utilized, b.ServiceOverage, usage)
			}
			if !near(b.MarketplaceCharges, mktSum) || !near(b.TotalOverage, b.ServiceOverage+b.ChargesBilledSeparately) {
				t.Errorf("marketplace %v vs %v; balance %+v", b.MarketplaceCharges, mktSum, b)
			}
			if !near(b.EndingBalance, b.BeginningBalance+b.NewPurchases+b.Adjustments-b.Utilized) {
				t.Errorf("balance does not add up: %+v", b)
			}
			prices, _, err := c.PriceSheet(ctx, period, "")
			if err != nil || len(prices) == 0 || prices[0].PeriodID != period || prices[0].MeterID == "" {
				t.Errorf("price sheet %v %v", prices, err)
			}
		})
	}

	t.Run("usage by custom date equals the days' rows", func(t *testing.T) {
		n := 0
		_, err := c.UsageDetails(ctx, eaclient.Query{Start: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}, "", func(r *billing.UsageRow) error {
			if r.Date.Before(time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)) || r.Date.After(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("row outside range: %v", r.Date)
			}
			n++
			return nil
		})
		if err != nil || n != 4*50 {
			t.Errorf("rows %d err %v", n, err)
		}
	})

	t.Run("reservations", func(t *testing.T) {
		start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		sums, _, err := c.ReservationSummaries(ctx, "daily", start, simNow, "")
		if err != nil || len(sums) == 0 {
			t.Fatalf("summaries %v %v", len(sums), err)
		}
		details, _, err := c.ReservationDetails(ctx, start, simNow, "")
		if err != nil {
			t.Fatal(err)
		}
		var rs, us, rd, ud float64
		for _, s := range sums {
			rs += s.ReservedHours
			us += s.UsedHours
			if s.Date.After(simNow) || s.UsedHours > s.ReservedHours {
				t.Errorf("summary %+v", s)
			}
		}
		for _, d := range details {
			rd += d.ReservedHours
			ud += d.UsedHours
		}
		if !near(rs, rd) || !near(us, ud) {
			t.Errorf("details (%v, %v) disagree with summaries (%v, %v)", rd, ud, rs, us)
		}
		monthly, _, err := c.ReservationSummaries(ctx, "monthly", time.Time{}, time.Time{}, "")
		if err != nil || len(monthly) == 0 {
			t.Fatalf("monthly %v %v", monthly, err)
		}
		charges, _, err := c.ReservationCharges(ctx, time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), simNow, "")
		if err != nil || len(charges) == 0 || charges[0].Currency != "USD" || charges[0].BillingFrequency == "" {
			t.Errorf("charges %v %v", charges, err)
		}
	})
}

func TestSimulatorETagsAndBump(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, simulator.Options{UsageRowsPerDay: 20})
	count := func(etag string) (int, eaclient.Meta) {
		n := 0
		meta, err := c.UsageDetails(ctx, eaclient.Query{BillingPeriod: "202611"}, etag, func(*billing.UsageRow) error { n++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		return n, meta
	}
	n1, m1 := count("")
	_, m2 := count(m1.ETag)
	if !m2.NotModified || m2.Requests != 1 {
		t.Fatalf("second read not 304: %+v", m2)
	}
	sim.Bump()
	n3, m3 := count(m1.ETag)
	if m3.NotModified || m3.ETag == m1.ETag || n3 <= n1 {
		t.Errorf("after Bump: %d rows (was %d), meta %+v", n3, n1, m3)
	}
	// Closed periods keep their ETag across a bump.
	_, p1, _ := c.PriceSheet(ctx, "202609", "")
	sim.Bump()
	_, p2, _ := c.PriceSheet(ctx, "202609", p1.ETag)
	if !p2.NotModified {
		t.Errorf("closed period changed ETag: %+v", p2)
	}
	if sim.Responses("usage_details", 304) != 1 {
		t.Errorf("simulator counted %d 304s", sim.Responses("usage_details", 304))
	}
}

func TestSimulatorExpiredKey(t *testing.T) {
	key := simulator.MintKey("100", simNow.Add(-time.Hour))
	_, c := startSim(t, simulator.Options{APIKey: key})
	_, _, err := c.BillingPeriods(context.Background(), "")
	if k, _ := eaclient.KindOf(err); k != eaclient.KindUnauthorized {
		t.Errorf("err = %v", err)
	}
	exp, ok := eaclient.KeyExpiry(key)
	if !ok || !exp.Equal(simNow.Add(-time.Hour)) {
		t.Errorf("KeyExpiry = %v %v", exp, ok)
	}
}

func TestSimulatorFaultsThroughClient(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, simulator.Options{UsageRowsPerDay: 20}, func(c *eaclient.Config) { c.MaxBodyBytes = 1 << 20 })
	sim.AddFault(simulator.Fault{Report: "balance_summary", Status: 429, RetryAfter: 10 * time.Millisecond, Times: 1})
	if _, meta, err := c.BalanceSummary(ctx, "", ""); err != nil || meta.Requests != 2 {
		t.Errorf("throttled once then ok: %+v %v", meta, err)
	}
	sim.AddFault(simulator.Fault{Report: "usage_details", Truncate: true, Times: 1})
	_, err := c.UsageDetails(ctx, eaclient.Query{}, "", func(*billing.UsageRow) error { return nil })
	if k, _ := eaclient.KindOf(err); k != eaclient.KindDecode {
		t.Errorf("truncated: %v", err)
	}
	sim.AddFault(simulator.Fault{Report: "price_sheet", HugeBytes: 8 << 20, Times: 1})
	_, _, err = c.PriceSheet(ctx, "", "")
	if k, _ := eaclient.KindOf(err); k != eaclient.KindProtocol {
		t.Errorf("huge: %v", err)
	}
}

func TestKeyExpiry(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  string
		ok   bool
	}{
		{"minted", simulator.MintKey("1", time.Unix(1586390069, 0)), true},
		{"not a jwt", "plainkey", false},
		{"bad base64", "a.!!!.c", false},
		{"not json", "a.bm90IGpzb24.c", false},
		{"no exp", "a.eyJmb28iOjF9.c", false},
		{"string exp", "a.eyJleHAiOiJzb29uIn0.c", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, ok := eaclient.KeyExpiry(tc.key)
			if ok != tc.ok || ok && exp.Unix() != 1586390069 {
				t.Errorf("got %v %v", exp, ok)
			}
		})
	}
}
