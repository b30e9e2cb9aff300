package collector

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/sources"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// clock is a settable clock shared by the simulator and the exporter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	x     *Exporter
	sim   *simulator.Server
	clock *clock
	url   string
	cfg   *config.Config
}

// smallSim is an enrollment small enough to read in a golden file.
var smallSim = simulator.Options{Subscriptions: 3, UsageRowsPerDay: 4, Periods: 4, MonthlySpend: 9000}

// start runs an exporter against a simulator. extra is appended to the
// configuration. Intervals are
// long: tests drive refreshes themselves after the first.
func start(t *testing.T, o simulator.Options, extra string) *harness {
	t.Helper()
	return startWith(t, o, extra, Options{OpenSource: sources.Options{Retry: eaclient.Retry{MaxAttempts: 1}}.Open})
}

// startWith is start with the exporter's options (the clock is set here).
func startWith(t *testing.T, o simulator.Options, extra string, opts Options) *harness {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	o.Now = clk.now
	sim := simulator.New(o)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	y := harnessYAML(ts.URL, sim.APIKey()) + extra
	cfg, _, err := config.Parse([]byte(y), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	opts.Now = clk.now
	x := New(opts)
	t.Cleanup(x.Stop)
	if err := x.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	h := &harness{x: x, sim: sim, clock: clk, url: ts.URL, cfg: cfg}
	h.waitReady(t)
	return h
}

// run starts an exporter on cfg; it is stopped when the test ends.
func run(t *testing.T, cfg *config.Config, o Options) *Exporter {
	t.Helper()
	x := New(o)
	t.Cleanup(x.Stop)
	if err := x.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	return x
}

func (h *harness) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !h.x.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("exporter not ready after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// refresh runs one refresh of a report now, as its poller would.
func (h *harness) refresh(t *testing.T, report string) {
	t.Helper()
	h.x.mu.RLock()
	e := h.x.enrollments["100"]
	h.x.mu.RUnlock()
	p := e.byName[report]
	if p == nil {
		t.Fatalf("report %s not running", report)
	}
	p.refreshOnce(context.Background())
}

// gather returns the exposition text of the named metrics.
func (h *harness) gather(t *testing.T, names ...string) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h.x)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if len(names) == 0 || slices.Contains(names, mf.GetName()) {
			if err := enc.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	return buf.String()
}

func (h *harness) value(t *testing.T, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h.x)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue metrics
				}
			}
			return metricValue(m), true
		}
	}
	return 0, false
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	}
	return math.NaN()
}

// golden compares the named metrics with testdata/name.prom.
func golden(t *testing.T, h *harness, file string, names ...string) {
	t.Helper()
	path := "testdata/" + file
	if *update {
		if err := os.WriteFile(path, []byte(h.gather(t, names...)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := testutil.CollectAndCompare(h.x, f, names...); err != nil {
		t.Error(err)
	}
}

var billingMetrics = []string{
	"azure_ea_enrollment_info", "azure_ea_api_key_expiry_timestamp_seconds",
	"azure_ea_billing_period_start_timestamp_seconds", "azure_ea_billing_period_end_timestamp_seconds", "azure_ea_billing_period_current",
	"azure_ea_balance_beginning", "azure_ea_balance_ending", "azure_ea_balance_new_purchases", "azure_ea_balance_adjustments",
	"azure_ea_balance_utilized", "azure_ea_balance_service_overage", "azure_ea_balance_charges_billed_separately",
	"azure_ea_balance_total_overage", "azure_ea_balance_total_usage", "azure_ea_balance_marketplace_charges",
	"azure_ea_marketplace_cost", "azure_ea_price_sheet_unit_price", "azure_ea_price_sheet_included_quantity",
	"azure_ea_reservation_reserved_seconds", "azure_ea_reservation_used_seconds", "azure_ea_reservation_utilization_ratio",
	"azure_ea_reservation_charges", "azure_ea_budget_amount", "azure_ea_budget_spent",
}

var healthMetrics = []string{
	"azure_ea_up", "azure_ea_last_success_timestamp_seconds", "azure_ea_last_change_timestamp_seconds",
	"azure_ea_refresh_duration_seconds", "azure_ea_refresh_interval_seconds", "azure_ea_report_rows", "azure_ea_api_requests_total", "azure_ea_refresh_failures_total",
}

func TestBillingMetricsGolden(t *testing.T) {
	h := start(t, smallSim, `
budgets:
  - { name: all, enrollment: "100", amount: 12000 }
  - { name: platform, enrollment: "100", amount: 3000, match: { department: Platform } }
  - { name: storage, enrollment: "100", amount: 500, match: { meter_category: Storage } }
`)
	golden(t, h, "billing.prom", billingMetrics...)
	golden(t, h, "health.prom", healthMetrics...)
}

func TestUsageMetricsGolden(t *testing.T) {
	h := start(t, smallSim, `
usage_details:
  dimensions: [department, meter_category, meter_name]
  tags: { env: tag_env }
`)
	golden(t, h, "usage.prom", "azure_ea_usage_cost", "azure_ea_usage_quantity")
}

// TestUsageAddsUp checks the aggregation against the API's own totals:
// usage cost summed over every series of a period equals the balance
// summary's utilised commitment plus service overage.
func TestUsageAddsUp(t *testing.T) {
	h := start(t, simulator.Options{UsageRowsPerDay: 60}, "")
	for _, period := range []string{"202611", "202610"} {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(h.x)
		mfs, _ := reg.Gather()
		sum := 0.0
		for _, mf := range mfs {
			if mf.GetName() != "azure_ea_usage_cost" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == "billing_period" && lp.GetValue() == period {
						sum += m.GetGauge().GetValue()
					}
				}
			}
		}
		util, _ := h.value(t, "azure_ea_balance_utilized", map[string]string{"billing_period": period})
		over, _ := h.value(t, "azure_ea_balance_service_overage", map[string]string{"billing_period": period})
		if sum == 0 || math.Abs(sum-(util+over)) > 0.05 {
			t.Errorf("%s: usage cost %.2f, balance utilized+overage %.2f", period, sum, util+over)
		}
	}
	rows, _ := h.value(t, "azure_ea_report_rows", map[string]string{"report": "usage_details"})
	if rows != 60*28+60*31 {
		t.Errorf("report_rows %v", rows)
	}
}

func TestNotModifiedAdvancesSuccessOnly(t *testing.T) {
	h := start(t, smallSim, "")
	before := h.gather(t, billingMetrics...)
	usageBefore := h.gather(t, "azure_ea_usage_cost")
	success0, _ := h.value(t, "azure_ea_last_success_timestamp_seconds", map[string]string{"report": "usage_details"})
	change0, _ := h.value(t, "azure_ea_last_change_timestamp_seconds", map[string]string{"report": "usage_details"})

	h.clock.add(time.Minute)
	for _, r := range config.ReportNames {
		h.refresh(t, r)
	}
	if h.sim.Responses("usage_details", 304) != 2 || h.sim.Responses("balance_summary", 304) != 2 {
		t.Fatalf("expected 304s, got usage %d balance %d", h.sim.Responses("usage_details", 304), h.sim.Responses("balance_summary", 304))
	}
	if after := h.gather(t, billingMetrics...); after != before {
		t.Errorf("a 304 changed values:\n%s", diffLines(before, after))
	}
	if after := h.gather(t, "azure_ea_usage_cost"); after != usageBefore {
		t.Error("a 304 changed usage values")
	}
	success1, _ := h.value(t, "azure_ea_last_success_timestamp_seconds", map[string]string{"report": "usage_details"})
	change1, _ := h.value(t, "azure_ea_last_change_timestamp_seconds", map[string]string{"report": "usage_details"})
	if success1 != success0+60 || change1 != change0 {
		t.Errorf("last_success %v -> %v (want +60), last_change %v -> %v (want unchanged)", success0, success1, change0, change1)
	}
	if c, _ := h.value(t, "azure_ea_api_requests_total", map[string]string{"report": "usage_details", "code": "304"}); c != 2 {
		t.Errorf("api_requests_total{code=304} = %v", c)
	}

	// New data: a new ETag, new values, last_change moves.
	h.sim.Bump()
	h.clock.add(time.Minute)
	h.refresh(t, config.UsageDetails)
	change2, _ := h.value(t, "azure_ea_last_change_timestamp_seconds", map[string]string{"report": "usage_details"})
	if change2 != change0+120 || h.gather(t, "azure_ea_usage_cost") == usageBefore {
		t.Errorf("after new data: last_change %v (want %v), values changed: %v", change2, change0+120, h.gather(t, "azure_ea_usage_cost") != usageBefore)
	}
}

func TestFailedRefreshKeepsLastGoodData(t *testing.T) {
	h := start(t, smallSim, "")
	before := h.gather(t, billingMetrics...)
	usageBefore := h.gather(t, "azure_ea_usage_cost")
	h.sim.AddFault(simulator.Fault{Status: 500})
	h.sim.Bump() // so that a refresh would see new data if it could
	h.clock.add(time.Minute)
	for _, r := range config.ReportNames {
		h.refresh(t, r)
	}
	if after := h.gather(t, billingMetrics...); after != before {
		t.Errorf("a failed refresh changed values:\n%s", diffLines(before, after))
	}
	if h.gather(t, "azure_ea_usage_cost") != usageBefore {
		t.Error("a failed refresh changed usage")
	}
	for _, r := range config.ReportNames {
		up, ok := h.value(t, "azure_ea_up", map[string]string{"report": r})
		fails, _ := h.value(t, "azure_ea_refresh_failures_total", map[string]string{"report": r})
		if !ok || up != 0 || fails != 1 {
			t.Errorf("%s: up %v failures %v", r, up, fails)
		}
	}
	if c, _ := h.value(t, "azure_ea_api_requests_total", map[string]string{"report": "balance_summary", "code": "500"}); c != 2 { // one request per tracked period
		t.Errorf("api_requests_total{code=500} = %v", c)
	}
	// Recovery.
	h.sim.ClearFaults()
	h.refresh(t, config.UsageDetails)
	if up, _ := h.value(t, "azure_ea_up", map[string]string{"report": "usage_details"}); up != 1 {
		t.Error("did not recover")
	}
	if h.gather(t, "azure_ea_usage_cost") == usageBefore {
		t.Error("recovered refresh did not load the new data")
	}
}

func TestPeriodRollover(t *testing.T) {
	h := start(t, smallSim, "")
	if _, ok := h.value(t, "azure_ea_balance_ending", map[string]string{"billing_period": "202610"}); !ok {
		t.Fatal("202610 not tracked at start")
	}
	h.clock.set(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	h.refresh(t, config.BillingPeriods)
	// The new period's reports are refreshed at once (nudged); wait for them.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, newOK := h.value(t, "azure_ea_balance_ending", map[string]string{"billing_period": "202612"})
		_, usageOK := h.value(t, "azure_ea_usage_cost", map[string]string{"billing_period": "202612"})
		if newOK && usageOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("new period's series did not appear")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, name := range []string{"azure_ea_balance_ending", "azure_ea_usage_cost", "azure_ea_marketplace_cost", "azure_ea_billing_period_current"} {
		if _, ok := h.value(t, name, map[string]string{"billing_period": "202610"}); ok {
			t.Errorf("%s still has the untracked period 202610", name)
		}
	}
	if v, _ := h.value(t, "azure_ea_billing_period_current", map[string]string{"billing_period": "202612"}); v != 1 {
		t.Error("202612 is not current")
	}
	if v, _ := h.value(t, "azure_ea_billing_period_current", map[string]string{"billing_period": "202611"}); v != 0 {
		t.Error("202611 is still current")
	}
}

func TestCardinalityGuardFolds(t *testing.T) {
	h := start(t, simulator.Options{UsageRowsPerDay: 50}, "usage_details: { max_series: 10 }\n")
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h.x)
	n, err := testutil.GatherAndCount(reg, "azure_ea_usage_cost")
	if err != nil || n != 20 {
		t.Errorf("usage series = %d (%v), want 10 per period", n, err)
	}
	folded, ok := h.value(t, "azure_ea_usage_folded_label_sets", map[string]string{"billing_period": "202611"})
	other, ok2 := h.value(t, "azure_ea_usage_cost", map[string]string{"billing_period": "202611", "meter_name": "other"})
	if !ok || folded <= 0 || !ok2 || other <= 0 {
		t.Errorf("folded %v (%v), other %v (%v)", folded, ok, other, ok2)
	}
}

func TestBudgetsMatchUsageAndMarketplace(t *testing.T) {
	h := start(t, smallSim, `
budgets:
  - { name: all, enrollment: "100", amount: 1 }
  - { name: meter-only, enrollment: "100", amount: 1, match: { meter_category: Storage } }
`)
	all, _ := h.value(t, "azure_ea_budget_spent", map[string]string{"budget": "all"})
	mkt, _ := h.value(t, "azure_ea_balance_marketplace_charges", map[string]string{"billing_period": "202611"})
	util, _ := h.value(t, "azure_ea_balance_utilized", map[string]string{"billing_period": "202611"})
	over, _ := h.value(t, "azure_ea_balance_service_overage", map[string]string{"billing_period": "202611"})
	if math.Abs(all-(util+over+mkt)) > 0.05 {
		t.Errorf("whole-enrollment budget spent %v, want usage %v + marketplace %v", all, util+over, mkt)
	}
	storage, _ := h.value(t, "azure_ea_budget_spent", map[string]string{"budget": "meter-only"})
	if storage <= 0 || storage >= util+over {
		t.Errorf("meter-only budget %v should be part of usage %v and no marketplace", storage, util+over)
	}
}

func TestReloadKeepsDataAndCounters(t *testing.T) {
	h := start(t, smallSim, "")
	before := h.gather(t, billingMetrics...)
	reqs := h.sim.Requests("usage_details")
	// A changed interval restarts the pollers, with their data.
	y := strings.Replace(h.cfgYAML(), "usage_details:       { interval: 1h }", "usage_details:       { interval: 2h }", 1)
	cfg, _, err := config.Parse([]byte(y), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := h.x.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	if !h.x.Ready() {
		t.Error("not ready straight after a reload")
	}
	if after := h.gather(t, billingMetrics...); after != before {
		t.Errorf("reload changed values:\n%s", diffLines(before, after))
	}
	// The restarted usage poller revalidated with its ETags: 304s, no download.
	deadline := time.Now().Add(5 * time.Second)
	for h.sim.Requests("usage_details") < reqs+2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := h.sim.Responses("usage_details", 304); got != 2 {
		t.Errorf("after reload: %d usage 304s, want 2", got)
	}
	if c, _ := h.value(t, "azure_ea_api_requests_total", map[string]string{"report": "usage_details", "code": "200"}); c < 1 {
		t.Error("request counters reset by the reload")
	}
	// Removing the enrollment removes its series.
	cfg2, _, _ := config.Parse([]byte(strings.Replace(y, `number: "100"`, `number: "101"`, 1)), func(string) string { return "" })
	if err := h.x.Apply(cfg2); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.value(t, "azure_ea_balance_ending", map[string]string{"enrollment": "100"}); ok {
		t.Error("removed enrollment still served")
	}
}

func (h *harness) cfgYAML() string { return harnessYAML(h.url, h.sim.APIKey()) }

// harnessYAML configures one enrollment on the simulator with every report
// on and long intervals.
func harnessYAML(url, key string) string {
	return fmt.Sprintf(`
enrollments:
  - number: "100"
    api_key: %[2]q
    base_url: %[1]q
reports:
  billing_periods:     { interval: 1h }
  balance_summary:     { interval: 1h }
  usage_details:       { interval: 1h }
  marketplace_charges: { interval: 1h }
  price_sheet:         { enabled: true, interval: 1h }
  reservation_details: { interval: 1h }
  reservation_charges: { interval: 1h }
`, url, key)
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
