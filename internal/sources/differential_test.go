package sources_test

import (
	"bytes"
	"fmt"
	"math"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/azure-ea-exporter/azure_ea_exporter/collector"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/sources"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

// bothSources are the metrics both sources produce; each must have the
// same series and values whichever source an enrollment uses.
var bothSources = []string{
	"azure_ea_enrollment_info",
	"azure_ea_billing_period_start_timestamp_seconds", "azure_ea_billing_period_end_timestamp_seconds", "azure_ea_billing_period_current",
	"azure_ea_balance_beginning", "azure_ea_balance_ending", "azure_ea_balance_new_purchases", "azure_ea_balance_adjustments",
	"azure_ea_balance_utilized", "azure_ea_balance_service_overage", "azure_ea_balance_charges_billed_separately",
	"azure_ea_balance_total_overage", "azure_ea_balance_total_usage", "azure_ea_balance_marketplace_charges",
	"azure_ea_price_sheet_unit_price", "azure_ea_price_sheet_included_quantity",
	"azure_ea_reservation_reserved_seconds", "azure_ea_reservation_used_seconds", "azure_ea_reservation_utilization_ratio",
	"azure_ea_reservation_period_reserved_seconds", "azure_ea_reservation_period_used_seconds", "azure_ea_reservation_period_utilization_ratio",
	"azure_ea_reservation_charges",
}

// TestSourcesAgree serves one simulated enrollment through both sources,
// the EA Reporting API and Azure Resource Manager (over TLS, with a client
// secret through the Azure SDK's identity module), and compares every
// metric both produce, at several dates.
func TestSourcesAgree(t *testing.T) {
	for _, at := range []string{"2026-11-28T12:00:00Z", "2026-12-01T00:30:00Z", "2028-02-29T12:00:00Z"} {
		t.Run(at, func(t *testing.T) {
			clock, _ := time.Parse(time.RFC3339, at)
			now := func() time.Time { return clock }
			for _, scenario := range []string{simulator.ScenarioHealthy, simulator.ScenarioOverage} {
				sim := simulator.New(simulator.Options{Enrollment: "100", Now: now, UsageRowsPerDay: 5, Seed: 3, Scenario: scenario})
				eaTS := httptest.NewServer(sim)
				defer eaTS.Close()
				arm := sim.ARM(simulator.ARMOptions{AsyncPolls: -1})
				tt, err := simulator.NewTestTLS()
				if err != nil {
					t.Fatal(err)
				}
				armTS := httptest.NewUnstartedServer(arm)
				armTS.TLS = tt.ServerConfig
				armTS.StartTLS()
				defer armTS.Close()

				reports := "reports: { price_sheet: { enabled: true } }\n"
				ea := parse(t, fmt.Sprintf("enrollments: [{ number: \"100\", api_key: %q, base_url: %q }]\n", sim.APIKey(), eaTS.URL)+reports, nil)
				viaARM := parse(t, fmt.Sprintf(`enrollments:
  - number: "100"
    source: arm
    tenant_id: %q
    client_id: %q
    client_secret_env: ARM_SECRET
    arm_endpoint: %q
    authority_host: %q
`, arm.TenantID(), arm.ClientID(), armTS.URL, armTS.URL)+reports, map[string]string{"ARM_SECRET": arm.ClientSecret()})

				opts := sources.Options{HTTPClient: tt.Client(), Now: now, Retry: eaclient.Retry{MaxAttempts: 2, InitialBackoff: time.Millisecond}}
				got := map[string]map[string]float64{}
				for name, cfg := range map[string]*config.Config{"ea": ea, "arm": viaARM} {
					x := startExporter(t, name, cfg, opts, now)
					got[name] = samples(t, x)
					for _, es := range x.Status(nil) {
						for _, rs := range es.Reports {
							if rs.Enabled && !rs.Unsupported && !rs.Up {
								t.Errorf("%s %s: %s not up: %s", scenario, name, rs.Name, rs.LastError)
							}
						}
					}
				}
				compared := 0
				for _, n := range compareSources(t, scenario, bothSources, got["ea"], got["arm"]) {
					compared += n
				}
				if compared < 40 {
					t.Errorf("%s: only %d series compared", scenario, compared)
				}
			}
		})
	}
}

// compareSources checks that every series of the metrics is served by both
// sources with the same value, and returns how many series of each metric
// it compared.
func compareSources(t *testing.T, what string, metrics []string, ea, arm map[string]float64) map[string]int {
	t.Helper()
	compared := map[string]int{}
	for _, metric := range metrics {
		keys := map[string]bool{}
		for _, src := range []map[string]float64{ea, arm} {
			for k := range src {
				if strings.HasPrefix(k, metric+"{") {
					keys[k] = true
				}
			}
		}
		for _, k := range sortedKeys(keys) {
			a, okA := ea[k]
			b, okB := arm[k]
			switch {
			case !okA || !okB:
				t.Errorf("%s: %s served by one source only (ea %v, arm %v)", what, k, okA, okB)
			case math.Abs(a-b) > 1e-6*math.Max(1, math.Abs(a)):
				t.Errorf("%s: %s: ea %v, arm %v", what, k, a, b)
			}
			compared[metric]++
		}
	}
	return compared
}

// startExporter runs a collector on cfg with opts' sources and waits until
// every report has been refreshed once; it is stopped when the test ends.
func startExporter(t *testing.T, name string, cfg *config.Config, opts sources.Options, now func() time.Time) *collector.Exporter {
	t.Helper()
	x := collector.New(collector.Options{Now: now, OpenSource: opts.Open})
	if err := x.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for !x.Ready() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not ready", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return x
}

func parse(t *testing.T, y string, env map[string]string) *config.Config {
	t.Helper()
	cfg, _, err := config.Parse([]byte(y), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	return cfg
}

// samples maps every series x serves ("name{labels}") to its value.
func samples(t *testing.T, x *collector.Exporter) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(x)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if err := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain)).Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]float64{}
	for _, l := range strings.Split(buf.String(), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		var v float64
		fmt.Sscan(l[i+1:], &v)
		out[l[:i]] = v
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
