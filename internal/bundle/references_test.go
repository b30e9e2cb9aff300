package bundle

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure_ea_exporter/collector"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/demo"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/sources"
)

// servedMetrics scrapes the demo: every metric name the exporter serves.
func servedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	d, err := demo.Start(0, prometheusLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	x := collector.New(collector.Options{OpenSource: sources.Options{HTTPClient: d.HTTPClient()}.Open})
	defer x.Stop()
	reg := prometheus.NewRegistry()
	reg.MustRegister(x)
	sc := config.NewSafeConfig(d.Config, x.Apply, reg, prometheusLogger())
	if err := sc.Reload(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !x.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("demo not ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, mf := range mfs {
		served[mf.GetName()] = true
	}
	return served
}

// TestEveryReferenceIsServed: a renamed or removed metric cannot silently
// break a panel or an alert.
func TestEveryReferenceIsServed(t *testing.T) {
	served := servedMetrics(t)
	dash, err := DashboardExprs()
	if err != nil {
		t.Fatal(err)
	}
	rules, recorded, alerts, err := Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(dash) < 40 || len(recorded) < 10 || len(alerts) < 13 {
		t.Fatalf("found %d dashboard expressions, %d recording rules, %d alerts: the bundle was not read", len(dash), len(recorded), len(alerts))
	}
	used := map[string]bool{}
	for _, e := range append(dash, rules...) {
		metrics, recs := References(e.Query)
		if len(metrics)+len(recs) == 0 && !strings.Contains(e.Query, "up{") && e.Query != "label_names()" {
			t.Errorf("%s: references no metric: %s", e.Where, e.Query)
		}
		for _, m := range metrics {
			used[m] = true
			if !served[m] {
				t.Errorf("%s: %s is not served by the exporter", e.Where, m)
			}
		}
		for _, r := range recs {
			if !slices.Contains(recorded, r) {
				t.Errorf("%s: recording rule %s is not defined in %s", e.Where, r, RuleFile)
			}
		}
	}
	// The other direction: every billing metric appears on some dashboard or rule.
	for m := range served {
		if strings.HasPrefix(m, "azure_ea_") && !used[m] && !strings.HasPrefix(m, "azure_ea_exporter_build") &&
			m != "azure_ea_exporter_config_last_reload_success_timestamp_seconds" {
			t.Logf("note: %s is served but used by no dashboard or rule", m)
		}
	}
}

func TestReferencesParser(t *testing.T) {
	m, r := References(`enrollment:azure_ea_burn_rate_per_day:current{enrollment=~"azure_ea_up"} / azure_ea_balance_ending and azure_ea_up`)
	if strings.Join(m, ",") != "azure_ea_balance_ending,azure_ea_up" || strings.Join(r, ",") != "enrollment:azure_ea_burn_rate_per_day:current" {
		t.Errorf("metrics %v recordings %v", m, r)
	}
}
