package simulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// calendarDates are the days a month-based model gets wrong first: either
// side of a month and a year boundary, a leap day, and a plain mid-month day.
var calendarDates = []time.Time{
	time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC),
	time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC),
	time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC),
	time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC),
	time.Date(2027, 1, 1, 0, 10, 0, 0, time.UTC),
	time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC),
}

type balanceJSON struct {
	BillingPeriodID int     `json:"billingPeriodId"`
	Begin           float64 `json:"beginningBalance"`
	End             float64 `json:"endingBalance"`
	Purchases       float64 `json:"newPurchases"`
	Adjustments     float64 `json:"adjustments"`
	Utilized        float64 `json:"utilized"`
	ServiceOverage  float64 `json:"serviceOverage"`
	Marketplace     float64 `json:"azureMarketplaceServiceCharges"`
	Details         []struct {
		Value float64 `json:"value"`
	} `json:"adjustmentDetails"`
}

// getJSON fetches a route of enrollment 100 that must answer 200.
func getJSON(t *testing.T, s *Server, url string, v any) http.Header {
	t.Helper()
	resp, body := get(t, s, url)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %.300s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.Header
}

func balanceOf(t *testing.T, s *Server, base, period string) balanceJSON {
	t.Helper()
	var b []balanceJSON
	getJSON(t, s, base+"/v3/enrollments/100/billingperiods/"+period+"/balancesummary", &b)
	if len(b) != 1 {
		t.Fatalf("%s: %d balance summaries", period, len(b))
	}
	return b[0]
}

// usageOf reads every page of a usage route: the cost and the newest date.
func usageOf(t *testing.T, s *Server, url string) (cost float64, rows int, newest string) {
	t.Helper()
	for url != "" {
		var page struct {
			Data []struct {
				Cost float64 `json:"cost"`
				Date string  `json:"date"`
			} `json:"data"`
			NextLink *string `json:"nextLink"`
		}
		getJSON(t, s, url, &page)
		for _, r := range page.Data {
			cost += r.Cost
			newest = max(newest, r.Date[:10])
		}
		rows += len(page.Data)
		url = ""
		if page.NextLink != nil {
			url = *page.NextLink
		}
	}
	return cost, rows, newest
}

func marketplaceOf(t *testing.T, s *Server, url string) (cost float64, newest string) {
	t.Helper()
	var rows []struct {
		Cost  float64 `json:"extendedCost"`
		Start string  `json:"usageStartDate"`
	}
	getJSON(t, s, url, &rows)
	for _, r := range rows {
		cost += r.Cost
		newest = max(newest, r.Start[:10])
	}
	return cost, newest
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.05 }

// TestScenariosOnEveryDay: the overage scenario shows overage in the
// current period on any day, the healthy one never, and the balance
// summaries agree with the usage served and with each other.
func TestScenariosOnEveryDay(t *testing.T) {
	for _, now := range calendarDates {
		for _, scenario := range []string{ScenarioHealthy, ScenarioOverage} {
			t.Run(now.Format(time.RFC3339)+"/"+scenario, func(t *testing.T) {
				s, ts := newTest(t, Options{Scenario: scenario, UsageRowsPerDay: 8, Now: func() time.Time { return now }})
				s.Bump() // late rows are part of the usage to date
				cur, prev := now.Format("200601"), now.AddDate(0, 0, -now.Day()).Format("200601")

				b := balanceOf(t, s, ts.URL, cur)
				switch scenario {
				case ScenarioOverage:
					if b.ServiceOverage <= 0 || b.End != 0 {
						t.Errorf("current period %s: want overage and no balance left, got %+v", cur, b)
					}
					if p := balanceOf(t, s, ts.URL, prev); p.ServiceOverage != 0 {
						t.Errorf("period %s before the commitment ran out has overage: %+v", prev, p)
					}
				case ScenarioHealthy:
					if b.ServiceOverage != 0 || b.End <= 0 {
						t.Errorf("current period %s: want no overage, got %+v", cur, b)
					}
				}

				for _, period := range []string{cur, prev} {
					b := balanceOf(t, s, ts.URL, period)
					usage, _, _ := usageOf(t, s, ts.URL+"/v3/enrollments/100/billingperiods/"+period+"/usagedetails")
					if !near(b.Utilized+b.ServiceOverage, usage) {
						t.Errorf("%s: utilized %v + overage %v, usage %v", period, b.Utilized, b.ServiceOverage, usage)
					}
					mkt, _ := marketplaceOf(t, s, ts.URL+"/v3/enrollments/100/billingperiods/"+period+"/marketplacecharges")
					if !near(b.Marketplace, mkt) {
						t.Errorf("%s: marketplace %v, rows %v", period, b.Marketplace, mkt)
					}
				}

				// Every period of the history, a commitment year's start
				// included, begins with the balance the one before ended with.
				var periods []struct {
					ID string `json:"billingPeriodId"`
				}
				getJSON(t, s, ts.URL+"/v2/enrollments/100/billingperiods", &periods)
				var newer balanceJSON
				for i, p := range periods {
					b := balanceOf(t, s, ts.URL, p.ID)
					if !near(b.End, b.Begin+b.Purchases+b.Adjustments-b.Utilized) {
						t.Errorf("%s does not add up: %+v", p.ID, b)
					}
					sum := 0.0
					for _, d := range b.Details {
						sum += d.Value
					}
					if !near(sum, b.Adjustments) {
						t.Errorf("%s: adjustment details %v, adjustments %v", p.ID, sum, b.Adjustments)
					}
					if i > 0 && newer.Begin != b.End {
						t.Errorf("%d begins with %v, %s ended with %v", newer.BillingPeriodID, newer.Begin, p.ID, b.End)
					}
					newer = b
				}
			})
		}
	}
}

// TestDataLatency: with DataLatencyDays, usage, marketplace and reservation
// rows stop that many days before today, and the balance follows them.
func TestDataLatency(t *testing.T) {
	for _, tc := range []struct {
		now      time.Time
		latency  int
		curRows  int    // usage rows of the current period (8 a day)
		newest   string // newest usage and marketplace day
		resDay   string // newest reservation day
		prevDays int    // days of data in the previous period
	}{
		{time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), 0, 8, "2026-12-01", "2026-11-30", 30},
		{time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), 1, 0, "2026-11-30", "2026-11-30", 30},
		{time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), 3, 0, "2026-11-28", "2026-11-28", 28},
		{time.Date(2027, 1, 1, 0, 10, 0, 0, time.UTC), 2, 0, "2026-12-30", "2026-12-30", 30},
		{time.Date(2028, 3, 1, 6, 0, 0, 0, time.UTC), 1, 0, "2028-02-29", "2028-02-29", 29},
		{time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC), 2, 13 * 8, "2026-11-13", "2026-11-13", 31},
	} {
		for _, scenario := range []string{ScenarioHealthy, ScenarioOverage} {
			t.Run(fmt.Sprintf("%s/%dd/%s", tc.now.Format(time.RFC3339), tc.latency, scenario), func(t *testing.T) {
				now := tc.now
				s, ts := newTest(t, Options{Scenario: scenario, UsageRowsPerDay: 8, DataLatencyDays: tc.latency, Now: func() time.Time { return now }})
				base := ts.URL + "/v3/enrollments/100/"
				cur, prev := now.Format("200601"), now.AddDate(0, 0, -now.Day()).Format("200601")

				var periods []struct {
					ID string `json:"billingPeriodId"`
				}
				getJSON(t, s, ts.URL+"/v2/enrollments/100/billingperiods", &periods)
				if len(periods) == 0 || periods[0].ID != cur {
					t.Errorf("billing periods %v: the current period %s must lead", periods, cur)
				}

				for _, p := range []struct {
					id   string
					rows int
				}{{cur, tc.curRows}, {prev, tc.prevDays * 8}} {
					usage, rows, _ := usageOf(t, s, base+"billingperiods/"+p.id+"/usagedetails")
					if rows != p.rows {
						t.Errorf("%s: %d usage rows, want %d", p.id, rows, p.rows)
					}
					b := balanceOf(t, s, ts.URL, p.id)
					if !near(b.Utilized+b.ServiceOverage, usage) {
						t.Errorf("%s: utilized %v + overage %v, usage %v", p.id, b.Utilized, b.ServiceOverage, usage)
					}
					mkt, _ := marketplaceOf(t, s, base+"billingperiods/"+p.id+"/marketplacecharges")
					if !near(b.Marketplace, mkt) {
						t.Errorf("%s: marketplace %v, rows %v", p.id, b.Marketplace, mkt)
					}
				}

				// A trailing window that reaches today, as the exporter asks.
				from, to := now.AddDate(0, 0, -35).Format(time.DateOnly), now.Format(time.DateOnly)
				if _, _, newest := usageOf(t, s, base+"usagedetailsbycustomdate?startTime="+from+"&endTime="+to); newest != tc.newest {
					t.Errorf("newest usage day %s, want %s", newest, tc.newest)
				}
				if _, newest := marketplaceOf(t, s, base+"marketplacechargesbycustomdate?startTime="+from+"&endTime="+to); newest != tc.newest {
					t.Errorf("newest marketplace day %s, want %s", newest, tc.newest)
				}
				var sums []struct {
					Date string `json:"usageDate"`
				}
				getJSON(t, s, ts.URL+"/v2/enrollments/100/reservationsummaries?grain=daily&startDate="+from+"&endDate="+to, &sums)
				newest := ""
				for _, r := range sums {
					newest = max(newest, r.Date[:10])
				}
				if newest != tc.resDay {
					t.Errorf("newest reservation day %s, want %s", newest, tc.resDay)
				}
			})
		}
	}
}

// TestDataLatencyETags: while a closed period's data is still arriving its
// ETag changes from day to day; once it is complete it stays.
func TestDataLatencyETags(t *testing.T) {
	etag := func(latency int, now time.Time) string {
		s := New(Options{UsageRowsPerDay: 2, DataLatencyDays: latency, Now: func() time.Time { return now }})
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/v3/enrollments/100/billingperiods/202611/usagedetails", nil)
		req.Header.Set("Authorization", "Bearer "+s.APIKey())
		s.ServeHTTP(rec, req)
		return rec.Header().Get("ETag")
	}
	dec1, dec2, dec9 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		latency int
		a, b    time.Time
		same    bool
	}{
		{"closed period, no latency", 0, dec1, dec2, true},
		{"closed period still arriving", 3, dec1, dec2, false},
		{"closed period complete", 3, dec9, dec9.AddDate(0, 0, 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := etag(tc.latency, tc.a) == etag(tc.latency, tc.b); got != tc.same {
				t.Errorf("same ETag on %s and %s: %v, want %v", tc.a.Format(time.DateOnly), tc.b.Format(time.DateOnly), got, tc.same)
			}
		})
	}
}

// TestReservationWindows: the trailing windows the exporter asks for (35
// days back to today) have one row per reservation for each complete day,
// across month and year boundaries; today is never complete.
func TestReservationWindows(t *testing.T) {
	for _, now := range calendarDates {
		t.Run(now.Format(time.RFC3339), func(t *testing.T) {
			s, ts := newTest(t, Options{Now: func() time.Time { return now }})
			today := now.Truncate(24 * time.Hour)
			from := today.AddDate(0, 0, -35)
			var sums []struct {
				ID       string  `json:"reservationId"`
				Date     string  `json:"usageDate"`
				Reserved float64 `json:"reservedHours"`
				Used     float64 `json:"usedHours"`
			}
			getJSON(t, s, ts.URL+"/v2/enrollments/100/reservationsummaries?grain=daily&startDate="+from.Format(time.DateOnly)+"&endDate="+today.Format(time.DateOnly), &sums)
			days := map[string]map[string]bool{} // reservation -> days
			for _, r := range sums {
				if days[r.ID] == nil {
					days[r.ID] = map[string]bool{}
				}
				days[r.ID][r.Date[:10]] = true
			}
			if len(days) != len(reservations) {
				t.Fatalf("%d reservations with data, want %d", len(days), len(reservations))
			}
			for id, got := range days {
				if got[today.Format(time.DateOnly)] {
					t.Errorf("%s: today has data", id)
				}
				for d := from; d.Before(today); d = d.AddDate(0, 0, 1) {
					if !got[d.Format(time.DateOnly)] {
						t.Errorf("%s: no data for %s", id, d.Format(time.DateOnly))
					}
				}
			}
			// Utilisation over the portal's windows: one reservation is
			// under-used, another well used, whatever the day.
			for _, window := range []int{1, 7, 30} {
				first := today.AddDate(0, 0, -window).Format(time.DateOnly)
				reserved, used := map[string]float64{}, map[string]float64{}
				for _, r := range sums {
					if r.Date[:10] >= first {
						reserved[r.ID] += r.Reserved
						used[r.ID] += r.Used
					}
				}
				low, high := 0, 0
				for id := range reserved {
					switch ratio := used[id] / reserved[id]; {
					case ratio < 0.8:
						low++
					case ratio >= 0.9:
						high++
					}
				}
				if low == 0 || high == 0 {
					t.Errorf("%dd window: %d under-used and %d well-used reservations", window, low, high)
				}
			}
		})
	}
}
