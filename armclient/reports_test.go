package armclient

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

func serveFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBillingPeriods(t *testing.T) {
	e := newFakeEnv(t)
	acct := serveFile(t, "billingAccount_constructed.json")
	e.setARM(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/providers/Microsoft.Billing/billingAccounts/"+testAccount {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("api-version") != "2024-04-01" || !strings.Contains(q.Get("$expand"), "enrollmentDetails") {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		writeJSON(w, 200, acct)
	})
	c, clk, obs := e.client(t)
	ctx := context.Background()
	periods, res, err := c.BillingPeriods(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// Enrollment started 2025-06: 202603 back to 202506 is 10 periods (< 13).
	var ids []string
	for _, p := range periods {
		ids = append(ids, p.ID)
	}
	want := []string{"202603", "202602", "202601", "202512", "202511", "202510", "202509", "202508", "202507", "202506"}
	if !slices.Equal(ids, want) {
		t.Fatalf("periods %v, want %v", ids, want)
	}
	if p := periods[0]; !p.Start.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || !p.End.Equal(time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("current period %+v", p)
	}
	if res.Rows != 10 || res.Revision == "" || res.NotModified {
		t.Errorf("result %+v", res)
	}
	// Same data, same revision: NotModified, and the account is cached.
	p2, res2, err := c.BillingPeriods(ctx, res.Revision)
	if err != nil || !res2.NotModified || p2 != nil || res2.Revision != res.Revision {
		t.Fatalf("second call: %v %+v %v", p2, res2, err)
	}
	if n := len(e.requests("arm")); n != 1 {
		t.Errorf("%d ARM requests, want 1 (account cached)", n)
	}
	// A month later the list changes.
	clk.mu.Lock()
	clk.now = clk.now.AddDate(0, 1, 0)
	clk.mu.Unlock()
	_, res3, err := c.BillingPeriods(ctx, res.Revision)
	if err != nil || res3.NotModified || res3.Revision == res.Revision {
		t.Fatalf("next month: %+v %v", res3, err)
	}
	a, err := c.Account(ctx)
	if err != nil || len(a.Departments) != 2 || a.Departments[0].Name != "164821" || a.Departments[0].DisplayName != "departmentName1" || a.Currency != "USD" {
		t.Errorf("account %+v %v", a, err)
	}
	if got := obs.get(); got[0] != "billing_periods/200" {
		t.Errorf("observed %v", got)
	}
}

func TestComputePeriods(t *testing.T) {
	now := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		start, end time.Time
		n          int
		want       []string
	}{
		{"no dates", time.Time{}, time.Time{}, 3, []string{"202603", "202602", "202601"}},
		{"started this month", time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), time.Time{}, 3, []string{"202603"}},
		{"ended", time.Time{}, time.Date(2025, 11, 30, 0, 0, 0, 0, time.UTC), 2, []string{"202511", "202510"}},
		{"ends later", time.Time{}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 1, []string{"202603"}},
		{"year boundary", time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), time.Time{}, 13, []string{"202603", "202602", "202601", "202512"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range computePeriods(now, tc.start, tc.end, tc.n) {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBalanceSummary(t *testing.T) {
	body := fixture(t, "BalancesByBillingAccount.json", "200", "body")
	for _, tc := range []struct {
		name     string
		period   string
		status   int
		body     string
		wantPath string
		noData   bool
	}{
		{name: "period", period: "202602", status: 200, body: string(body), wantPath: "/providers/Microsoft.Billing/billingAccounts/123456/billingPeriods/202602/providers/Microsoft.Consumption/balances"},
		{name: "current (un-suffixed)", period: "", status: 200, body: string(body), wantPath: "/providers/Microsoft.Billing/billingAccounts/123456/providers/Microsoft.Consumption/balances"},
		{name: "no content", period: "202604", status: 204, noData: true},
		{name: "not found", period: "202604", status: 404, body: `{"error":{"code":"NotFound","message":"No balance found for billing period 202604."}}`, noData: true},
		{name: "no properties", period: "202604", status: 200, body: `{"id":"x","name":"x"}`, noData: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t)
			e.setARM(func(w http.ResponseWriter, r *http.Request) {
				if tc.wantPath != "" && r.URL.Path != tc.wantPath {
					t.Errorf("path %s, want %s", r.URL.Path, tc.wantPath)
				}
				if r.URL.Query().Get("api-version") != "2024-08-01" {
					t.Errorf("api-version %q", r.URL.Query().Get("api-version"))
				}
				if tc.status == 204 {
					w.WriteHeader(204)
					return
				}
				writeJSON(w, tc.status, tc.body)
			})
			c, _, _ := e.client(t)
			b, res, err := c.BalanceSummary(context.Background(), tc.period, "")
			if tc.noData {
				if !errors.Is(err, billing.ErrNoData) {
					t.Fatalf("err = %v, want ErrNoData", err)
				}
				if !strings.Contains(err.Error(), "balance_summary") {
					t.Errorf("error %q does not name the report", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantPeriod := tc.period
			if wantPeriod == "" {
				wantPeriod = "201702" // from the example's id
			}
			want := billing.BalanceSummary{PeriodID: wantPeriod, Currency: "USD", BeginningBalance: 3396469.19, EndingBalance: 2922371.02,
				Utilized: 474098.17, TotalUsage: 474098.17, MarketplaceCharges: 609.82}
			if b != want {
				t.Errorf("got %+v\nwant %+v", b, want)
			}
			_, res2, err := c.BalanceSummary(context.Background(), tc.period, res.Revision)
			if err != nil || !res2.NotModified || res2.Revision != res.Revision {
				t.Errorf("same content: %+v %v, want NotModified", res2, err)
			}
		})
	}
}

func TestBalanceSummaryClosedPeriod(t *testing.T) {
	e := newFakeEnv(t)
	body := fixture(t, "BalancesByBillingAccount.json", "200", "body")
	e.setARM(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, []byte(body)) })
	c, _, _ := e.client(t)
	ctx := context.Background()
	if !c.PeriodClosed("202601") || !c.PeriodClosed("202602") || c.PeriodClosed("202603") || c.PeriodClosed("bogus") {
		t.Fatalf("PeriodClosed wrong at %s (grace %s)", testNow, c.cfg.ClosedPeriodGrace)
	}
	_, res, err := c.BalanceSummary(ctx, "202601", "")
	if err != nil {
		t.Fatal(err)
	}
	_, res2, err := c.BalanceSummary(ctx, "202601", res.Revision)
	if err != nil || !res2.NotModified {
		t.Fatalf("%+v %v", res2, err)
	}
	if n := len(e.requests("arm")); n != 1 {
		t.Errorf("%d requests, want 1: a closed period with the client's own revision needs none", n)
	}
	// An open period is always asked.
	_, res, _ = c.BalanceSummary(ctx, "202603", "")
	_, _, _ = c.BalanceSummary(ctx, "202603", res.Revision)
	if n := len(e.requests("arm")); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestReservationUsagePaging(t *testing.T) {
	page := fixture(t, "ReservationSummariesDailyWithBillingAccountId.json", "200", "body")
	e := newFakeEnv(t)
	var filters []string
	e.setARM(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/providers/Microsoft.Billing/billingAccounts/123456/providers/Microsoft.Consumption/reservationSummaries" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("$skiptoken") == "" {
			filters = append(filters, q.Get("$filter"))
			if q.Get("grain") != "daily" {
				t.Errorf("grain %q", q.Get("grain"))
			}
			// First page: the fixture plus a nextLink on the ARM host with
			// an older api-version (followed as is).
			s := strings.TrimSuffix(strings.TrimSpace(string(page)), "}")
			s += `,"nextLink":"` + e.arm.URL + r.URL.Path + `?api-version=2023-03-01&$skiptoken=AQAA"}`
			writeJSON(w, 200, s)
			return
		}
		if q.Get("api-version") != "2023-03-01" {
			t.Errorf("nextLink not followed as is: %s", r.URL.RawQuery)
		}
		writeJSON(w, 200, `{"value":[{"properties":{"reservationOrderId":"o2","reservationId":"r2","skuName":"Standard_D2s_v3","reservedHours":24,"usageDate":"2018-09-02T00:00:00-07:00","usedHours":12,"avgUtilizationPercentage":50}}]}`)
	})
	c, _, obs := e.client(t)
	from, to := time.Date(2018, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2018, 9, 30, 0, 0, 0, 0, time.UTC)
	rows, res, err := c.ReservationUsage(context.Background(), from, to, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(filters) != 1 || filters[0] != "properties/usageDate ge 2018-09-01 AND properties/usageDate le 2018-09-30" {
		t.Errorf("filter %q", filters)
	}
	if len(rows) != 2 || res.Rows != 2 {
		t.Fatalf("rows %+v, result %+v", rows, res)
	}
	want := billing.ReservationUsage{Date: time.Date(2018, 9, 1, 0, 0, 0, 0, time.UTC), ReservationOrderID: "00000000-0000-0000-0000-000000000000",
		ReservationID: "00000000-0000-0000-0000-000000000000", SKU: "Standard_B1s", ReservedHours: 720}
	if rows[0] != want {
		t.Errorf("row 0 %+v\nwant %+v", rows[0], want)
	}
	if rows[1].Date != time.Date(2018, 9, 2, 0, 0, 0, 0, time.UTC) || rows[1].AvgUtilizationPercent != 50 {
		t.Errorf("row 1 %+v", rows[1])
	}
	_, res2, err := c.ReservationUsage(context.Background(), from, to, res.Revision)
	if err != nil || !res2.NotModified {
		t.Errorf("same content: %+v %v", res2, err)
	}
	if got := obs.get(); len(got) != 4 || got[0] != "reservation_details/200" {
		t.Errorf("observed %v", got)
	}
}

func TestNextLinkGuards(t *testing.T) {
	for _, tc := range []struct {
		name    string
		next    func(e *fakeEnv) string
		rewrite bool
		wantErr string
	}{
		{name: "foreign host refused", next: func(e *fakeEnv) string { return e.other.URL + "/steal?$skiptoken=1" }, wantErr: "refusing link to foreign host"},
		{name: "blob host refused", next: func(e *fakeEnv) string { return e.blob.URL + "/x" }, wantErr: "refusing link to foreign host"},
		{name: "plain http refused", next: func(e *fakeEnv) string { return strings.Replace(e.arm.URL, "https", "http", 1) + "/x" }, wantErr: "refusing link"},
		{name: "loop", next: func(e *fakeEnv) string {
			return e.arm.URL + "/providers/Microsoft.Billing/billingAccounts/123456/providers/Microsoft.Consumption/reservationSummaries?grain=daily&$filter=properties%2FusageDate+ge+2018-09-01+AND+properties%2FusageDate+le+2018-09-30&api-version=2024-08-01"
		}, wantErr: "paging loop"},
		{name: "foreign host rewritten", next: func(e *fakeEnv) string { return e.other.URL + "/page2" }, rewrite: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t)
			e.setARM(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/page2" {
					writeJSON(w, 200, `{"value":[]}`)
					return
				}
				writeJSON(w, 200, `{"value":[],"nextLink":"`+tc.next(e)+`"}`)
			})
			c, _, _ := e.client(t, func(c *Config, _ *CredentialOptions) { c.RewriteLinkHosts = tc.rewrite })
			_, _, err := c.ReservationUsage(context.Background(), time.Date(2018, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2018, 9, 30, 0, 0, 0, 0, time.UTC), "")
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if k, _ := KindOf(err); k != KindProtocol {
				t.Errorf("kind %v", k)
			}
		})
	}
}

func TestReservationCharges(t *testing.T) {
	body := fixture(t, "ReservationTransactionsListByEnrollmentNumber.json", "200", "body")
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     int
	}{
		// The service answers whole months; the client keeps the range.
		{"range holds the event", time.Date(2019, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2019, 9, 9, 0, 0, 0, 0, time.UTC), 2},
		{"range after the event", time.Date(2019, 9, 10, 0, 0, 0, 0, time.UTC), time.Date(2019, 9, 30, 0, 0, 0, 0, time.UTC), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t)
			e.setARM(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "/providers/Microsoft.Consumption/reservationTransactions") {
					http.NotFound(w, r)
					return
				}
				want := "properties/eventDate ge " + dayString(tc.from) + " AND properties/eventDate le " + dayString(tc.to)
				if got := r.URL.Query().Get("$filter"); got != want {
					t.Errorf("filter %q, want %q", got, want)
				}
				writeJSON(w, 200, []byte(body))
			})
			c, _, _ := e.client(t)
			rows, res, err := c.ReservationCharges(context.Background(), tc.from, tc.to, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.want || res.Rows != 2 {
				t.Fatalf("%d rows (%+v), want %d", len(rows), res, tc.want)
			}
			if tc.want == 0 {
				return
			}
			// Same id, both kept: a refund and its purchase.
			if rows[0].EventType != "Refund" || rows[0].Amount != -21 || rows[1].EventType != "Purchase" || rows[1].Amount != 21 {
				t.Errorf("rows %+v", rows)
			}
			r := rows[1]
			if r.SKU != "Standard_DS1_v2" || r.Term != "P1Y" || r.Region != "westus" || r.Department != "Unassigned" ||
				r.SubscriptionID != "a838a8c3-a408-49e1-ac90-42cb95bff9b2" || r.Currency != "USD" || r.BillingFrequency != "recurring" ||
				!r.EventDate.Equal(time.Date(2019, 9, 9, 19, 19, 4, 0, time.UTC)) || r.PurchasingEnrollment != "123456" {
				t.Errorf("row %+v", r)
			}
		})
	}
}
