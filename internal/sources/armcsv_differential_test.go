package sources_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/sources"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

// costMetrics are the metrics of usage details and marketplace charges,
// which the EA source reads from the paged JSON reports and the ARM source
// from the Cost Details CSV report.
var costMetrics = []string{
	"azure_ea_usage_cost", "azure_ea_usage_quantity", "azure_ea_marketplace_cost",
	"azure_ea_budget_amount", "azure_ea_budget_spent", "azure_ea_data_through_timestamp_seconds",
}

// costConfig breaks usage down by every dimension both sources fill in
// and by three tags, and sets budgets on a department, a tag and the whole
// enrollment.
const costConfig = `reports:
  usage_details: { enabled: true }
  marketplace_charges: { enabled: true }
usage_details:
  dimensions: [department, subscription_id, subscription_name, meter_category, meter_subcategory, meter_name, meter_id, meter_region, resource_group, resource_location, service_name, service_tier, cost_center, account_name, unit_of_measure, consumed_service, product]
  tags: { env: tag_env, app: tag_app, CostCenter: tag_cost_center }
budgets:
  - { name: all, enrollment: "100", amount: 100000 }
  - { name: platform, enrollment: "100", amount: 5000, match: { department: Platform } }
  - { name: prod, enrollment: "100", amount: 5000, match: { tag_env: prod } }
`

// TestCostFromCSVAgrees serves one simulated enrollment's usage and
// marketplace charges through the EA JSON reports and through the ARM
// Cost Details report (several blobs per report, both CSV schemas) and
// compares the usage, marketplace, budget and data-through series.
func TestCostFromCSVAgrees(t *testing.T) {
	for _, at := range []string{"2026-11-28T12:00:00Z", "2026-12-01T00:30:00Z"} {
		for _, schema := range []string{simulator.CostDetailsSchemaStandard, simulator.CostDetailsSchemaLegacy} {
			t.Run(at+"/"+schema, func(t *testing.T) {
				clock, _ := time.Parse(time.RFC3339, at)
				now := func() time.Time { return clock }
				for _, scenario := range []string{simulator.ScenarioHealthy, simulator.ScenarioOverage} {
					compareCost(t, now, scenario, schema)
				}
			})
		}
	}
}

func compareCost(t *testing.T, now func() time.Time, scenario, schema string) {
	t.Helper()
	sim := simulator.New(simulator.Options{Enrollment: "100", Now: now, UsageRowsPerDay: 6, Seed: 5, Scenario: scenario})
	eaTS := httptest.NewServer(sim)
	defer eaTS.Close()
	arm := sim.ARM(simulator.ARMOptions{AsyncPolls: -1, CostDetailsRowsPerBlob: 40, CostDetailsSchema: schema})
	tt, err := simulator.NewTestTLS()
	if err != nil {
		t.Fatal(err)
	}
	armTS := httptest.NewUnstartedServer(arm)
	armTS.TLS = tt.ServerConfig
	armTS.StartTLS()
	defer armTS.Close()

	ea := parse(t, fmt.Sprintf("enrollments: [{ number: \"100\", api_key: %q, base_url: %q }]\n", sim.APIKey(), eaTS.URL)+costConfig, nil)
	viaARM := parse(t, fmt.Sprintf(`enrollments:
  - number: "100"
    source: arm
    tenant_id: %q
    client_id: %q
    client_secret_env: ARM_SECRET
    arm_endpoint: %q
    authority_host: %q
`, arm.TenantID(), arm.ClientID(), armTS.URL, armTS.URL)+costConfig, map[string]string{"ARM_SECRET": arm.ClientSecret()})

	opts := sources.Options{HTTPClient: tt.Client(), Now: now, Retry: eaclient.Retry{MaxAttempts: 2, InitialBackoff: time.Millisecond}}
	got := map[string]map[string]float64{}
	for _, name := range []string{"ea", "arm"} {
		cfg := map[string]*config.Config{"ea": ea, "arm": viaARM}[name]
		x := startExporter(t, name, cfg, opts, now)
		got[name] = samples(t, x)
		for _, es := range x.Status(nil) {
			for _, rs := range es.Reports {
				if (rs.Name == config.UsageDetails || rs.Name == config.MarketplaceCharges) && (!rs.Up || rs.Unsupported) {
					t.Errorf("%s %s: %s not up: %s", scenario, name, rs.Name, rs.LastError)
				}
			}
		}
	}
	// One Cost Details run per tracked period fed both reports.
	if n := arm.Requests(simulator.ARMRouteCostDetails); n != 2 {
		t.Errorf("%s: %d Cost Details submissions for 2 tracked periods, want 2", scenario, n)
	}
	if n := arm.BlobAuthorizationRejected(); n != 0 {
		t.Errorf("%d blob requests carried a token", n)
	}
	compared := compareSources(t, scenario+"/"+schema, costMetrics, got["ea"], got["arm"])
	for _, metric := range costMetrics {
		if compared[metric] == 0 {
			t.Errorf("%s/%s: no %s series compared", scenario, schema, metric)
		}
	}
	if compared["azure_ea_usage_cost"] < 50 || compared["azure_ea_marketplace_cost"] < 3 || compared["azure_ea_budget_spent"] != 3 {
		t.Errorf("%s/%s: too few series compared: %v", scenario, schema, compared)
	}
}
