package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/testproc"
)

// TestPrometheusEndToEnd runs the whole stack on 127.0.0.1: the simulator in
// the overage scenario, the exporter binary, a real Prometheus server loaded
// with the bundled rules and scraping the exporter, and a real Alertmanager
// that delivers to a webhook. It checks that series arrive, that recording
// rules produce values, that every dashboard query runs against live data,
// and that the overage alert fires and is delivered.
func TestPrometheusEndToEnd(t *testing.T) {
	promBin := lookTool(t, "prometheus")
	amBin := lookTool(t, "prometheus-alertmanager")
	root, _ := filepath.Abs(Root)
	dir := t.TempDir()
	deadline := time.Now().Add(120 * time.Second)

	// Binaries of the project.
	for _, b := range []struct{ out, pkg string }{{"azure_ea_exporter", "."}, {"ea-simulator", "./cmd/ea-simulator"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", b.pkg, err, out)
		}
	}

	// The simulator, in the scenario where overage has started.
	simAddr, keyFile := testproc.FreeAddr(t), filepath.Join(dir, "100.key")
	testproc.Start(t, dir, filepath.Join(dir, "ea-simulator"), "--listen-address", simAddr, "--key-file", keyFile,
		"--scenario", "overage", "--rows-per-day", "20", "--bump-interval", "3s")
	testproc.WaitFor(t, deadline, keyFile, func() bool { _, err := os.Stat(keyFile); return err == nil })

	// The exporter, polling fast enough for a test.
	expAddr := testproc.FreeAddr(t)
	cfg := fmt.Sprintf(`enrollments:
  - number: "100"
    api_key_file: %s
    base_url: http://%s
reports:
  billing_periods:     { interval: 30s }
  balance_summary:     { interval: 2s }
  usage_details:       { interval: 3s }
  marketplace_charges: { interval: 3s }
  price_sheet:         { enabled: true, interval: 30s }
  reservation_details: { interval: 30s }
  reservation_charges: { interval: 30s }
usage_details:
  tags: { env: tag_env }
budgets:
  - { name: platform, enrollment: "100", amount: 20000, match: { department: Platform } }
  - { name: all, enrollment: "100", amount: 100000 }
`, keyFile, simAddr)
	writeFile(t, filepath.Join(dir, "exporter.yml"), cfg)
	testproc.Start(t, dir, filepath.Join(dir, "azure_ea_exporter"), "--config.file", filepath.Join(dir, "exporter.yml"), "--web.listen-address", expAddr)
	testproc.WaitHTTP(t, "http://"+expAddr+"/-/ready", 200, deadline)

	// A webhook that Alertmanager delivers to.
	var (
		mu        sync.Mutex
		delivered []string
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		delivered = append(delivered, string(b))
		mu.Unlock()
	}))
	defer hook.Close()

	// Alertmanager.
	amAddr := testproc.FreeAddr(t)
	writeFile(t, filepath.Join(dir, "alertmanager.yml"), fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, enrollment]
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: hook
    webhook_configs:
      - url: %s/
`, hook.URL))
	testproc.Start(t, dir, amBin, "--config.file", filepath.Join(dir, "alertmanager.yml"), "--storage.path", filepath.Join(dir, "am"),
		"--web.listen-address", amAddr, "--cluster.listen-address=")
	testproc.WaitHTTP(t, "http://"+amAddr+"/-/ready", 200, deadline)

	// Prometheus with the bundled rules.
	promAddr := testproc.FreeAddr(t)
	writeFile(t, filepath.Join(dir, "prometheus.yml"), fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
alerting:
  alertmanagers:
    - static_configs: [{ targets: [%q] }]
scrape_configs:
  - job_name: azure_ea
    static_configs: [{ targets: [%q] }]
`, filepath.Join(root, "rules", "azure_ea.rules.yml"), amAddr, expAddr))
	testproc.Start(t, dir, promBin, "--config.file", filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path", filepath.Join(dir, "prom"),
		"--web.listen-address", promAddr)
	testproc.WaitHTTP(t, "http://"+promAddr+"/-/ready", 200, deadline)
	prom := "http://" + promAddr

	// Series arrive, and recording rules produce values.
	for _, q := range []string{
		`azure_ea_up{report="usage_details"} == 1`,
		`azure_ea_balance_service_overage > 0`,
		`enrollment:azure_ea_burn_rate_per_day:current > 0`,
		`enrollment:azure_ea_commitment_days_left:current`,
		`budget:azure_ea_budget_spent:ratio > 0`,
		`enrollment_department:azure_ea_usage_cost:current > 0`,
		`azure_ea_api_requests_total{code="304"} > 0`,
	} {
		waitQuery(t, prom, q, deadline)
	}

	// The overage alert fires in Prometheus and reaches Alertmanager.
	testproc.WaitFor(t, deadline, "AzureEAOverageStarted firing in Prometheus", func() bool {
		var r struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		getJSON(t, prom+"/api/v1/alerts", &r)
		for _, a := range r.Data.Alerts {
			if a.Labels["alertname"] == "AzureEAOverageStarted" && a.State == "firing" && a.Labels["enrollment"] == "100" {
				return true
			}
		}
		return false
	})
	testproc.WaitFor(t, deadline, "AzureEAOverageStarted in Alertmanager", func() bool {
		var alerts []struct {
			Labels map[string]string `json:"labels"`
		}
		getJSON(t, "http://"+amAddr+"/api/v2/alerts", &alerts)
		for _, a := range alerts {
			if a.Labels["alertname"] == "AzureEAOverageStarted" {
				return true
			}
		}
		return false
	})
	testproc.WaitFor(t, deadline, "AzureEAOverageStarted delivered to the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range delivered {
			if strings.Contains(d, `"alertname":"AzureEAOverageStarted"`) && strings.Contains(d, `"status":"firing"`) {
				return true
			}
		}
		return false
	})

	// Every dashboard query runs on the live data. Queries that compare with
	// a day or a month ago have no history yet in a fresh Prometheus.
	dash, err := DashboardExprs()
	if err != nil {
		t.Fatal(err)
	}
	var current string
	var r queryResult
	query(t, prom, `azure_ea_billing_period_current == 1`, &r)
	if len(r.Data.Result) > 0 {
		current = r.Data.Result[0].Metric["billing_period"]
	}
	// A query needs history if it, or a recording rule it reads, looks back
	// with offset.
	ruleExprs, recorded, _, err := Rules()
	if err != nil {
		t.Fatal(err)
	}
	historical := map[string]bool{}
	for _, name := range recorded {
		for _, re := range ruleExprs {
			if re.Where == "rules: "+name && strings.Contains(re.Query, "offset") {
				historical[name] = true
			}
		}
	}
	needsHistory := func(q string) bool {
		if strings.Contains(q, "offset") {
			return true
		}
		_, recs := References(q)
		for _, r := range recs {
			if historical[r] {
				return true
			}
		}
		return false
	}
	withData := 0
	for _, e := range dash {
		q := e.Query
		if strings.HasPrefix(q, "label_values(") {
			continue // a Grafana function, checked by TestEveryReferenceIsServed
		}
		q = strings.NewReplacer(`"$enrollment"`, `".*"`, `$billing_period`, current, `$__range`, "5m", `$currency`, "USD").Replace(q)
		var res queryResult
		status := query(t, prom, q, &res)
		if status != "success" {
			t.Errorf("%s: query failed (%s): %s", e.Where, res.Error, q)
			continue
		}
		if len(res.Data.Result) == 0 && !needsHistory(q) {
			t.Errorf("%s: no data from live demo data: %s", e.Where, q)
			continue
		}
		withData++
	}
	t.Logf("%d dashboard queries ran on live data, %d returned series", len(dash), withData)
}

type queryResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
		} `json:"result"`
	} `json:"data"`
}

func query(t *testing.T, prom, q string, r *queryResult) string {
	t.Helper()
	resp, err := http.Get(prom + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, r); err != nil {
		t.Fatalf("%s: %v: %s", q, err, b)
	}
	return r.Status
}

func waitQuery(t *testing.T, prom, q string, deadline time.Time) {
	t.Helper()
	testproc.WaitFor(t, deadline, "a result for "+q, func() bool {
		var r queryResult
		return query(t, prom, q, &r) == "success" && len(r.Data.Result) > 0
	})
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v: %s", u, err, b)
	}
}

func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; .ci/run installs it from Debian", name)
		}
		t.Skipf("%s is not installed (apt-get install prometheus prometheus-alertmanager)", name)
	}
	return p
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
