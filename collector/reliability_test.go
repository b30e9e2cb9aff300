package collector

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/sources"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

// logBuffer collects log records for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}
func (l *logBuffer) String() string       { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }
func (l *logBuffer) count(sub string) int { return strings.Count(l.String(), sub) }

func logger(lb *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var faultOpts = func(lb *logBuffer) Options {
	return Options{
		Logger: logger(lb),
		OpenSource: sources.Options{
			Retry:          eaclient.Retry{MaxAttempts: 2, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxElapsed: 10 * time.Second},
			RequestTimeout: 300 * time.Millisecond,
			MaxBodyBytes:   1 << 20,
			MaxPages:       50,
		}.Open,
	}
}

// TestFaultMatrix drives each kind of upstream failure through the
// simulator and checks that the exporter keeps serving the last good data,
// sets azure_ea_up to 0 for the failing report only, logs the failure once
// per streak, and recovers when the fault goes away.
func TestFaultMatrix(t *testing.T) {
	var foreignCalls atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignCalls.Add(1)
		fmt.Fprintf(os.Stderr, "foreign host called with Authorization %q\n", r.Header.Get("Authorization"))
	}))
	defer foreign.Close()

	for _, tc := range []struct {
		name   string
		report string
		fault  simulator.Fault
		// failing: the refresh fails. Otherwise it succeeds (retried or acceptable).
		failing bool
		wantErr string
	}{
		{"500 storm", config.UsageDetails, simulator.Fault{Status: 500}, true, "HTTP 500"},
		{"502 storm", config.BalanceSummary, simulator.Fault{Status: 502}, true, "HTTP 502"},
		{"503 storm with Retry-After", config.MarketplaceCharges, simulator.Fault{Status: 503, RetryAfter: 10 * time.Millisecond}, true, "HTTP 503"},
		{"504 storm", config.ReservationCharges, simulator.Fault{Status: 504}, true, "HTTP 504"},
		{"429 throttling, retries exhausted", config.UsageDetails, simulator.Fault{Status: 429, RetryAfter: 10 * time.Millisecond}, true, "HTTP 429"},
		{"429 once, retried", config.UsageDetails, simulator.Fault{Status: 429, RetryAfter: 10 * time.Millisecond, Times: 1}, false, ""},
		{"slow but in time", config.BalanceSummary, simulator.Fault{Latency: 50 * time.Millisecond}, false, ""},
		{"hanging response", config.BalanceSummary, simulator.Fault{Hang: true}, true, "transport error"},
		{"truncated body", config.UsageDetails, simulator.Fault{Truncate: true}, true, "truncated JSON body"},
		{"malformed body", config.UsageDetails, simulator.Fault{Malformed: true}, true, "decode error"},
		{"HTML instead of JSON", config.PriceSheet, simulator.Fault{HTML: true}, true, "invalid character '<'"},
		{"401 expired key", config.ReservationDetails, simulator.Fault{Status: 401}, true, "HTTP 401"},
		{"nextLink loops back", config.UsageDetails, simulator.Fault{NextLink: "self"}, true, "loops back"},
		{"nextLink never ends", config.UsageDetails, simulator.Fault{NextLink: "endless"}, true, "more than 50 pages"},
		{"nextLink to another host", config.UsageDetails, simulator.Fault{NextLink: foreign.URL + "/v3/enrollments/100/usagedetails"}, true, "foreign host"},
		{"huge response for a small report", config.PriceSheet, simulator.Fault{HugeBytes: 8 << 20}, true, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lb := &logBuffer{}
			h := startWith(t, smallSim, "", faultOpts(lb))
			before := h.gather(t, billingMetrics...)
			usageBefore := h.gather(t, "azure_ea_usage_cost")
			f := tc.fault
			f.Report = map[string]string{config.ReservationDetails: "reservation_summaries"}[tc.report]
			if f.Report == "" {
				f.Report = tc.report
			}
			h.sim.AddFault(f)
			for range 3 {
				h.clock.add(time.Minute)
				h.refresh(t, tc.report)
			}
			// Keeps serving the last good data.
			if got := h.gather(t, billingMetrics...); got != before {
				t.Errorf("values changed:\n%s", diffLines(before, got))
			}
			if got := h.gather(t, "azure_ea_usage_cost"); got != usageBefore {
				t.Error("usage values changed")
			}
			// azure_ea_up is 0 only for the failing report.
			for _, r := range config.ReportNames {
				up, _ := h.value(t, "azure_ea_up", map[string]string{"report": r})
				want := 1.0
				if r == tc.report && tc.failing {
					want = 0
				}
				if up != want {
					t.Errorf("up{report=%s} = %v, want %v", r, up, want)
				}
			}
			failures, _ := h.value(t, "azure_ea_refresh_failures_total", map[string]string{"report": tc.report})
			logged := lb.count("refresh failed; serving the last good data")
			if tc.failing {
				if failures != 3 || logged != 1 {
					t.Errorf("failures_total %v (want 3), logged %d times (want once per streak)", failures, logged)
				}
				if !strings.Contains(lb.String(), tc.wantErr) {
					t.Errorf("log does not say %q:\n%s", tc.wantErr, lb.String())
				}
				st := h.x.Status(h.cfg)[0]
				for _, r := range st.Reports {
					if r.Name == tc.report && (!strings.Contains(r.LastError, tc.wantErr) || r.FailStreak != 3) {
						t.Errorf("status: last error %q, streak %d", r.LastError, r.FailStreak)
					}
				}
			} else if failures != 0 || logged != 0 {
				t.Errorf("a tolerated fault counted %v failures and logged %d", failures, logged)
			}
			// Recovers when the fault goes away.
			h.sim.ClearFaults()
			h.refresh(t, tc.report)
			if up, _ := h.value(t, "azure_ea_up", map[string]string{"report": tc.report}); up != 1 {
				t.Errorf("did not recover: %s", lb.String())
			}
			if tc.failing && lb.count("refresh recovered") != 1 {
				t.Error("recovery not logged")
			}
		})
	}
	if foreignCalls.Load() != 0 {
		t.Errorf("the foreign host was called %d times", foreignCalls.Load())
	}
}

// TestEmptyAndMissingPeriods: an empty dataset and a 404 for a period are
// answers, not failures.
func TestEmptyAndMissingPeriods(t *testing.T) {
	lb := &logBuffer{}
	h := startWith(t, smallSim, "", faultOpts(lb))
	h.sim.AddFault(simulator.Fault{Report: "usage_details", Empty: true})
	h.sim.Bump() // new data, so that the empty answer is not a 304
	h.refresh(t, config.UsageDetails)
	if up, _ := h.value(t, "azure_ea_up", map[string]string{"report": "usage_details"}); up != 1 {
		t.Error("an empty dataset failed the refresh")
	}
	if _, ok := h.value(t, "azure_ea_usage_cost", nil); ok {
		t.Error("usage series remain after the API answered with no rows")
	}
	h.sim.ClearFaults()
	h.sim.AddFault(simulator.Fault{Report: "balance_summary", Status: 404, Body: `{"error":{"message":"No data available"}}`})
	h.sim.Bump()
	h.refresh(t, config.BalanceSummary)
	if up, _ := h.value(t, "azure_ea_up", map[string]string{"report": "balance_summary"}); up != 1 {
		t.Error("404 for a period failed the refresh")
	}
	if _, ok := h.value(t, "azure_ea_balance_ending", nil); ok {
		t.Error("a period without data still has balance series")
	}
}

// TestRecoversByItself: with short intervals the pollers retry on their
// own and come back up when the fault clears.
func TestRecoversByItself(t *testing.T) {
	lb := &logBuffer{}
	h := startWith(t, smallSim, "", faultOpts(lb))
	y := strings.ReplaceAll(h.cfgYAML(), "interval: 1h", "interval: 100ms, allow_short_interval: true")
	cfg, _, err := config.Parse([]byte(y), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	h.sim.AddFault(simulator.Fault{Status: 503})
	if err := h.x.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "every report down", func() bool {
		for _, r := range config.ReportNames {
			if up, ok := h.value(t, "azure_ea_up", map[string]string{"report": r}); !ok || up != 0 {
				return false
			}
		}
		return true
	})
	h.sim.ClearFaults()
	waitUntil(t, "every report up again", func() bool {
		for _, r := range config.ReportNames {
			if up, _ := h.value(t, "azure_ea_up", map[string]string{"report": r}); up != 1 {
				return false
			}
		}
		return true
	})
	for _, r := range config.ReportNames {
		if n := strings.Count(lb.String(), `msg="refresh failed; serving the last good data" enrollment=100 report=`+r+" "); n != 1 {
			t.Errorf("%s: failure logged %d times in one streak", r, n)
		}
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBadKeyBesideHealthyEnrollment: one enrollment's failure leaves the
// other untouched.
func TestBadKeyBesideHealthyEnrollment(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	good := simulator.New(simulator.Options{Enrollment: "100", UsageRowsPerDay: 5, Now: now})
	bad := simulator.New(simulator.Options{Enrollment: "200", UsageRowsPerDay: 5, Now: now})
	gs, bs := httptest.NewServer(good), httptest.NewServer(bad)
	defer gs.Close()
	defer bs.Close()
	cfg, _, err := config.Parse([]byte(fmt.Sprintf(`
enrollments:
  - { number: "100", api_key: %q, base_url: %q }
  - { number: "200", api_key: "revoked-key", base_url: %q }
`, good.APIKey(), gs.URL, bs.URL)), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	lb := &logBuffer{}
	o := faultOpts(lb)
	o.Now = now
	x := run(t, cfg, o)
	h := &harness{x: x}
	h.waitReady(t)
	for _, r := range config.ReportNames {
		if !config.DefaultReports[r].Enabled {
			continue
		}
		up100, _ := h.value(t, "azure_ea_up", map[string]string{"enrollment": "100", "report": r})
		up200, _ := h.value(t, "azure_ea_up", map[string]string{"enrollment": "200", "report": r})
		if up100 != 1 || up200 != 0 {
			t.Errorf("%s: up 100=%v 200=%v", r, up100, up200)
		}
	}
	if _, ok := h.value(t, "azure_ea_usage_cost", map[string]string{"enrollment": "100"}); !ok {
		t.Error("healthy enrollment has no usage")
	}
	if strings.Contains(lb.String(), "revoked-key") || strings.Contains(lb.String(), good.APIKey()) {
		t.Error("a key appears in the log")
	}
}

// TestNoGoroutineLeaks across start, reloads and shutdown.
func TestNoGoroutineLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Run("start, reload twice, stop", func(t *testing.T) {
		lb := &logBuffer{}
		h := startWith(t, smallSim, "", faultOpts(lb))
		for _, iv := range []string{"2h", "3h"} {
			cfg, _, err := config.Parse([]byte(strings.Replace(h.cfgYAML(), "usage_details:       { interval: 1h }", "usage_details:       { interval: "+iv+" }", 1)), func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			if err := h.x.Apply(cfg); err != nil {
				t.Fatal(err)
			}
		}
		h.x.Stop()
	})
	// The subtest's cleanups have closed the simulator's server by now.
	goleak.VerifyNone(t, ignore)
}

// TestReloadRestartsOnlyWhatChanged: a reload leaves unchanged enrollments'
// pollers running, replaces changed ones, starts new ones and stops removed
// ones.
func TestReloadRestartsOnlyWhatChanged(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	var sims []*simulator.Server
	var urls []string
	for _, n := range []string{"100", "200", "300"} {
		s := simulator.New(simulator.Options{Enrollment: n, UsageRowsPerDay: 3, Now: now})
		ts := httptest.NewServer(s)
		defer ts.Close()
		sims, urls = append(sims, s), append(urls, ts.URL)
	}
	mk := func(usage200 string, with300 bool, with100 bool) *config.Config {
		y := "enrollments:\n"
		if with100 {
			y += fmt.Sprintf("  - { number: \"100\", api_key: %q, base_url: %q }\n", sims[0].APIKey(), urls[0])
		}
		y += fmt.Sprintf("  - { number: \"200\", api_key: %q, base_url: %q, billing_periods: %s }\n", sims[1].APIKey(), urls[1], usage200)
		if with300 {
			y += fmt.Sprintf("  - { number: \"300\", api_key: %q, base_url: %q }\n", sims[2].APIKey(), urls[2])
		}
		cfg, _, err := config.Parse([]byte(y), func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	x := New(Options{Now: now, OpenSource: sources.Options{Retry: eaclient.Retry{MaxAttempts: 1}}.Open})
	defer x.Stop()
	if err := x.Apply(mk("2", false, true)); err != nil {
		t.Fatal(err)
	}
	(&harness{x: x}).waitReady(t)
	x.mu.RLock()
	e100, e200 := x.enrollments["100"], x.enrollments["200"]
	x.mu.RUnlock()
	if err := x.Apply(mk("3", true, true)); err != nil {
		t.Fatal(err)
	}
	x.mu.RLock()
	n100, n200, n300 := x.enrollments["100"], x.enrollments["200"], x.enrollments["300"]
	x.mu.RUnlock()
	if n100 != e100 {
		t.Error("the unchanged enrollment was restarted")
	}
	if n200 == e200 || n200.trackedCount != 3 {
		t.Error("the changed enrollment was not restarted with its new settings")
	}
	for _, p := range e200.pollers {
		select {
		case <-p.done:
		default:
			t.Errorf("old poller %s of the changed enrollment still runs", p.name)
		}
	}
	if n300 == nil || len(n300.pollers) == 0 {
		t.Fatal("the new enrollment was not started")
	}
	if err := x.Apply(mk("3", true, false)); err != nil {
		t.Fatal(err)
	}
	for _, p := range e100.pollers {
		select {
		case <-p.done:
		default:
			t.Errorf("poller %s of the removed enrollment still runs", p.name)
		}
	}
}

// countingTransport records the most usage requests in flight at once,
// from the request until its body is closed, as the exporter sees them.
type countingTransport struct {
	inFlight atomic.Int32
	max      atomic.Int32
}

type closeHook struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (c *closeHook) Close() error {
	c.once.Do(c.done)
	return c.ReadCloser.Close()
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.Contains(strings.ToLower(r.URL.Path), "usagedetails") {
		return http.DefaultTransport.RoundTrip(r)
	}
	n := c.inFlight.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			break
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		c.inFlight.Add(-1)
		return nil, err
	}
	resp.Body = &closeHook{ReadCloser: resp.Body, done: func() { c.inFlight.Add(-1) }}
	return resp, nil
}

// TestRefreshesNeverOverlap: even with an interval shorter than a refresh
// and period changes nudging it, a report is refreshed by one goroutine.
func TestRefreshesNeverOverlap(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	sim := simulator.New(simulator.Options{UsageRowsPerDay: 3, Now: now})
	sim.AddFault(simulator.Fault{Report: "usage_details", Latency: 30 * time.Millisecond})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	ct := &countingTransport{}
	cfg, _, err := config.Parse([]byte(fmt.Sprintf(`
enrollments: [{ number: "100", api_key: %q, base_url: %q }]
reports: { usage_details: { interval: 5ms, allow_short_interval: true } }
`, sim.APIKey(), ts.URL)), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	x := run(t, cfg, Options{Now: now, OpenSource: sources.Options{HTTPClient: &http.Client{Transport: ct}}.Open})
	x.mu.RLock()
	e := x.enrollments["100"]
	x.mu.RUnlock()
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		e.byName[config.UsageDetails].refreshSoon()
		time.Sleep(3 * time.Millisecond)
	}
	if sim.Requests("usage_details") < 10 {
		t.Fatalf("only %d usage requests", sim.Requests("usage_details"))
	}
	if m := ct.max.Load(); m != 1 {
		t.Errorf("%d usage requests in flight at once", m)
	}
}

// TestRestartServesSavedData: with a storage path, a restarted exporter
// serves the last data at once and revalidates it with the saved ETags
// instead of downloading it again.
func TestRestartServesSavedData(t *testing.T) {
	dir := t.TempDir()
	lb := &logBuffer{}
	o := faultOpts(lb)
	o.StoragePath = dir
	h := startWith(t, smallSim, "budgets: [{name: all, enrollment: \"100\", amount: 1}]\n", o)
	before := h.gather(t, billingMetrics...)
	usageBefore := h.gather(t, "azure_ea_usage_cost", "azure_ea_usage_quantity")
	h.x.Stop()
	for _, r := range config.ReportNames {
		if _, err := os.Stat(filepath.Join(dir, "100", r+".json.gz")); err != nil {
			t.Errorf("nothing saved for %s: %v", r, err)
		}
	}

	// The new exporter: while the API hangs, the saved data is served.
	h.sim.AddFault(simulator.Fault{Hang: true})
	x2 := run(t, h.cfg, o)
	h2 := &harness{x: x2, sim: h.sim, clock: h.clock}
	if got := h2.gather(t, billingMetrics...); got != before {
		t.Errorf("restored values differ:\n%s", diffLines(before, got))
	}
	if got := h2.gather(t, "azure_ea_usage_cost", "azure_ea_usage_quantity"); got != usageBefore {
		t.Error("restored usage differs")
	}
	x2.Stop()

	// Once the API answers, the refresh revalidates: 304s, no download.
	h.sim.ClearFaults()
	usage200 := h.sim.Responses("usage_details", 200)
	x3 := run(t, h.cfg, o)
	h3 := &harness{x: x3}
	h3.waitReady(t)
	if got := h.sim.Responses("usage_details", 200); got != usage200 {
		t.Errorf("usage downloaded again after a restart (%d new 200s)", got-usage200)
	}
	if h.sim.Responses("usage_details", 304) < 2 {
		t.Error("no revalidation with If-None-Match")
	}
	if up, _ := h3.value(t, "azure_ea_up", map[string]string{"report": "usage_details"}); up != 1 {
		t.Error("not up after revalidation")
	}
	if got := h3.gather(t, billingMetrics...); got != before {
		t.Errorf("values after revalidation differ:\n%s", diffLines(before, got))
	}
}

func TestCorruptSavedDataIsIgnored(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "100"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, r := range config.ReportNames {
		if err := os.WriteFile(filepath.Join(dir, "100", r+".json.gz"), []byte("not gzip"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	lb := &logBuffer{}
	o := faultOpts(lb)
	o.StoragePath = dir
	h := startWith(t, smallSim, "", o)
	if up, _ := h.value(t, "azure_ea_up", map[string]string{"report": "usage_details"}); up != 1 {
		t.Error("not up")
	}
	if lb.count("ignoring saved data") != len(config.ReportNames) {
		t.Errorf("corrupt files not reported once each:\n%s", lb.String())
	}
	// And the first refresh's save replaces them (it may finish just after
	// the exporter turns ready).
	h.x.mu.RLock()
	layout := h.x.enrollments["100"].usage.layout
	h.x.mu.RUnlock()
	waitUntil(t, "the corrupt file to be replaced", func() bool {
		_, err := (&store{dir: dir}).load("100", "usage_details", &usageReport{layout: layout})
		return err == nil
	})
}

// TestKeyRotation: replacing the key file and reloading picks up the new
// key without a restart.
func TestKeyRotation(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	newKey := simulator.MintKey("100", now().Add(180*24*time.Hour))
	sim := simulator.New(simulator.Options{UsageRowsPerDay: 3, Now: now, APIKey: newKey})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	keyFile := filepath.Join(t.TempDir(), "100.key")
	oldKey := simulator.MintKey("100", now().Add(-time.Hour))
	if err := os.WriteFile(keyFile, []byte(oldKey), 0o600); err != nil {
		t.Fatal(err)
	}
	y := []byte(fmt.Sprintf("enrollments: [{ number: \"100\", api_key_file: %q, base_url: %q }]\n", keyFile, ts.URL))
	cfg, _, err := config.Parse(y, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	lb := &logBuffer{}
	o := faultOpts(lb)
	o.Now = now
	x := run(t, cfg, o)
	h := &harness{x: x}
	h.waitReady(t)
	if up, _ := h.value(t, "azure_ea_up", map[string]string{"report": "usage_details"}); up != 0 {
		t.Fatal("the expired key worked")
	}
	exp, _ := h.value(t, "azure_ea_api_key_expiry_timestamp_seconds", nil)
	if exp != float64(now().Add(-time.Hour).Unix()) {
		t.Errorf("expiry %v", exp)
	}
	if err := os.WriteFile(keyFile, []byte(newKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err = config.Parse(y, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the new key to work", func() bool {
		up, _ := h.value(t, "azure_ea_up", map[string]string{"report": "usage_details"})
		return up == 1
	})
	exp, _ = h.value(t, "azure_ea_api_key_expiry_timestamp_seconds", nil)
	if exp != float64(now().Add(180*24*time.Hour).Unix()) {
		t.Errorf("expiry after rotation %v", exp)
	}
	for _, k := range []string{oldKey, newKey} {
		if strings.Contains(lb.String(), k) {
			t.Error("a key appears in the log")
		}
	}
}

// TestKeyNeverInErrorsOrStatus: a server that echoes the key in its error
// body gets it redacted in logs, errors and the status.
func TestKeyNeverInErrorsOrStatus(t *testing.T) {
	lb := &logBuffer{}
	h := startWith(t, smallSim, "", faultOpts(lb))
	h.sim.AddFault(simulator.Fault{Status: 400, Body: `{"error":{"message":"bad key ` + h.sim.APIKey() + `"}}`})
	h.refresh(t, config.UsageDetails)
	st := fmt.Sprintf("%+v", h.x.Status(h.cfg))
	if strings.Contains(lb.String(), h.sim.APIKey()) || strings.Contains(st, h.sim.APIKey()) {
		t.Error("the key leaked into the log or the status")
	}
	if !strings.Contains(st, "bad key <secret>") {
		t.Errorf("status does not show the redacted error: %s", st)
	}
	if strings.Contains(h.cfg.String(), h.sim.APIKey()) {
		t.Error("the configuration prints the key")
	}
}

// TestSavedDataThatDoesNotFitIsReportedNotPanicked: a saved series with the
// wrong labels (another version's file) makes the gather report an error
// for that series; it never panics the exporter.
func TestSavedDataThatDoesNotFitIsReportedNotPanicked(t *testing.T) {
	dir := t.TempDir()
	lb := &logBuffer{}
	o := faultOpts(lb)
	o.StoragePath = dir
	o.Now = func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	sim := simulator.New(simulator.Options{Now: o.Now, UsageRowsPerDay: 3})
	sim.AddFault(simulator.Fault{Hang: true}) // serve only the saved data
	ts := httptest.NewServer(sim)
	defer ts.Close()
	cfg, _, err := config.Parse([]byte(harnessYAML(ts.URL, sim.APIKey())), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// A usage aggregate of the right shape whose label set has one value
	// where the layout has six.
	r := &usageReport{layout: newUsageLayout(cfg, "100")}
	r.store(map[string]entry[usageData]{"202611": {Revision: `"x"`, Data: usageData{Sets: []usageSet{{Labels: []string{"only one"}, Cost: 1}}}}})
	if err := (&store{dir: dir}).save("100", config.UsageDetails, r, Health{}, o.Now()); err != nil {
		t.Fatal(err)
	}
	x := run(t, cfg, o)
	reg := prometheus.NewRegistry()
	reg.MustRegister(x)
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "inconsistent label cardinality") {
		t.Errorf("gather error = %v", err)
	}
}

// TestOldFormatIsIgnoredWithOneWarning: files of the first storage format
// (metric series by name) are not read, and one warning says so.
func TestOldFormatIsIgnoredWithOneWarning(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "100"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, r := range config.ReportNames {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		fmt.Fprintf(zw, `{"version":1,"enrollment":"100","report":%q,"layout":"","entries":{"202611":{"etag":"\"x\"","series":[{"m":"azure_ea_balance_ending","l":["202611"],"v":1}]}}}`, r)
		zw.Close()
		if err := os.WriteFile(filepath.Join(dir, "100", r+".json.gz"), buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	lb := &logBuffer{}
	o := faultOpts(lb)
	o.StoragePath = dir
	h := startWith(t, smallSim, "", o)
	if n := lb.count("ignoring data saved by another version"); n != 1 {
		t.Errorf("%d warnings about the old format, want 1:\n%s", n, lb.String())
	}
	if up, _ := h.value(t, "azure_ea_up", map[string]string{"report": "balance_summary"}); up != 1 {
		t.Error("not up")
	}
}
