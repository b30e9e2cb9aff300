package eaclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// scripted answers each request with the next of its responses.
type scripted struct {
	status int
	header map[string]string
	body   string
}

func scriptServer(t *testing.T, resps ...scripted) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(resps) {
			i = len(resps) - 1
		}
		for k, v := range resps[i].header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resps[i].status)
		_, _ = w.Write([]byte(resps[i].body))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func TestErrorStatuses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		status   int
		kind     Kind
		attempts int32
	}{
		{400, KindBadRequest, 1},
		{401, KindUnauthorized, 1},
		{403, KindForbidden, 1},
		{404, KindNotFound, 1},
		{418, KindUnexpectedStatus, 1},
		{429, KindThrottled, 3},
		{500, KindServer, 3},
		{501, KindServer, 1},
		{502, KindServer, 3},
		{503, KindServer, 3},
		{504, KindServer, 3},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			ts, n := scriptServer(t, scripted{status: tc.status, body: `{"error":{"message":"went wrong for ` + testKey + `"}}`})
			var codes []string
			c := newTestClient(t, ts.URL, func(c *Config) {
				c.ObserveRequest = func(report, code string) { codes = append(codes, report+":"+code) }
			})
			_, _, err := c.BalanceSummary(ctx, "202611", "")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Kind != tc.kind || e.Status != tc.status || e.Report != ReportBalanceSummary {
				t.Errorf("got kind %v status %d report %q", e.Kind, e.Status, e.Report)
			}
			if n.Load() != tc.attempts || e.Attempts != int(tc.attempts) {
				t.Errorf("requests = %d, attempts = %d, want %d", n.Load(), e.Attempts, tc.attempts)
			}
			if len(codes) != int(tc.attempts) || codes[0] != fmt.Sprintf("balance_summary:%d", tc.status) {
				t.Errorf("observed %v", codes)
			}
			msg := err.Error()
			if strings.Contains(msg, testKey) || !strings.Contains(msg, "<secret>") {
				t.Errorf("error leaks or loses the key redaction: %s", msg)
			}
			if !strings.HasPrefix(msg, fmt.Sprintf("balance_summary: HTTP %d", tc.status)) || !strings.Contains(msg, "went wrong") {
				t.Errorf("error message %q does not name report, status and body", msg)
			}
		})
	}
}

func TestRetryThenSuccess(t *testing.T) {
	ts, n := scriptServer(t,
		scripted{status: 429, header: map[string]string{headerRetryAfterMS: "0.01"}},
		scripted{status: 503, header: map[string]string{"Retry-After": "0"}},
		scripted{status: 200, header: map[string]string{"ETag": `"v1"`}, body: `[{"billingPeriodId":"202611"}]`},
	)
	var codes []string
	var mu sync.Mutex
	c := newTestClient(t, ts.URL, func(c *Config) {
		c.Retry.MaxAttempts = 4
		c.ObserveRequest = func(_, code string) { mu.Lock(); codes = append(codes, code); mu.Unlock() }
	})
	got, meta, err := c.BillingPeriods(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "202611" || meta.ETag != `"v1"` || n.Load() != 3 || meta.Requests != 3 {
		t.Errorf("got %+v meta %+v after %d requests", got, meta, n.Load())
	}
	// Start and end filled in from the id when absent.
	if !got[0].Start.Equal(date(2026, 11, 1, 0, 0, 0)) || !got[0].End.Equal(date(2026, 11, 30, 23, 59, 59)) {
		t.Errorf("bounds %v %v", got[0].Start, got[0].End)
	}
	if strings.Join(codes, ",") != "429,503,200" {
		t.Errorf("observed %v", codes)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	ts, _ := scriptServer(t,
		scripted{status: 429, header: map[string]string{headerRetryAfterMS: "0.3"}},
		scripted{status: 200, body: `[]`},
	)
	c := newTestClient(t, ts.URL)
	start := time.Now()
	if _, _, err := c.BillingPeriods(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("retried after %v, before the 0.3s the server asked for", d)
	}
}

func TestRetryAfterBeyondBudgetGivesUp(t *testing.T) {
	ts, n := scriptServer(t, scripted{status: 503, header: map[string]string{"Retry-After": "3600"}})
	c := newTestClient(t, ts.URL)
	_, _, err := c.BillingPeriods(context.Background(), "")
	if k, _ := KindOf(err); k != KindServer || n.Load() != 1 {
		t.Errorf("err = %v after %d requests; want a server error at once", err, n.Load())
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, 0},
		{"consumption header", http.Header{"X-Ms-Ratelimit-Microsoft.consumption-Retry-After": {"7"}}, 7 * time.Second},
		{"retry-after seconds", http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		{"retry-after date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{"date in the past", http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryAfterOf(tc.h, now); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", func(c *Config) {
		c.Retry = Retry{MaxAttempts: 10, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxElapsed: time.Minute}
	})
	for attempt := 1; attempt < 8; attempt++ {
		full := min(time.Second, 100*time.Millisecond<<(attempt-1))
		for range 20 {
			d := c.retry.Backoff(attempt)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
}

func TestTransportErrorRetriedAndReported(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	base := ts.URL
	ts.Close() // nothing listens there now
	var codes []string
	c := newTestClient(t, base, func(c *Config) { c.ObserveRequest = func(_, code string) { codes = append(codes, code) } })
	_, _, err := c.BillingPeriods(context.Background(), "")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTransport || e.Attempts != 3 {
		t.Fatalf("err = %v", err)
	}
	if strings.Join(codes, ",") != "error,error,error" {
		t.Errorf("observed %v", codes)
	}
}

func TestNotModified(t *testing.T) {
	var gotINM []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotINM = append(gotINM, r.Header.Get("If-None-Match"))
		w.Header().Set("ETag", `"abc"`)
		if r.Header.Get("If-None-Match") == `"abc"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write([]byte(`[{"meterId":"m","unitPrice":1}]`))
	}))
	defer ts.Close()
	c := newTestClient(t, ts.URL)
	ctx := context.Background()
	got, meta, err := c.PriceSheet(ctx, "202611", "")
	if err != nil || len(got) != 1 || meta.NotModified || meta.ETag != `"abc"` {
		t.Fatalf("first: %v %+v %v", got, meta, err)
	}
	got, meta, err = c.PriceSheet(ctx, "202611", meta.ETag)
	if err != nil || got != nil || !meta.NotModified || meta.ETag != `"abc"` || meta.Rows != 0 {
		t.Fatalf("second: %v %+v %v", got, meta, err)
	}
	if strings.Join(gotINM, "|") != `|"abc"` {
		t.Errorf("If-None-Match sent: %q", gotINM)
	}
}

// pagedServer serves n pages of one row each; nextLink of page i is made by link.
func pagedServer(t *testing.T, n int, link func(base string, page int) string) (*httptest.Server, *[]string) {
	t.Helper()
	var (
		mu   sync.Mutex
		reqs []string
	)
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.URL.RequestURI()+" auth="+r.Header.Get("Authorization")+" inm="+r.Header.Get("If-None-Match"))
		mu.Unlock()
		page := 0
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		next := ""
		if page+1 < n {
			next = link(ts.URL, page+1)
		}
		w.Header().Set("ETag", `"p"`)
		fmt.Fprintf(w, `{"nextLink":%q,"id":"x","data":[{"cost":%d,"meterName":"m%d","tags":"{\"team\":\"a\"}"}]}`, next, page+1, page)
	}))
	t.Cleanup(ts.Close)
	return ts, &reqs
}

func TestUsagePaging(t *testing.T) {
	ts, reqs := pagedServer(t, 4, func(base string, p int) string {
		return fmt.Sprintf("%s/v3/enrollments/100/usagedetails?page=%d", base, p)
	})
	c := newTestClient(t, ts.URL)
	sum := 0.0
	var names []string
	meta, err := c.UsageDetails(context.Background(), Query{}, `"old"`, func(r *billing.UsageRow) error {
		sum += r.Cost
		names = append(names, r.MeterName+"/"+r.Tags["team"])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum != 1+2+3+4 || meta.Rows != 4 || meta.Pages != 4 || meta.ETag != `"p"` || strings.Join(names, ",") != "m0/a,m1/a,m2/a,m3/a" {
		t.Errorf("sum %v meta %+v names %v", sum, meta, names)
	}
	for i, r := range *reqs {
		if !strings.Contains(r, "auth=bearer "+testKey) {
			t.Errorf("request %d without key: %s", i, r)
		}
		if (i == 0) != strings.HasSuffix(r, `inm="old"`) {
			t.Errorf("request %d: If-None-Match only belongs on the first page: %s", i, r)
		}
	}
}

func TestUsageCallbackErrorStops(t *testing.T) {
	ts, reqs := pagedServer(t, 5, func(base string, p int) string { return fmt.Sprintf("%s/x?page=%d", base, p) })
	c := newTestClient(t, ts.URL)
	stop := errors.New("enough")
	_, err := c.UsageDetails(context.Background(), Query{}, "", func(*billing.UsageRow) error { return stop })
	if !errors.Is(err, stop) || len(*reqs) != 1 {
		t.Errorf("err = %v after %d requests", err, len(*reqs))
	}
}

func TestForeignNextLinkRefused(t *testing.T) {
	var foreignAuth atomic.Value
	foreignAuth.Store("")
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignAuth.Store(r.Header.Get("Authorization") + "(called)")
		_, _ = w.Write([]byte(`{"data":[]}`))
	}))
	defer foreign.Close()
	ts, _ := pagedServer(t, 2, func(string, int) string { return foreign.URL + "/v3/enrollments/100/usagedetails?page=1" })
	c := newTestClient(t, ts.URL)
	_, err := c.UsageDetails(context.Background(), Query{}, "", func(*billing.UsageRow) error { return nil })
	if k, _ := KindOf(err); k != KindProtocol || !strings.Contains(err.Error(), "foreign host") {
		t.Errorf("err = %v", err)
	}
	if v := foreignAuth.Load().(string); v != "" {
		t.Errorf("foreign host was called: %q", v)
	}
}

func TestRedirectToForeignHostRefused(t *testing.T) {
	var called atomic.Bool
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called.Store(true) }))
	defer foreign.Close()
	ts := httptest.NewServer(http.RedirectHandler(foreign.URL+"/steal", http.StatusFound))
	defer ts.Close()
	_, _, err := newTestClient(t, ts.URL).BillingPeriods(context.Background(), "")
	if err == nil || called.Load() {
		t.Errorf("err = %v, foreign called = %v", err, called.Load())
	}
}

func TestNextLinkLoopDetected(t *testing.T) {
	ts, reqs := pagedServer(t, 100, func(base string, p int) string {
		return fmt.Sprintf("%s/v3/enrollments/100/usagedetails?page=%d", base, p%3)
	})
	c := newTestClient(t, ts.URL)
	_, err := c.UsageDetails(context.Background(), Query{}, "", func(*billing.UsageRow) error { return nil })
	if k, _ := KindOf(err); k != KindProtocol || !strings.Contains(err.Error(), "loops") || len(*reqs) != 4 {
		t.Errorf("err = %v after %d requests", err, len(*reqs))
	}
}

func TestEndlessPagingBounded(t *testing.T) {
	ts, reqs := pagedServer(t, 1<<30, func(base string, p int) string {
		return fmt.Sprintf("%s/v3/enrollments/100/usagedetails?page=%d", base, p)
	})
	c := newTestClient(t, ts.URL, func(c *Config) { c.MaxPages = 10 })
	_, err := c.UsageDetails(context.Background(), Query{}, "", func(*billing.UsageRow) error { return nil })
	if k, _ := KindOf(err); k != KindProtocol || len(*reqs) != 10 {
		t.Errorf("err = %v after %d requests", err, len(*reqs))
	}
}

func TestBodyLimit(t *testing.T) {
	big := "[" + strings.Repeat(" ", 4096) + "]"
	ts, _ := scriptServer(t, scripted{status: 200, body: big})
	c := newTestClient(t, ts.URL, func(c *Config) { c.MaxBodyBytes = 1024 })
	_, _, err := c.PriceSheet(context.Background(), "202611", "")
	if k, _ := KindOf(err); k != KindProtocol || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("err = %v", err)
	}
	// Exactly at the limit is fine.
	ok := "[" + strings.Repeat(" ", 1022) + "]"
	ts2, _ := scriptServer(t, scripted{status: 200, body: ok})
	c2 := newTestClient(t, ts2.URL, func(c *Config) { c.MaxBodyBytes = 1024 })
	if _, _, err := c2.PriceSheet(context.Background(), "202611", ""); err != nil {
		t.Errorf("body of exactly the limit: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"html", "<html><body>Service Unavailable</body></html>", "invalid character '<'"},
		{"truncated", `[{"billingPeriodId":"202611"},{"billingPe`, "truncated JSON body"},
		{"object not array of periods", `{"billingPeriodId":"nope"}`, "not yyyyMM"},
		{"wrong type", `"hello"`, "want a JSON array"},
		{"trailing garbage", `[] []`, "unexpected data after"},
		{"bad period", `[{"billingPeriodId":"2026-11"}]`, `"2026-11" is not yyyyMM`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, n := scriptServer(t, scripted{status: 200, body: tc.body})
			_, _, err := newTestClient(t, ts.URL).BillingPeriods(context.Background(), "")
			if k, _ := KindOf(err); k != KindDecode || !strings.Contains(err.Error(), tc.want) || n.Load() != 1 {
				t.Errorf("err = %v (%d requests), want a decode error containing %q, not retried", err, n.Load(), tc.want)
			}
		})
	}
}

func TestCancelledContext(t *testing.T) {
	t.Run("during a hanging request", func(t *testing.T) {
		release := make(chan struct{})
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer ts.Close()
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, _, err := newTestClient(t, ts.URL).BillingPeriods(ctx, "")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if e := new(Error); !errors.As(err, &e) || e.Attempts != 1 {
			t.Errorf("a cancelled request must not be retried: %v", err)
		}
	})
	t.Run("while waiting to retry", func(t *testing.T) {
		ts, n := scriptServer(t, scripted{status: 429, header: map[string]string{headerRetryAfterMS: "2"}})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, _, err := newTestClient(t, ts.URL).BillingPeriods(ctx, "")
		if !errors.Is(err, context.DeadlineExceeded) || n.Load() != 1 {
			t.Errorf("err = %v after %d requests", err, n.Load())
		}
	})
	t.Run("per-request timeout", func(t *testing.T) {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer ts.Close()
		c := newTestClient(t, ts.URL, func(c *Config) { c.RequestTimeout = 30 * time.Millisecond; c.Retry.MaxAttempts = 2 })
		_, _, err := c.BillingPeriods(context.Background(), "")
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindTransport || e.Attempts != 2 {
			t.Errorf("err = %v", err)
		}
	})
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no base URL", Config{Enrollment: "1", APIKey: "k"}, "base URL is empty"},
		{"no enrollment", Config{APIKey: "k", BaseURL: "https://consumption.azure.com"}, "enrollment number is empty"},
		{"no key", Config{Enrollment: "1", BaseURL: "https://consumption.azure.com"}, "API key is empty"},
		{"relative base", Config{Enrollment: "1", APIKey: "k", BaseURL: "consumption.azure.com"}, "want an absolute http or https URL"},
		{"bad scheme", Config{Enrollment: "1", APIKey: "k", BaseURL: "ftp://x"}, "want an absolute http or https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	c, err := New(Config{Enrollment: "1", APIKey: "sekrit", BaseURL: "https://consumption.azure.com/"})
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "sekrit") {
		t.Errorf("client formats its key: %s", s)
	}
	if c.Enrollment() != "1" || c.base.String() != "https://consumption.azure.com" {
		t.Errorf("defaults: %s %s", c.Enrollment(), c.base)
	}
}

func TestEndpointShapes(t *testing.T) {
	var paths []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.RequestURI())
		if strings.Contains(r.URL.Path, "usagedetails") {
			_, _ = w.Write([]byte(`{"data":[]}`))
			return
		}
		_, _ = w.Write([]byte(`[]`))
	}))
	defer ts.Close()
	c := newTestClient(t, ts.URL+"/prefix/")
	ctx := context.Background()
	d1, d2 := date(2026, 11, 1, 0, 0, 0), date(2026, 11, 27, 0, 0, 0)
	noop := func(*billing.UsageRow) error { return nil }
	_, _ = c.UsageDetails(ctx, Query{}, "", noop)
	_, _ = c.UsageDetails(ctx, Query{Start: d1, End: d2}, "", noop)
	_, _, _ = c.MarketplaceCharges(ctx, Query{}, "")
	_, _, _ = c.PriceSheet(ctx, "", "")
	_, _, _ = c.BalanceSummary(ctx, "", "")
	_, _, _ = c.ReservationSummaries(ctx, "monthly", time.Time{}, time.Time{}, "")
	_, _, _ = c.ReservationSummaries(ctx, "daily", d1, d2, "")
	want := []string{
		"/prefix/v3/enrollments/100/usagedetails",
		"/prefix/v3/enrollments/100/usagedetailsbycustomdate?endTime=2026-11-27&startTime=2026-11-01",
		"/prefix/v3/enrollments/100/marketplacecharges",
		"/prefix/v3/enrollments/100/pricesheet",
		"/prefix/v3/enrollments/100/balancesummary",
		"/prefix/v2/enrollments/100/reservationsummaries?grain=monthly",
		"/prefix/v2/enrollments/100/reservationsummaries?enddate=2026-11-27&grain=daily&startdate=2026-11-01",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &Error{Report: "usage_details", Kind: KindTransport, Err: errors.New("connection refused"), Attempts: 4}
	if got := e.Error(); got != "usage_details: transport error: connection refused (after 4 attempts)" {
		t.Errorf("got %q", got)
	}
	if Kind(99).String() != "kind(99)" {
		t.Error(Kind(99).String())
	}
	if _, ok := KindOf(errors.New("x")); ok {
		t.Error("KindOf of a foreign error")
	}
	long := strings.Repeat("é", 300)
	if ex := excerpt([]byte(long), ""); len(ex) > maxExcerpt+len("…") || !strings.HasSuffix(ex, "…") {
		t.Errorf("excerpt %d bytes", len(ex))
	}
}
