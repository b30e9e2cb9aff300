package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func newTest(t *testing.T, o Options) (*Server, *httptest.Server) {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	s := New(o)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

func get(t *testing.T, s *Server, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+s.APIKey())
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRoutes(t *testing.T) {
	s, ts := newTest(t, Options{UsageRowsPerDay: 5})
	base := ts.URL + "/v3/enrollments/100/"
	for _, tc := range []struct {
		path   string
		status int
		prefix string
	}{
		{"/v2/enrollments/100/billingperiods", 200, `[{"billingPeriodId":"202611"`},
		{"/V2/Enrollments/100/BillingPeriods", 200, `[{"billingPeriodId":"202611"`},
		{"balancesummary", 200, `[{"id":"enrollments/100/billingperiods/202611/balancesummaries","billingPeriodId":202611`},
		{"/v2/enrollments/100/balancesummary", 200, `{"id":`},
		{"billingPeriods/202610/balancesummary", 200, `[{`},
		{"billingperiods/202610/usagedetails", 200, `{"id":"enrollments/100/usagedetails/0","data":[{"serviceName":`},
		{"/v2/enrollments/100/billingperiods/202610/usagedetails", 200, `{"id":"enrollments/100/usagedetails/0","data":[{"Cost":`},
		{"/v1/enrollments/100/billingperiods/202610/usagedetails", 200, `{"id":"enrollments/100/usagedetails/0","data":[{"extendedCost":`},
		{"usagedetailsbycustomdate?startTime=2026-11-01&endTime=2026-11-02", 200, `{"id"`},
		{"usagedetailsbycustomdate?startTime=2026-11-01T00:00:00Z&endTime=2026-11-02T00:00:00Z", 200, `{"id"`},
		{"marketplacecharges", 200, `[{"id":"enrollments/100/dates/20261101/instances('')/marketplaces"`},
		{"marketplacechargesbycustomdate?startTime=2026-11-02&endTime=2026-11-02", 200, `[{`},
		{"pricesheet", 200, `[{"id":"enrollments/100/billingperiods/202611/products/300/pricesheets"`},
		{"/v2/enrollments/100/reservationdetails?startDate=2026-11-01&endDate=2026-11-02", 200, `[{"reservationOrderId"`},
		{"/v2/enrollments/100/reservationsummaries?grain=daily&startdate=2026-11-01&enddate=2026-11-02", 200, `[{"reservationOrderId"`},
		{"/v2/enrollments/100/reservationsummaries?grain=monthly", 200, `[{"reservationOrderId"`},
		{"/v4/enrollments/100/reservationcharges?startDate=2026-01-01&endDate=2026-11-28", 200, `[{"purchasingEnrollment":"100"`},
		// Errors.
		{"/v2/enrollments/999/billingperiods", 404, `{"error":{"code":"NotFound","message":"Enrollment not found"}}`},
		{"/v9/enrollments/100/billingperiods", 404, `{"error"`},
		{"nosuchreport", 404, `{"error"`},
		{"billingPeriods/202411/usagedetails", 404, `{"error":{"code":"NotFound","message":"No data available for billing period 202411"}}`},
		{"billingPeriods/202612/usagedetails", 404, `{"error"`},
		{"billingPeriods/2026-11/usagedetails", 400, `{"error"`},
		{"usagedetailsbycustomdate?startTime=yesterday&endTime=2026-11-02", 400, `{"error":{"code":"BadRequest","message":"startTime: invalid date`},
		{"usagedetailsbycustomdate?startTime=2026-11-03&endTime=2026-11-02", 400, `{"error"`},
		{"usagedetailsbycustomdate?startTime=2020-01-01&endTime=2026-11-02", 400, `{"error":{"code":"BadRequest","message":"date range exceeds 36 months"}}`},
		{"/v2/enrollments/100/reservationsummaries?grain=weekly", 400, `{"error"`},
		{"usagedetails?skiptoken=-1", 400, `{"error"`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			url := base + tc.path
			if strings.HasPrefix(tc.path, "/") {
				url = ts.URL + tc.path
			}
			resp, body := get(t, s, url)
			if resp.StatusCode != tc.status || !strings.HasPrefix(body, tc.prefix) {
				t.Errorf("got %d %.200s\nwant %d %s", resp.StatusCode, body, tc.status, tc.prefix)
			}
			if resp.StatusCode == 200 && (resp.Header.Get("ETag") == "" || !json.Valid([]byte(body))) {
				t.Errorf("200 without an ETag or with invalid JSON")
			}
		})
	}
}

func TestAuth(t *testing.T) {
	s, ts := newTest(t, Options{})
	url := ts.URL + "/v2/enrollments/100/billingperiods"
	for _, tc := range []struct{ name, header, want string }{
		{"missing", "", "API Key not found"},
		{"wrong scheme", "Basic " + s.APIKey(), "API Key not found"},
		{"wrong key", "bearer nope", "API Key is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 || !strings.Contains(string(b), tc.want) {
				t.Errorf("got %d %s", resp.StatusCode, b)
			}
		})
	}
	// Both scheme casings are accepted.
	for _, scheme := range []string{"bearer", "Bearer"} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", scheme+" "+s.APIKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", scheme, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
}

func TestPagingAndETag(t *testing.T) {
	s, ts := newTest(t, Options{UsageRowsPerDay: 10, PageSize: 100})
	url := ts.URL + "/v3/enrollments/100/billingperiods/202611/usagedetails"
	total, pages := 0, 0
	var etag string
	for url != "" {
		resp, body := get(t, s, url)
		var page struct {
			Data     []map[string]any `json:"data"`
			NextLink *string          `json:"nextLink"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		if pages == 0 {
			etag = resp.Header.Get("ETag")
		} else if resp.Header.Get("ETag") != etag {
			t.Errorf("page %d has another ETag", pages)
		}
		total += len(page.Data)
		pages++
		url = ""
		if page.NextLink != nil {
			url = *page.NextLink
			if !strings.HasPrefix(url, ts.URL+"/") {
				t.Fatalf("nextLink %q is not absolute on the server", url)
			}
		}
	}
	if total != 28*10 || pages != 3 {
		t.Errorf("%d rows in %d pages", total, pages)
	}
	resp, body := get(t, s, ts.URL+"/v3/enrollments/100/billingperiods/202611/usagedetails", "If-None-Match", etag)
	if resp.StatusCode != 304 || body != "" || resp.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match: %d %q", resp.StatusCode, body)
	}
	s.Bump()
	resp, _ = get(t, s, ts.URL+"/v3/enrollments/100/billingperiods/202611/usagedetails", "If-None-Match", etag)
	if resp.StatusCode != 200 {
		t.Errorf("after Bump: %d", resp.StatusCode)
	}
	if s.Requests("usage_details") != pages+2 {
		t.Errorf("requests %d", s.Requests("usage_details"))
	}
}

func TestDeterministic(t *testing.T) {
	s1, ts1 := newTest(t, Options{Seed: 7, UsageRowsPerDay: 3})
	s2, ts2 := newTest(t, Options{Seed: 7, UsageRowsPerDay: 3})
	s3, ts3 := newTest(t, Options{Seed: 8, UsageRowsPerDay: 3})
	path := "/v3/enrollments/100/billingperiods/202610/usagedetails"
	_, b1 := get(t, s1, ts1.URL+path)
	_, b2 := get(t, s2, ts2.URL+path)
	_, b3 := get(t, s3, ts3.URL+path)
	if b1 != b2 || b1 == b3 {
		t.Error("same seed must give the same data, another seed other data")
	}
}

func TestClockMovesPeriods(t *testing.T) {
	now := testNow
	s, ts := newTest(t, Options{Now: func() time.Time { return now }, Periods: 2})
	_, body := get(t, s, ts.URL+"/v2/enrollments/100/billingperiods")
	if !strings.Contains(body, `"202611"`) || !strings.Contains(body, `"202610"`) || strings.Contains(body, `"202609"`) {
		t.Errorf("periods: %s", body)
	}
	now = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	_, body = get(t, s, ts.URL+"/v2/enrollments/100/billingperiods")
	if !strings.HasPrefix(body, `[{"billingPeriodId":"202612"`) || strings.Contains(body, `"202610"`) {
		t.Errorf("after rollover: %s", body)
	}
}

func TestScenarios(t *testing.T) {
	type bal struct {
		ServiceOverage float64 `json:"serviceOverage"`
		EndingBalance  float64 `json:"endingBalance"`
	}
	read := func(scenario string) bal {
		s, ts := newTest(t, Options{Scenario: scenario, UsageRowsPerDay: 20})
		_, body := get(t, s, ts.URL+"/v3/enrollments/100/balancesummary")
		var b []bal
		if err := json.Unmarshal([]byte(body), &b); err != nil || len(b) != 1 {
			t.Fatalf("%s: %v", body, err)
		}
		return b[0]
	}
	if h := read(ScenarioHealthy); h.ServiceOverage != 0 || h.EndingBalance <= 0 {
		t.Errorf("healthy: %+v", h)
	}
	if o := read(ScenarioOverage); o.ServiceOverage <= 0 || o.EndingBalance != 0 {
		t.Errorf("overage: %+v", o)
	}
}

func TestFaults(t *testing.T) {
	s, ts := newTest(t, Options{UsageRowsPerDay: 10, PageSize: 100})
	url := ts.URL + "/v3/enrollments/100/usagedetails"
	t.Run("status with retry header, Times", func(t *testing.T) {
		s.AddFault(Fault{Report: "usage_details", Status: 429, RetryAfter: 3 * time.Second, Times: 2})
		for i := 0; i < 2; i++ {
			resp, _ := get(t, s, url)
			if resp.StatusCode != 429 || resp.Header.Get("x-ms-ratelimit-microsoft.consumption-retry-after") != "3" {
				t.Errorf("got %d %v", resp.StatusCode, resp.Header)
			}
		}
		if resp, _ := get(t, s, url); resp.StatusCode != 200 {
			t.Errorf("fault outlived Times: %d", resp.StatusCode)
		}
	})
	t.Run("503 Retry-After, other report unaffected", func(t *testing.T) {
		s.AddFault(Fault{Report: "price_sheet", Status: 503, RetryAfter: time.Second})
		defer s.ClearFaults()
		resp, _ := get(t, s, ts.URL+"/v3/enrollments/100/pricesheet")
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("got %d", resp.StatusCode)
		}
		if resp, _ := get(t, s, url); resp.StatusCode != 200 {
			t.Errorf("usage affected: %d", resp.StatusCode)
		}
	})
	for _, tc := range []struct {
		name  string
		f     Fault
		check func(body string) bool
	}{
		{"truncate", Fault{Truncate: true}, func(b string) bool { return !json.Valid([]byte(b)) && strings.HasPrefix(b, `{"id"`) }},
		{"malformed", Fault{Malformed: true}, func(b string) bool { return !json.Valid([]byte(b)) }},
		{"html", Fault{HTML: true}, func(b string) bool { return strings.HasPrefix(b, "<!DOCTYPE html>") }},
		{"empty", Fault{Empty: true}, func(b string) bool { return b == `{"id":"empty","data":[],"nextLink":null}` }},
		{"nextLink self", Fault{NextLink: "self"}, func(b string) bool { return strings.Contains(b, `"nextLink":"`+url+`?skiptoken=0"`) }},
		{"nextLink foreign", Fault{NextLink: "https://evil.example/steal"}, func(b string) bool { return strings.Contains(b, `"nextLink":"https://evil.example/steal"`) }},
		{"huge", Fault{HugeBytes: 1 << 20}, func(b string) bool { return len(b) > 1<<20 && strings.HasPrefix(b, `[{"id":"huge"`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Times = 1
			s.AddFault(tc.f)
			resp, body := get(t, s, url)
			if resp.StatusCode != 200 || !tc.check(body) {
				t.Errorf("got %d %.300s", resp.StatusCode, body)
			}
		})
	}
	t.Run("latency", func(t *testing.T) {
		s.AddFault(Fault{Latency: 100 * time.Millisecond, Times: 1})
		start := time.Now()
		get(t, s, url)
		if time.Since(start) < 100*time.Millisecond {
			t.Error("no latency")
		}
	})
	t.Run("hang until the client gives up", func(t *testing.T) {
		s.AddFault(Fault{Hang: true, Times: 1})
		c := &http.Client{Timeout: 100 * time.Millisecond}
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if _, err := c.Do(req); err == nil {
			t.Error("hang answered")
		}
	})
}

func TestAppendString(t *testing.T) {
	for _, in := range []string{"plain", `q"uote\back`, "ctl\x01\n\t\r", "ünïcödé ™", "bad\xffutf8"} {
		out := appendString(nil, in)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Errorf("%q -> %s: %v", in, out, err)
		}
		if strings.ToValidUTF8(in, "\ufffd") != back {
			t.Errorf("%q -> %s -> %q", in, out, back)
		}
	}
}

func TestMintKey(t *testing.T) {
	exp := time.Unix(1900000000, 0)
	got, ok := keyExpiry(MintKey("100", exp))
	if !ok || !got.Equal(exp) {
		t.Errorf("got %v %v", got, ok)
	}
}
