package demo

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// TestScenariosOnAnyDay: on any day of the month, the 1st and the last
// included, the demo shows what it promises: enrollment 200 in overage and
// 100 not, a budget exceeded, and reservations of 100 both under-used and
// well used over every utilisation window.
func TestScenariosOnAnyDay(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC),
		time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC),
		time.Date(2027, 1, 1, 0, 10, 0, 0, time.UTC),
		time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC),
	} {
		t.Run(now.Format(time.RFC3339), func(t *testing.T) {
			d, err := StartAt(0, func() time.Time { return now }, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			cfg, _, err := d.Config()
			if err != nil {
				t.Fatal(err)
			}
			sim := map[string]int{"100": 0, "200": 1} // enrollment -> d.sims, d.urls
			get := func(enrollment, path string, v any) {
				t.Helper()
				i := sim[enrollment]
				url := path
				if path[0] == '/' {
					url = d.urls[i] + path
				}
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+d.sims[i].APIKey())
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: %s", url, resp.Status)
				}
				if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
					t.Fatalf("%s: %v", url, err)
				}
			}

			t.Run("overage", func(t *testing.T) {
				for _, tc := range []struct {
					enrollment string
					overage    bool
				}{{"100", false}, {"200", true}} {
					var b []struct {
						End            float64 `json:"endingBalance"`
						ServiceOverage float64 `json:"serviceOverage"`
					}
					get(tc.enrollment, "/v3/enrollments/"+tc.enrollment+"/balancesummary", &b)
					if len(b) != 1 {
						t.Fatalf("%s: %d balance summaries", tc.enrollment, len(b))
					}
					if got := b[0].ServiceOverage > 0 && b[0].End == 0; got != tc.overage {
						t.Errorf("enrollment %s: in overage %v, want %v: %+v", tc.enrollment, got, tc.overage, b[0])
					}
				}
			})

			t.Run("budget exceeded", func(t *testing.T) {
				// Spend of the current period by department ("" = all), as
				// azure_ea_budget_spent sums it: marketplace and usage. The
				// marketplace alone is cheap to read and may settle it; usage
				// is read only when it does not.
				spend := func(enrollment string, usage bool) map[string]float64 {
					by := map[string]float64{}
					add := func(dept string, cost float64) { by[dept] += cost; by[""] += cost }
					var mkt []struct {
						Department string  `json:"departmentName"`
						Cost       float64 `json:"extendedCost"`
					}
					get(enrollment, "/v3/enrollments/"+enrollment+"/marketplacecharges", &mkt)
					for _, r := range mkt {
						add(r.Department, r.Cost)
					}
					for url := "/v3/enrollments/" + enrollment + "/usagedetails"; usage && url != ""; {
						var page struct {
							Data []struct {
								Department string  `json:"departmentName"`
								Cost       float64 `json:"cost"`
							} `json:"data"`
							NextLink *string `json:"nextLink"`
						}
						get(enrollment, url, &page)
						for _, r := range page.Data {
							add(r.Department, r.Cost)
						}
						url = ""
						if page.NextLink != nil {
							url = *page.NextLink
						}
					}
					return by
				}
				for _, usage := range []bool{false, true} {
					for _, b := range cfg.Budgets {
						for k := range b.Match {
							if k != "department" {
								t.Fatalf("budget %s matches on %s: this test only sums by department", b.Name, k)
							}
						}
						if spend(b.Enrollment, usage)[b.Match["department"]] > b.Amount {
							return
						}
					}
				}
				t.Error("no budget exceeded")
			})

			t.Run("reservations", func(t *testing.T) {
				today := now.Truncate(24 * time.Hour)
				var sums []struct {
					ID       string  `json:"reservationId"`
					Date     string  `json:"usageDate"`
					Reserved float64 `json:"reservedHours"`
					Used     float64 `json:"usedHours"`
				}
				get("100", "/v2/enrollments/100/reservationsummaries?grain=daily&startDate="+today.AddDate(0, 0, -35).Format(time.DateOnly)+"&endDate="+today.Format(time.DateOnly), &sums)
				// The windows end with the newest complete day with data.
				newest := ""
				for _, r := range sums {
					newest = max(newest, r.Date[:10])
				}
				last, err := time.Parse(time.DateOnly, newest)
				if err != nil {
					t.Fatalf("no reservation data: %v", err)
				}
				for _, window := range []int{1, 7, 30} {
					first := last.AddDate(0, 0, 1-window).Format(time.DateOnly)
					reserved, used := map[string]float64{}, map[string]float64{}
					for _, r := range sums {
						if r.Date[:10] >= first {
							reserved[r.ID] += r.Reserved
							used[r.ID] += r.Used
						}
					}
					under, well := 0, 0
					for id := range reserved {
						if used[id]/reserved[id] < 0.8 {
							under++
						} else {
							well++
						}
					}
					if under == 0 || well == 0 {
						t.Errorf("%dd window: %d reservations under-used, %d well used", window, under, well)
					}
				}
			})
		})
	}
}
