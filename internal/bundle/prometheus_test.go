package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/testproc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// projectBinaries builds the exporter and the simulator once for all the
// tests of the package and returns the directory that holds them.
func projectBinaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		root, _ := filepath.Abs(Root)
		binDir, buildErr = os.MkdirTemp("", "azure-ea-bundle-")
		if buildErr != nil {
			return
		}
		for _, b := range []struct{ out, pkg string }{{"azure_ea_exporter", "."}, {"ea-simulator", "./cmd/ea-simulator"}} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, b.out), b.pkg)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("building %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// startPrometheus starts a Prometheus server with the bundled rules that
// scrapes the exporter at expAddr every second, waits until it is ready
// (unless deadline is zero), and returns its URL.
func startPrometheus(t *testing.T, dir, expAddr, amAddr string, deadline time.Time) string {
	t.Helper()
	promBin := lookTool(t, "prometheus")
	root, _ := filepath.Abs(Root)
	promAddr := testproc.FreeAddr(t)
	alerting := ""
	if amAddr != "" {
		alerting = fmt.Sprintf("alerting:\n  alertmanagers:\n    - static_configs: [{ targets: [%q] }]\n", amAddr)
	}
	writeFile(t, filepath.Join(dir, "prometheus.yml"), fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
%sscrape_configs:
  - job_name: azure_ea
    static_configs: [{ targets: [%q] }]
`, filepath.Join(root, "rules", "azure_ea.rules.yml"), alerting, expAddr))
	testproc.Start(t, dir, promBin, "--config.file", filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path", filepath.Join(dir, "prom"),
		"--web.listen-address", promAddr)
	if !deadline.IsZero() {
		testproc.WaitHTTP(t, "http://"+promAddr+"/-/ready", 200, deadline)
	}
	return "http://" + promAddr
}

// e2eDate is a fixed date the whole stack runs at.
type e2eDate struct {
	name, clock string
	days        int    // days in the month of clock
	previous    string // the billing period before clock's
}

// The dates where money rules used to go wrong: the 1st of a month (with
// February before it), the last day of a 30-day month, 29 February and 31
// December (the previous period in another year), and a plain mid-month day.
var e2eDates = []e2eDate{
	{"mid-month", "2024-05-15T12:00:00Z", 31, "202404"},
	{"1st of a month", "2024-03-01T06:00:00Z", 31, "202402"},
	{"last day of a month", "2024-04-30T18:00:00Z", 30, "202403"},
	{"29 February", "2024-02-29T12:00:00Z", 29, "202401"},
	{"31 December", "2023-12-31T20:00:00Z", 31, "202311"},
}

// TestPrometheusEndToEnd runs the whole stack on 127.0.0.1 at several fixed
// dates: the simulator in the overage scenario and the exporter binary, both
// with their clocks started at the date, and a real Prometheus server loaded
// with the bundled rules and scraping the exporter. It checks that series
// arrive, that the recording rules count the days of the right period from
// the data clock, that the previous period is the month before, that every
// dashboard query runs against live data, and that the overage alert fires.
// At the mid-month date a real Alertmanager delivers the alert to a webhook.
//
// The stacks of all dates start at once (each on its own ports) and are then
// checked one date after the other, so that the dates share the wait for
// the first data however many parallel tests `go test` allows.
func TestPrometheusEndToEnd(t *testing.T) {
	lookTool(t, "prometheus")
	lookTool(t, "prometheus-alertmanager")
	bin := projectBinaries(t)
	deadline := time.Now().Add(90 * time.Second)
	var stacks []*stack
	for _, date := range e2eDates {
		stacks = append(stacks, startStack(t, bin, date, date.name == "mid-month", deadline))
	}
	for _, s := range stacks {
		t.Run(s.date.name, func(t *testing.T) { s.check(t, deadline) })
	}
}

// stack is the simulator, exporter, Prometheus and perhaps Alertmanager of
// one date.
type stack struct {
	date                    e2eDate
	clock                   time.Time
	expAddr, promURL, amURL string
	mu                      sync.Mutex
	delivered               []string // webhook bodies from Alertmanager
}

// startStack starts the processes of a date; check waits for them.
func startStack(t *testing.T, bin string, date e2eDate, withAlertmanager bool, deadline time.Time) *stack {
	s := &stack{date: date}
	var err error
	if s.clock, err = time.Parse(time.RFC3339, date.clock); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	// The simulator, in the scenario where overage has started.
	simAddr, keyFile := testproc.FreeAddr(t), filepath.Join(dir, "100.key")
	testproc.Start(t, dir, filepath.Join(bin, "ea-simulator"), "--listen-address", simAddr, "--key-file", keyFile,
		"--scenario", "overage", "--rows-per-day", "20", "--bump-interval", "3s", "--clock-start", date.clock)
	testproc.WaitFor(t, deadline, keyFile, func() bool { _, err := os.Stat(keyFile); return err == nil })

	// The exporter, polling fast enough for a test, on the same clock.
	s.expAddr = testproc.FreeAddr(t)
	cfg := fmt.Sprintf(`enrollments:
  - number: "100"
    api_key_file: %s
    base_url: http://%s
reports:
  billing_periods:     { interval: 30s, allow_short_interval: true }
  balance_summary:     { interval: 2s, allow_short_interval: true }
  usage_details:       { interval: 3s, allow_short_interval: true }
  marketplace_charges: { interval: 3s, allow_short_interval: true }
  price_sheet:         { enabled: true, interval: 30s, allow_short_interval: true }
  reservation_details: { interval: 30s, allow_short_interval: true }
  reservation_charges: { interval: 30s, allow_short_interval: true }
usage_details:
  tags: { env: tag_env }
budgets:
  - { name: platform, enrollment: "100", amount: 20000, match: { department: Platform } }
  - { name: all, enrollment: "100", amount: 100000 }
`, keyFile, simAddr)
	writeFile(t, filepath.Join(dir, "exporter.yml"), cfg)
	testproc.Start(t, dir, filepath.Join(bin, "azure_ea_exporter"), "--config.file", filepath.Join(dir, "exporter.yml"),
		"--web.listen-address", s.expAddr, "--testing.clock-start", date.clock)

	// A webhook that Alertmanager delivers to, and Alertmanager.
	amAddr := ""
	if withAlertmanager {
		amBin := lookTool(t, "prometheus-alertmanager")
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			s.mu.Lock()
			s.delivered = append(s.delivered, string(b))
			s.mu.Unlock()
		}))
		t.Cleanup(hook.Close)
		amAddr = testproc.FreeAddr(t)
		s.amURL = "http://" + amAddr
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
	}
	s.promURL = startPrometheus(t, dir, s.expAddr, amAddr, time.Time{})
	return s
}

func (s *stack) check(t *testing.T, deadline time.Time) {
	date, clock, prom := s.date, s.clock, s.promURL
	testproc.WaitHTTP(t, "http://"+s.expAddr+"/-/ready", 200, deadline)
	testproc.WaitHTTP(t, prom+"/-/ready", 200, deadline)
	if s.amURL != "" {
		testproc.WaitHTTP(t, s.amURL+"/-/ready", 200, deadline)
	}

	// Series arrive, and recording rules produce values.
	for _, q := range []string{
		`azure_ea_up{report="usage_details"} == 1`,
		`azure_ea_balance_service_overage > 0`,
		`azure_ea_data_through_timestamp_seconds{report="usage_details"}`,
		`enrollment:azure_ea_burn_rate_per_day:current > 0`,
		`enrollment:azure_ea_commitment_days_left:current`,
		`enrollment:azure_ea_service_spend:forecast > 0`,
		`enrollment:azure_ea_billing_period:previous`,
		`enrollment:azure_ea_usage_cost:previous_to_date > 0`,
		`budget:azure_ea_budget_spent:ratio > 0`,
		`enrollment_department:azure_ea_usage_cost:current > 0`,
		`azure_ea_api_requests_total{code="304"} > 0`,
	} {
		waitQuery(t, prom, q, deadline)
	}

	// The current period is the date's month, the previous one the month
	// before, and the days with data are counted from the data clock.
	current := clock.Format("200601")
	if got := labelOf(t, prom, `azure_ea_billing_period_current == 1`, "billing_period"); got != current {
		t.Errorf("current billing period %q, want %q", got, current)
	}
	if got := labelOf(t, prom, `enrollment:azure_ea_billing_period:previous`, "billing_period"); got != date.previous {
		t.Errorf("previous billing period %q, want %q", got, date.previous)
	}
	if got := valueOf(t, prom, `enrollment:azure_ea_period_days:current`); got != float64(date.days) {
		t.Errorf("period days %v, want %d", got, date.days)
	}
	dataThrough := valueOf(t, prom, `azure_ea_data_through_timestamp_seconds{report="usage_details"}`)
	start := valueOf(t, prom, `azure_ea_billing_period_start_timestamp_seconds and on (enrollment, billing_period) (azure_ea_billing_period_current == 1)`)
	// The rules read the gauge as 00:00 UTC of the newest usage date, complete
	// through the end of that day (the + 86400 of
	// enrollment:azure_ea_data_through_timestamp_seconds:current).
	today := float64(clock.Truncate(24 * time.Hour).Unix())
	if math.Mod(dataThrough, 86400) != 0 || dataThrough > today || dataThrough < today-5*86400 {
		t.Errorf("azure_ea_data_through_timestamp_seconds %v is not 00:00 UTC of a recent usage date before %s: the rules' + 86400 is wrong", dataThrough, date.clock)
	}
	wantElapsed := math.Min(math.Max((dataThrough+86400-start)/86400, 0), float64(date.days))
	if got := valueOf(t, prom, `enrollment:azure_ea_period_elapsed_days:current`); got != wantElapsed {
		t.Errorf("elapsed days %v, want %v (data through %v, period start %v)", got, wantElapsed, dataThrough, start)
	}
	if got := valueOf(t, prom, `enrollment:azure_ea_period_remaining_days:current`); got != float64(date.days)-wantElapsed {
		t.Errorf("remaining days %v, want %v", got, float64(date.days)-wantElapsed)
	}

	// The overage alert fires in Prometheus (and reaches Alertmanager).
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
	if s.amURL != "" {
		testproc.WaitFor(t, deadline, "AzureEAOverageStarted in Alertmanager", func() bool {
			var alerts []struct {
				Labels map[string]string `json:"labels"`
			}
			getJSON(t, s.amURL+"/api/v2/alerts", &alerts)
			for _, a := range alerts {
				if a.Labels["alertname"] == "AzureEAOverageStarted" {
					return true
				}
			}
			return false
		})
		testproc.WaitFor(t, deadline, "AzureEAOverageStarted delivered to the webhook", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, d := range s.delivered {
				if strings.Contains(d, `"alertname":"AzureEAOverageStarted"`) && strings.Contains(d, `"status":"firing"`) {
					return true
				}
			}
			return false
		})
	}

	// Every dashboard query runs on the live data, for the current period.
	dash, err := DashboardExprs()
	if err != nil {
		t.Fatal(err)
	}
	needsHistory := historyCheck(t)
	withData := 0
	for _, e := range dash {
		if strings.HasPrefix(e.Query, "label_values(") || strings.HasPrefix(e.Query, "label_names(") {
			continue // Grafana functions, checked by TestEveryReferenceIsServed
		}
		q := substitute(e.Query, map[string]string{"billing_period": current, "currency": "USD", "tag": "tag_env"})
		var res queryResult
		if status := query(t, prom, q, &res); status != "success" {
			t.Errorf("%s: query failed (%s): %s", e.Where, res.Error, q)
			continue
		}
		if len(res.Data.Result) == 0 && !needsHistory(q) && !occasional(q) {
			t.Errorf("%s: no data from live data: %s", e.Where, q)
			continue
		}
		withData++
	}
	t.Logf("%s: %d dashboard queries ran on live data, %d returned series", date.clock, len(dash), withData)
}

// historyCheck returns whether a query needs Prometheus history: it, or a
// recording rule it reads, looks back with offset.
func historyCheck(t *testing.T) func(string) bool {
	t.Helper()
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
	return func(q string) bool {
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
}

// occasional reports queries of data that a period may lack: reservation
// purchases happen on a few days a year.
func occasional(q string) bool { return strings.Contains(q, "azure_ea_reservation_charges") }

// substitute replaces the dashboards' template variables: every enrollment
// (the currency join must still keep other currencies out), and the given
// values of the others.
func substitute(q string, vars map[string]string) string {
	r := []string{`"$enrollment"`, `".*"`, `$__range`, "5m"}
	for k, v := range vars {
		r = append(r, "$"+k, v)
	}
	return strings.NewReplacer(r...).Replace(q)
}

// TestPrometheusDemoPanelsOnTheFirst runs the exporter's demo (two enrollments, USD
// and EUR) with its clock at the 1st of a month, scraped by Prometheus with
// the bundled rules, and checks the numbers of the reservation,
// previous-period and per-currency panels against the exporter's /metrics.
func TestPrometheusDemoPanelsOnTheFirst(t *testing.T) {
	lookTool(t, "prometheus")
	bin := projectBinaries(t)
	dir := t.TempDir()
	deadline := time.Now().Add(60 * time.Second)
	const clock, current, previous = "2024-03-01T06:00:00Z", "202403", "202402"

	expAddr := testproc.FreeAddr(t)
	testproc.Start(t, dir, filepath.Join(bin, "azure_ea_exporter"), "--demo", "--web.listen-address", expAddr, "--testing.clock-start", clock)
	testproc.WaitHTTP(t, "http://"+expAddr+"/-/ready", 200, deadline)
	prom := startPrometheus(t, dir, expAddr, "", deadline)
	waitQuery(t, prom, `enrollment:azure_ea_usage_cost:previous_to_date`, deadline)

	dash, err := DashboardExprs()
	if err != nil {
		t.Fatal(err)
	}
	panel := func(where string) []string {
		var out []string
		for _, e := range dash {
			if e.Where == where {
				out = append(out, e.Query)
			}
		}
		if len(out) == 0 {
			t.Fatalf("no panel %q", where)
		}
		return out
	}
	const (
		explorer     = "azure-ea-cost-explorer.json: "
		reservations = "azure-ea-marketplace-reservations.json: "
	)

	// Each check compares a panel query's series with values computed from
	// /metrics. The demo's data moves every minute, so a check is retried
	// until Prometheus has caught up with what /metrics serves.
	type check struct {
		name  string
		query string
		want  func(m served) map[string]float64 // by seriesKey of the result
	}
	var checks []check
	currencies := []string{"EUR", "USD"}
	for _, c := range currencies {
		vars := map[string]string{"billing_period": current, "currency": c, "tag": "tag_cost_center"}
		checks = append(checks,
			check{c + " usage cost to date", substitute(panel(explorer + "Usage cost to date")[0], vars), func(m served) map[string]float64 {
				return m.sum("azure_ea_usage_cost", c, func(l map[string]string) bool { return l["billing_period"] == current }, "enrollment")
			}},
			check{c + " previous period's usage cost", substitute(panel(explorer + "Previous period's usage cost")[0], vars), func(m served) map[string]float64 {
				return m.sum("azure_ea_usage_cost", c, func(l map[string]string) bool { return l["billing_period"] == previous }, "enrollment")
			}},
			check{c + " usage cost by department", substitute(panel(explorer + "By department")[0], vars), func(m served) map[string]float64 {
				return m.sum("azure_ea_usage_cost", c, func(l map[string]string) bool { return l["billing_period"] == current }, "enrollment", "department")
			}},
			check{c + " usage cost by tag", substitute(panel(explorer + "Usage cost by tag $tag")[0], vars), func(m served) map[string]float64 {
				return m.sum("azure_ea_usage_cost", c, func(l map[string]string) bool { return l["billing_period"] == current }, "enrollment", "tag_cost_center")
			}},
			check{c + " previous period in all", substitute(panel(explorer + "Current period against the previous one")[2], vars), func(m served) map[string]float64 {
				return m.sum("azure_ea_usage_cost", c, func(l map[string]string) bool { return l["billing_period"] == previous }, "enrollment", "billing_period")
			}},
			check{c + " previous period to the same day", substitute(panel(explorer + "Current period against the previous one")[1], vars), func(m served) map[string]float64 {
				prev := m.sum("azure_ea_usage_cost", c, func(l map[string]string) bool { return l["billing_period"] == previous }, "enrollment", "billing_period")
				out := map[string]float64{}
				for k, v := range prev {
					e := keyLabel(k, "enrollment")
					elapsed := m.elapsedDays(e, current)
					out[k] = v * math.Min(elapsed/m.periodDays(e, previous), 1)
				}
				return out
			}},
		)
	}
	for n, w := range []string{"1d", "7d", "30d"} {
		checks = append(checks, check{"utilisation over " + w, substitute(panel(reservations + "Utilisation by window")[n], nil), func(m served) map[string]float64 {
			return m.sum("azure_ea_reservation_utilization_ratio", "", func(l map[string]string) bool { return l["window"] == w }, "enrollment", "reservation_id")
		}})
	}
	checks = append(checks, check{"unused reservation hours", substitute(panel(reservations + "Reserved and used hours by window")[2], nil), func(m served) map[string]float64 {
		res := m.sum("azure_ea_reservation_reserved_seconds", "", nil, "enrollment", "reservation_id", "window")
		used := m.sum("azure_ea_reservation_used_seconds", "", nil, "enrollment", "reservation_id", "window")
		for k := range res {
			res[k] = (res[k] - used[k]) / 3600
		}
		return res
	}})

	for _, c := range checks {
		var last string
		ok := false
		for !ok && time.Now().Before(deadline) {
			m := scrapeServed(t, "http://"+expAddr+"/metrics")
			want := c.want(m)
			got, currencyOf := queryVector(t, prom, c.query)
			last = compareSeries(want, got)
			// Money carries the currency of its enrollment, and only of one.
			for k, cur := range currencyOf {
				if cur != "" && cur != m.currency[keyLabel(k, "enrollment")] {
					last += fmt.Sprintf("; %s carries currency %s, its enrollment's is %s", k, cur, m.currency[keyLabel(k, "enrollment")])
				}
			}
			if len(want) == 0 {
				last += "; /metrics has no such series"
			}
			ok = last == ""
			if !ok {
				time.Sleep(500 * time.Millisecond)
			}
		}
		if !ok {
			t.Errorf("%s: %s\nquery: %s", c.name, last, c.query)
		}
	}
}

// served is what the exporter's /metrics serves.
type served struct {
	samples  map[string][]sample // by metric name
	currency map[string]string   // enrollment -> currency
}

type sample struct {
	labels map[string]string
	value  float64
}

func scrapeServed(t *testing.T, u string) served {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	s := served{samples: map[string][]sample{}, currency: map[string]string{}}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			v := m.GetGauge().GetValue()
			if m.GetCounter() != nil {
				v = m.GetCounter().GetValue()
			}
			s.samples[name] = append(s.samples[name], sample{l, v})
			if name == "azure_ea_enrollment_info" {
				s.currency[l["enrollment"]] = l["currency"]
			}
		}
	}
	return s
}

// sum adds up metric's samples of enrollments billed in currency (any when
// empty) that keep holds for, by the labels by.
func (s served) sum(metric, currency string, keep func(map[string]string) bool, by ...string) map[string]float64 {
	out := map[string]float64{}
	for _, x := range s.samples[metric] {
		if currency != "" && s.currency[x.labels["enrollment"]] != currency {
			continue
		}
		if keep != nil && !keep(x.labels) {
			continue
		}
		out[seriesKey(x.labels, by)] += x.value
	}
	return out
}

func (s served) value(metric string, labels map[string]string) float64 {
	for _, x := range s.samples[metric] {
		match := true
		for k, v := range labels {
			match = match && x.labels[k] == v
		}
		if match {
			return x.value
		}
	}
	return math.NaN()
}

// periodDays is the length of a billing period in days, as the rules count it.
func (s served) periodDays(enrollment, period string) float64 {
	l := map[string]string{"enrollment": enrollment, "billing_period": period}
	return math.Ceil((s.value("azure_ea_billing_period_end_timestamp_seconds", l) - s.value("azure_ea_billing_period_start_timestamp_seconds", l)) / 86400)
}

// elapsedDays is the days of period with data, as the rules count them.
func (s served) elapsedDays(enrollment, period string) float64 {
	start := s.value("azure_ea_billing_period_start_timestamp_seconds", map[string]string{"enrollment": enrollment, "billing_period": period})
	through := s.value("azure_ea_data_through_timestamp_seconds", map[string]string{"enrollment": enrollment, "report": "usage_details"}) + 86400
	return math.Min(math.Max((through-start)/86400, 0), s.periodDays(enrollment, period))
}

// seriesKey identifies a series by the values of the labels by.
func seriesKey(l map[string]string, by []string) string {
	parts := make([]string, 0, len(by))
	for _, b := range by {
		if l[b] != "" { // Prometheus drops empty labels
			parts = append(parts, b+"="+strconv.Quote(l[b]))
		}
	}
	return strings.Join(parts, ",")
}

func keyLabel(key, name string) string {
	for _, p := range strings.Split(key, ",") {
		if v, ok := strings.CutPrefix(p, name+"="); ok {
			s, _ := strconv.Unquote(v)
			return s
		}
	}
	return ""
}

// queryVector runs an instant query and returns its values by the labels
// the wanted keys use (every label but the name, job, instance and currency)
// and the currency label of each.
func queryVector(t *testing.T, prom, q string) (map[string]float64, map[string]string) {
	t.Helper()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	getJSON(t, prom+"/api/v1/query?query="+url.QueryEscape(q), &r)
	if r.Status != "success" {
		t.Fatalf("%s: %s", q, r.Error)
	}
	values, currencies := map[string]float64{}, map[string]string{}
	for _, s := range r.Data.Result {
		var by []string
		for k := range s.Metric {
			if k != "__name__" && k != "job" && k != "instance" && k != "currency" && k != "reservation_order_id" && k != "sku" {
				by = append(by, k)
			}
		}
		sort.Strings(by)
		// The wanted keys list their labels in a fixed order: enrollment first.
		by = orderKey(by)
		k := seriesKey(s.Metric, by)
		v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		values[k] = v
		currencies[k] = s.Metric["currency"]
	}
	return values, currencies
}

// orderKey puts the labels of a key in the order the checks name them.
func orderKey(by []string) []string {
	order := map[string]int{"enrollment": 0, "department": 1, "tag_cost_center": 1, "reservation_id": 1, "billing_period": 2, "window": 3}
	sort.SliceStable(by, func(i, j int) bool { return order[by[i]] < order[by[j]] })
	return by
}

// compareSeries describes how got differs from want ("" when it does not).
func compareSeries(want, got map[string]float64) string {
	var diffs []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("missing %s (want %v)", k, w))
		case math.Abs(g-w) > 1e-6*math.Max(1, math.Abs(w)):
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected %s = %v", k, g))
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "; ")
}

type queryResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
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

// labelOf returns a label of the first series of an instant query.
func labelOf(t *testing.T, prom, q, label string) string {
	t.Helper()
	var r queryResult
	if query(t, prom, q, &r) != "success" || len(r.Data.Result) == 0 {
		t.Fatalf("no result for %s", q)
	}
	return r.Data.Result[0].Metric[label]
}

// valueOf returns the value of the only series of an instant query.
func valueOf(t *testing.T, prom, q string) float64 {
	t.Helper()
	var r queryResult
	if query(t, prom, q, &r) != "success" || len(r.Data.Result) != 1 {
		t.Fatalf("want one series from %s, got %+v", q, r.Data.Result)
	}
	v, err := strconv.ParseFloat(fmt.Sprint(r.Data.Result[0].Value[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
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
