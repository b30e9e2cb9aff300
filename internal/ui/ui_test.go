package ui

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/collector"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// now is the pages' clock in these tests: the 1st of a month, the hard case.
var now = time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC)

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * time.Second:        "1m30s",
		47 * time.Hour:          "47h0m0s",
		183*24*time.Hour + 3600: "183 days",
	} {
		if got := human(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		cur  string
		v    float64
		want string
	}{
		{"EUR", 1683.43, "EUR 1,683.43"},
		{"USD", 916186.005, "USD 916,186.01"},
		{"USD", 1244434.26, "USD 1,244,434.26"},
		{"USD", 999.999, "USD 1,000.00"},
		{"USD", 0, "USD 0.00"},
		{"USD", -0.001, "USD 0.00"},
		{"JPY", -12345, "JPY -12,345.00"},
		{"", 100, "100.00"},
	} {
		if got := money(tc.cur, tc.v); got != tc.want {
			t.Errorf("money(%q, %v) = %q, want %q", tc.cur, tc.v, got, tc.want)
		}
	}
}

func TestRelative(t *testing.T) {
	for _, tc := range []struct{ page, target, want string }{
		{"/", "/metrics", "./metrics"},
		{"/status", "/metrics", "./metrics"},
		{"/status", "/prom", "./prom"},
		{"/status", "/", "./"},
		{"/config", "/a/b:c", "./a/b:c"},
		{"/debug/pprof/", "/status", "../../status"},
		{"/x/page", "/status", "../status"},
	} {
		if got := relative(tc.page, tc.target); got != tc.want {
			t.Errorf("relative(%q, %q) = %q, want %q", tc.page, tc.target, got, tc.want)
		}
	}
}

// fakeStatus is a StatusSource with fixed data.
type fakeStatus []collector.EnrollmentStatus

func (f fakeStatus) Status(*config.Config) []collector.EnrollmentStatus { return f }

// reports returns the seven reports of an enrollment, all up but the
// failing ones.
func reports(failing ...string) []collector.ReportStatus {
	var out []collector.ReportStatus
	for _, name := range config.ReportNames {
		r := collector.ReportStatus{Name: name, Enabled: true, Interval: time.Hour, Revision: `"etag"`}
		r.Attempts, r.Up, r.LastAttempt, r.LastSuccess = 3, true, now.Add(-time.Minute), now.Add(-time.Minute)
		for _, f := range failing {
			if f == name {
				r.Up, r.FailStreak, r.LastError = false, 2, "HTTP 503 from the API"
			}
		}
		out = append(out, r)
	}
	return out
}

// demoLike is two enrollments like the demo's on the 1st of December: a
// healthy USD one and a EUR one in overage with a budget exceeded.
func demoLike(failing ...string) fakeStatus {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	return fakeStatus{
		{
			Number: "100", Periods: []string{"202612", "202611", "202610"},
			CredentialKind: "ea_api_key", CredentialExpiry: now.AddDate(0, 6, 1),
			Summary: collector.Summary{
				Currency: "USD", Period: "202612", PreviousPeriod: "202611",
				Balance: &billing.BalanceSummary{BeginningBalance: 916186.01, EndingBalance: 910335.32, Utilized: 5850.69, ChargesBilledSeparately: 1498.80, TotalOverage: 1498.80},
				Spend:   5850.69, HasSpend: true, PreviousSpend: 161084.91, HasPreviousSpend: true,
				DataThrough: day(1), Daily: []collector.DailyCost{{Day: day(1), Cost: 5850.69}},
				Budgets: []collector.BudgetStatus{
					{Name: "platform", Amount: 40000, Spent: 1174.99, HasSpent: true},
					{Name: "data-analytics", Amount: 30000, Spent: 1076.24, HasSpent: true},
				},
				BurnPerDay: 5850.69, CommitmentDaysLeft: 155.6,
			},
			Reports: reports(failing...),
		},
		{
			Number: "200", Periods: []string{"202612", "202611"},
			CredentialKind: "ea_api_key", CredentialExpiry: now.Add(5 * 24 * time.Hour),
			Summary: collector.Summary{
				Currency: "EUR", Period: "202612", PreviousPeriod: "202611",
				Balance: &billing.BalanceSummary{BeginningBalance: 561.14, EndingBalance: 0, Utilized: 561.14, ServiceOverage: 1683.43, TotalOverage: 1683.43},
				Spend:   3774.43, HasSpend: true, PreviousSpend: 57283.22, HasPreviousSpend: true,
				DataThrough: day(1), Daily: []collector.DailyCost{{Day: day(1), Cost: 2244.57}},
				Budgets: []collector.BudgetStatus{
					{Name: "enrollment-200", Amount: 60000, Spent: 3774.43, HasSpent: true},
					{Name: "platform-200", Amount: 1000, Spent: 1993.36, HasSpent: true},
				},
				BurnPerDay: 2244.57,
			},
			Reports: reports(),
		},
	}
}

// loaded returns a SafeConfig that loaded a configuration at now.
func loaded(t *testing.T, file string) (*config.SafeConfig, *error) {
	t.Helper()
	var loadErr error
	clock := now.Add(-time.Hour)
	sc := config.NewSafeConfig(
		func() (*config.Config, []string, error) {
			if loadErr != nil {
				return nil, nil, loadErr
			}
			return &config.Config{}, nil, nil
		},
		func(*config.Config) error { return nil },
		prometheus.NewRegistry(), discard(),
		config.WithFile(file), config.WithClock(func() time.Time { clock = clock.Add(time.Minute); return clock }),
	)
	if err := sc.Reload(); err != nil {
		t.Fatal(err)
	}
	return sc, &loadErr
}

type server struct {
	*httptest.Server
	prefix string // the path prefix the pages are served under
}

// serve mounts the pages as main does, with a stand-in for the metrics,
// under prefix when it is not "" (as a reverse proxy that strips it would).
func serve(t *testing.T, o Options, prefix string) server {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return now }
	}
	if o.Version == "" {
		o.Version = "0.1.0 (revision test)"
	}
	mux := http.NewServeMux()
	mux.HandleFunc(o.MetricsPath, func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "# metrics") })
	Register(mux, o)
	var h http.Handler = mux
	if prefix != "" {
		outer := http.NewServeMux()
		outer.Handle(prefix+"/", http.StripPrefix(prefix, mux))
		h = outer
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return server{s, prefix}
}

func (s server) url(p string) string { return s.URL + s.prefix + p }

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

var hrefRE = regexp.MustCompile(`href="([^"]*)"`)

// text is a page's visible text, roughly: tags out, whitespace folded.
func text(page string) string {
	page = regexp.MustCompile(`(?s)<style>.*?</style>`).ReplaceAllString(page, "")
	page = regexp.MustCompile(`</?(span|b|code|a|strong)\b[^>]*>`).ReplaceAllString(page, "")
	page = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " ")
	page = strings.NewReplacer("&#39;", "'", "&#34;", `"`, "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(page)
	return strings.Join(strings.Fields(page), " ")
}

func TestLinksResolveUnderAnyTelemetryPathAndPrefix(t *testing.T) {
	sc, _ := loaded(t, "/etc/azure_ea_exporter.yml")
	for _, tc := range []struct{ metrics, prefix string }{
		{"/metrics", ""},
		{"/prom", ""},
		{"/metrics", "/azure-ea"},
		{"/prom", "/proxy/azure-ea"},
		{"/deep/er/metrics", "/p"},
	} {
		t.Run(tc.metrics+" under "+tc.prefix, func(t *testing.T) {
			s := serve(t, Options{Exporter: demoLike(), Config: sc, MetricsPath: tc.metrics, Pprof: true}, tc.prefix)
			for _, p := range []string{"/", "/status", "/config"} {
				page := s.url(p)
				code, body := get(t, page)
				if code != 200 {
					t.Fatalf("%s: %d", page, code)
				}
				base, _ := url.Parse(page)
				hrefs := hrefRE.FindAllStringSubmatch(body, -1)
				if len(hrefs) < 4 {
					t.Fatalf("%s: only %d links", page, len(hrefs))
				}
				sawMetrics := false
				for _, m := range hrefs {
					href := m[1]
					if strings.HasPrefix(href, "/") || strings.Contains(href, "://") {
						t.Errorf("%s: link %q is not relative", page, href)
					}
					ref, err := url.Parse(href)
					if err != nil {
						t.Fatalf("%s: %q: %v", page, href, err)
					}
					target := base.ResolveReference(ref)
					if !strings.HasPrefix(target.Path, tc.prefix+"/") {
						t.Errorf("%s: %q leaves the prefix: %s", page, href, target)
					}
					if target.Path == tc.prefix+tc.metrics {
						sawMetrics = true
					}
					if code, _ := get(t, target.String()); code != 200 {
						t.Errorf("%s: link %q -> %s: %d", page, href, target, code)
					}
				}
				if !sawMetrics {
					t.Errorf("%s: no link to the metrics at %s", page, tc.metrics)
				}
			}
		})
	}
}

func TestNoLandingPageWhenMetricsAtRoot(t *testing.T) {
	sc, _ := loaded(t, "x.yml")
	s := serve(t, Options{Exporter: demoLike(), Config: sc, MetricsPath: "/"}, "")
	if code, body := get(t, s.url("/")); code != 200 || body != "# metrics\n" {
		t.Errorf("/: %d %q, want the metrics", code, body)
	}
	_, body := get(t, s.url("/status"))
	if !strings.Contains(body, `href="./">Metrics</a>`) || strings.Contains(body, ">Home<") {
		t.Errorf("/status with metrics at /: navigation %v", hrefRE.FindAllString(body, -1))
	}
}

func TestOverallLine(t *testing.T) {
	sc, _ := loaded(t, "x.yml")
	for _, tc := range []struct {
		name   string
		status fakeStatus
		want   string
		class  string
	}{
		{"all up", demoLike(), "14/14 reports up", "good"},
		{"two failing", demoLike(config.UsageDetails, config.PriceSheet), "2 reports failing (12/14 reports up)", "bad"},
		{"one failing", demoLike(config.UsageDetails), "1 report failing (13/14 reports up)", "bad"},
		{"waiting", func() fakeStatus {
			s := demoLike()
			s[0].Reports[2].Health = collector.Health{}
			s[1].Reports[4].Unsupported = true
			s[1].Reports[5].Enabled = false
			return s
		}(), "11/12 reports up (1 waiting for their first refresh, 1 not offered by their source, 1 disabled)", "warn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serve(t, Options{Exporter: tc.status, Config: sc, MetricsPath: "/metrics"}, "")
			for _, p := range []string{"/status", "/"} {
				_, body := get(t, s.url(p))
				if !strings.Contains(text(body), tc.want) {
					t.Errorf("%s: overall line %q missing:\n%s", p, tc.want, text(body))
				}
				if !strings.Contains(body, `class="overall `+tc.class+`"`) {
					t.Errorf("%s: overall line is not %s", p, tc.class)
				}
			}
		})
	}
}

func TestStatusFigures(t *testing.T) {
	sc, _ := loaded(t, "x.yml")
	s := serve(t, Options{Exporter: demoLike(), Config: sc, MetricsPath: "/metrics"}, "")
	_, body := get(t, s.url("/status"))
	sections := strings.Split(body, `<section class="enrollment"`)
	if len(sections) != 3 {
		t.Fatalf("%d enrollment sections, want 2", len(sections)-1)
	}
	usd, eur := text(sections[1]), text(sections[2])
	for _, want := range []string{
		"Enrollment 100 USD billing period 202612",
		"Commitment balance USD 910,335.32 left of USD 916,186.01 (used USD 5,850.69)",
		"Overage USD 0.00 (total overage USD 1,498.80 including charges billed separately)",
		"Spend this period USD 5,850.69 to date, 4% of 202611's total",
		"Previous period 202611 USD 161,084.91",
		"Commitment days left 155 days at USD 5,850.69 a day",
		"Data complete through 2026-12-01 today",
		"Credential ea_api_key expires 2027-06-02 00:30 UTC (in 183 days)",
		"platform USD 1,174.99 / USD 40,000.00 3% under by USD 38,825.01",
		"beginning balance USD 916,186.01", "left USD 910,335.32",
	} {
		if !strings.Contains(usd, want) {
			t.Errorf("enrollment 100 lacks %q:\n%s", want, usd)
		}
	}
	for _, want := range []string{
		"Enrollment 200 EUR",
		"Overage EUR 1,683.43",
		"Commitment days left none: the commitment is used up",
		"platform-200 EUR 1,993.36 / EUR 1,000.00 199% over by EUR 993.36",
		"enrollment-200 EUR 3,774.43 / EUR 60,000.00 6% under by EUR 56,225.57",
		"Credential ea_api_key expires 2026-12-06 00:30 UTC (in 5 days)",
		"overage EUR 1,683.43",
	} {
		if !strings.Contains(eur, want) {
			t.Errorf("enrollment 200 lacks %q:\n%s", want, eur)
		}
	}
	for _, want := range []string{
		`<dd class="bad" data-figure="overage" data-value="1683.43">`,
		`<tr class="budget bad" data-budget="platform-200"`,
		`<dd class="warn" data-figure="credential"`,
		`<polyline points="8.0,`,
		`class="overage-zone"`,
	} {
		if !strings.Contains(sections[2], want) {
			t.Errorf("enrollment 200 lacks %s", want)
		}
	}
	if strings.Contains(sections[1], "overage-zone") || !strings.Contains(sections[1], `<dd class="good" data-figure="overage"`) {
		t.Error("enrollment 100 is shown in overage")
	}
	if !strings.Contains(text(body), "usage_details up 1h0m0s 1m0s ago") {
		t.Errorf("report rows are not timed on the exporter's clock:\n%s", text(body))
	}
}

func TestCredentialExpiry(t *testing.T) {
	for _, tc := range []struct {
		expiry time.Time
		class  string
		want   string
	}{
		{now.AddDate(0, 0, 30), "", "ea_api_key expires 2026-12-31 00:30 UTC (in 30 days)"},
		{now.AddDate(0, 0, 13), "warn", "ea_api_key expires 2026-12-14 00:30 UTC (in 13 days)"},
		{now.AddDate(0, 0, -3), "bad", "ea_api_key EXPIRED 2026-11-28 00:30 UTC (3 days ago)"},
		{time.Time{}, "muted", "ea_api_key: expiry not known"},
	} {
		e := enrollmentOf(collector.EnrollmentStatus{Number: "1", CredentialKind: "ea_api_key", CredentialExpiry: tc.expiry, Summary: collector.Summary{Period: "202612"}}, now)
		if got := e.Credential.Text + " (" + e.Credential.Note + ")"; e.Credential.Class != tc.class || !strings.HasPrefix(got, tc.want) && got != tc.want+" ()" {
			t.Errorf("expiry %v: %q class %q, want %q class %q", tc.expiry, got, e.Credential.Class, tc.want, tc.class)
		}
	}
}

func TestBurnDownWithoutData(t *testing.T) {
	c := burnDown(collector.Summary{Period: "202612", Currency: "EUR", Balance: &billing.BalanceSummary{BeginningBalance: 1000}}, "EUR")
	if c == nil || c.Empty != "no usage data for 202612 yet" || c.StartLabel != "Dec 1" || c.EndLabel != "Dec 31" {
		t.Errorf("burn-down without daily data: %+v", c)
	}
	c = burnDown(collector.Summary{Period: "202602"}, "")
	if c == nil || c.Empty != "no balance summary yet" || c.EndLabel != "Feb 28" {
		t.Errorf("burn-down without balance: %+v", c)
	}
}

func TestDemoBannerOnEveryPage(t *testing.T) {
	sc, _ := loaded(t, "")
	for _, demo := range []bool{true, false} {
		s := serve(t, Options{Exporter: demoLike(), Config: sc, MetricsPath: "/metrics", Demo: demo}, "")
		for _, p := range []string{"/", "/status", "/config"} {
			_, body := get(t, s.url(p))
			has := strings.Contains(body, `<div class="demo-banner" id="demo-banner"`) && strings.Contains(text(body), "DEMO Every figure on this page comes from the built-in simulator")
			if has != demo {
				t.Errorf("demo %v: %s shows the banner: %v", demo, p, has)
			}
		}
	}
}

func TestReloadResult(t *testing.T) {
	sc, loadErr := loaded(t, "/etc/azure_ea_exporter/azure_ea_exporter.yml")
	s := serve(t, Options{Exporter: demoLike(), Config: sc, MetricsPath: "/metrics"}, "")
	for _, p := range []string{"/status", "/config"} {
		_, body := get(t, s.url(p))
		if want := "Configuration /etc/azure_ea_exporter/azure_ea_exporter.yml loaded at 2026-11-30 23:31:00 UTC (59m0s ago)."; !strings.Contains(text(body), want) {
			t.Errorf("%s lacks %q:\n%s", p, want, text(body))
		}
	}
	*loadErr = errors.New("enrollments[0]: exactly one of api_key_file, api_key, api_key_env is required")
	if err := sc.Reload(); err == nil {
		t.Fatal("reload did not fail")
	}
	rs := sc.ReloadStatus()
	if !rs.Failed || rs.LastError != (*loadErr).Error() || rs.File != "/etc/azure_ea_exporter/azure_ea_exporter.yml" ||
		!rs.LastAttempt.Equal(rs.LastFailure) || !rs.LastSuccess.Before(rs.LastFailure) {
		t.Errorf("reload status after a failure: %+v", rs)
	}
	want := "Last reload failed at 2026-11-30 23:32:00 UTC: enrollments[0]: exactly one of api_key_file, api_key, api_key_env is required; running the configuration loaded at 2026-11-30 23:31:00 UTC from /etc/azure_ea_exporter/azure_ea_exporter.yml."
	for _, p := range []string{"/status", "/config"} {
		_, body := get(t, s.url(p))
		if !strings.Contains(text(body), want) || !strings.Contains(body, `class="reload bad"`) {
			t.Errorf("%s lacks %q:\n%s", p, want, text(body))
		}
	}
	*loadErr = nil
	if err := sc.Reload(); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, s.url("/config"))
	if want := "loaded at 2026-11-30 23:33:00 UTC (57m0s ago); an earlier reload failed at 2026-11-30 23:32:00 UTC."; !strings.Contains(text(body), want) || strings.Contains(body, "reload bad") {
		t.Errorf("/config after recovery lacks %q:\n%s", want, text(body))
	}
}

func TestDemoConfigurationNamed(t *testing.T) {
	sc, _ := loaded(t, "")
	s := serve(t, Options{Exporter: demoLike(), Config: sc, MetricsPath: "/metrics", Demo: true}, "")
	_, body := get(t, s.url("/config"))
	if !strings.Contains(text(body), "Configuration built into the demo loaded at") {
		t.Errorf("/config in demo mode:\n%s", text(body))
	}
}

func TestPprof(t *testing.T) {
	sc, _ := loaded(t, "x.yml")
	for _, on := range []bool{false, true} {
		s := serve(t, Options{Exporter: demoLike(), Config: sc, MetricsPath: "/metrics", Pprof: on}, "")
		want := 404
		if on {
			want = 200
		}
		for _, p := range []string{"/debug/pprof/", "/debug/pprof/cmdline"} {
			if code, _ := get(t, s.url(p)); code != want {
				t.Errorf("pprof %v: %s: %d, want %d", on, p, code, want)
			}
		}
		for _, p := range []string{"/", "/status", "/config"} {
			_, body := get(t, s.url(p))
			if linked := strings.Contains(body, "debug/pprof"); linked != on {
				t.Errorf("pprof %v: %s links it: %v", on, p, linked)
			}
		}
	}
}

func TestLandingPage(t *testing.T) {
	sc, _ := loaded(t, "x.yml")
	s := serve(t, Options{Exporter: demoLike(), Config: sc, MetricsPath: "/prom", Version: "0.1.0 (revision abc)"}, "")
	code, body := get(t, s.url("/"))
	if code != 200 {
		t.Fatalf("/: %d", code)
	}
	for _, want := range []string{"Metrics /prom What Prometheus scrapes", "Status /status", "Configuration /config", "14/14 reports up", "azure_ea_exporter 0.1.0 (revision abc)"} {
		if !strings.Contains(text(body), want) {
			t.Errorf("/ lacks %q:\n%s", want, text(body))
		}
	}
	if code, _ := get(t, s.url("/nonexistent")); code != 404 {
		t.Errorf("/nonexistent: %d", code)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
