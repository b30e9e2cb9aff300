package eaclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

const testKey = "test-key-abc.def.ghi"

// fixtureServer serves testdata files by path (matched case-insensitively,
// query ignored) and checks the bearer key on every request.
func fixtureServer(t *testing.T, routes map[string]string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+testKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		file, ok := routes[strings.ToLower(r.URL.Path)]
		if !ok {
			t.Errorf("unexpected request %s", r.URL)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		body, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("ETag", `"fixture"`)
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func newTestClient(t *testing.T, base string, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: base, Enrollment: "100", APIKey: testKey, Retry: Retry{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxElapsed: 5 * time.Second}}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func date(y int, m time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, m, d, h, mi, s, 0, time.UTC)
}

func TestPublishedSamples(t *testing.T) {
	ctx := context.Background()
	ts := fixtureServer(t, map[string]string{
		"/v2/enrollments/100/billingperiods":                           "billingperiods.json",
		"/v3/enrollments/100/billingperiods/201507/balancesummary":     "balancesummary_array.json",
		"/v3/enrollments/100/balancesummary":                           "balancesummary_object.json",
		"/v3/enrollments/100/billingperiods/201808/usagedetails":       "usage_v3.json",
		"/v3/enrollments/100/billingperiods/201704/usagedetails":       "usage_v2.json",
		"/v3/enrollments/100/billingperiods/201703/usagedetails":       "usage_v1.json",
		"/v3/enrollments/100/marketplacechargesbycustomdate":           "marketplace_observed.json",
		"/v3/enrollments/100/billingperiods/201509/marketplacecharges": "marketplace_doc_v3.json",
		"/v3/enrollments/100/billingperiods/201704/pricesheet":         "pricesheet.json",
		"/v2/enrollments/100/reservationdetails":                       "reservationdetails.json",
		"/v2/enrollments/100/reservationsummaries":                     "reservationsummaries.json",
		"/v4/enrollments/100/reservationcharges":                       "reservationcharges_observed.json",
	})
	c := newTestClient(t, ts.URL)

	t.Run("billing periods", func(t *testing.T) {
		got, meta, err := c.BillingPeriods(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		want := []billing.Period{{ID: "201704", Start: date(2017, 4, 1, 0, 0, 0), End: date(2017, 4, 30, 11, 59, 59)}}
		if len(got) != 1 || got[0] != want[0] {
			t.Errorf("got %+v, want %+v", got, want)
		}
		if meta.ETag != `"fixture"` || meta.Rows != 1 || meta.NotModified {
			t.Errorf("meta = %+v", meta)
		}
	})

	t.Run("balance summary array with numeric period id", func(t *testing.T) {
		got, _, err := c.BalanceSummary(ctx, "201507", "")
		if err != nil {
			t.Fatal(err)
		}
		want := billing.BalanceSummary{PeriodID: "201507", Currency: "USD", EndingBalance: 1.1, NewPurchases: 1, Adjustments: 1.1, Utilized: 1.1, ServiceOverage: 1, ChargesBilledSeparately: 1, TotalOverage: 1, TotalUsage: 1.1, MarketplaceCharges: 1}
		if len(got) != 1 || got[0] != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})

	t.Run("balance summary object for the current period", func(t *testing.T) {
		got, _, err := c.BalanceSummary(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].PeriodID != "201507" || got[0].EndingBalance != 1.1 {
			t.Errorf("got %+v", got)
		}
	})

	usage := func(t *testing.T, period string) []billing.UsageRow {
		var rows []billing.UsageRow
		_, err := c.UsageDetails(ctx, Query{BillingPeriod: period}, "", func(r *billing.UsageRow) error {
			rows = append(rows, *r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	t.Run("usage v3", func(t *testing.T) {
		rows := usage(t, "201808")
		want := billing.UsageRow{
			Date: date(2018, 8, 1, 0, 0, 0), Cost: 1, Quantity: 1, Department: "Department Name", AccountName: "Account Name",
			CostCenter: "1234", SubscriptionID: "00000000-0000-0000-0000-000000000000", SubscriptionName: "Subscription Name",
			MeterID: "00000000-0000-0000-0000-000000000000", MeterCategory: "Storage", MeterSubcategory: "Locally Redundant",
			MeterName: "Premium Storage - Page Blob/P10 (Units)", MeterRegion: "California", UnitOfMeasure: "Units",
			ResourceGroup: "ResourceGroup", ResourceLocation: "uswest", ServiceName: "Storage", ServiceTier: "Premium Page Blobs",
			Product: "Locally Redundant Storage Premium Storage - Page Blob/P10 - US West", ConsumedService: "Microsoft.Compute",
		}
		if len(rows) != 1 || !equalRows(rows[0], want) {
			t.Errorf("got %+v\nwant %+v", rows, want)
		}
	})
	t.Run("usage v2 capital Cost", func(t *testing.T) {
		rows := usage(t, "201704")
		if len(rows) != 1 || rows[0].Cost != 2.5 || !rows[0].Date.Equal(time.Date(2017, 4, 27, 23, 1, 43, 799e6, time.UTC)) {
			t.Errorf("got %+v", rows)
		}
	})
	t.Run("usage v1 extendedCost and tags", func(t *testing.T) {
		rows := usage(t, "201703")
		if len(rows) != 1 || rows[0].Cost != 4.25 || rows[0].Quantity != 3 || rows[0].Tags["billing-service-component"] != "Exasol-Prod" {
			t.Errorf("got %+v", rows)
		}
	})

	t.Run("marketplace capture", func(t *testing.T) {
		got, _, err := c.MarketplaceCharges(ctx, Query{Start: date(2019, 5, 1, 0, 0, 0), End: date(2019, 5, 1, 0, 0, 0)}, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d rows", len(got))
		}
		if !got[1].UsageStart.Equal(date(2019, 5, 1, 0, 0, 0)) || !got[1].UsageEnd.Equal(date(2019, 5, 1, 23, 59, 59)) {
			t.Errorf("spaced timestamps: got %v..%v", got[1].UsageStart, got[1].UsageEnd)
		}
		if got[1].Cost != 3.000067456 || !got[1].Recurring || got[0].Tags["billing-service-component"] != "Exasol-Prod" || got[1].Tags != nil {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("marketplace doc v3 string boolean", func(t *testing.T) {
		got, _, err := c.MarketplaceCharges(ctx, Query{BillingPeriod: "201509"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Recurring || got[0].Offer != "Virtual LoadMaster™ (VLM) for Azure" || got[0].Publisher != "Publisher 1" || got[0].Cost != 1.11 {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("price sheet", func(t *testing.T) {
		got, _, err := c.PriceSheet(ctx, "201704", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[1].PeriodID != "201704" || got[0].PartNumber != "N7H-00015" || got[1].UnitOfMeasure != "100 GB" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("reservation details", func(t *testing.T) {
		got, _, err := c.ReservationDetails(ctx, date(2018, 2, 1, 0, 0, 0), date(2018, 2, 28, 0, 0, 0), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ReservedHours != 432 || got[0].UsedHours != 400 || got[0].ReservedQuantity != 18 || got[0].SKU != "Standard_F2s" {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("reservation summaries", func(t *testing.T) {
		got, _, err := c.ReservationSummaries(ctx, "daily", date(2018, 5, 1, 0, 0, 0), date(2018, 5, 1, 0, 0, 0), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].AvgUtilizationPercent != 95.83 || got[0].UsedHours != 23 || !got[0].Date.Equal(date(2018, 5, 1, 0, 0, 0)) {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("reservation charges capture", func(t *testing.T) {
		got, _, err := c.ReservationCharges(ctx, date(2019, 4, 1, 0, 0, 0), date(2019, 4, 30, 0, 0, 0), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Amount != 13180 || got[0].Currency != "CHF" || got[0].SubscriptionName != "company1 DevOps Subscription" ||
			!got[0].EventDate.Equal(date(2019, 4, 25, 7, 53, 31)) || got[1].ReservationOrderName != "WebLB-Prod" {
			t.Errorf("got %+v", got)
		}
	})
}

func TestReservationChargesDocSpelling(t *testing.T) {
	ts := fixtureServer(t, map[string]string{"/v4/enrollments/100/reservationcharges": "reservationcharges_doc_v4.json"})
	got, _, err := newTestClient(t, ts.URL).ReservationCharges(context.Background(), date(2021, 3, 1, 0, 0, 0), date(2021, 3, 31, 0, 0, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	// The docs spell it PurchasingsubscriptionGuid; JSON keys match case-insensitively.
	if len(got) != 1 || got[0].SubscriptionID != "00000000-0000-0000-0000-000000000000" || got[0].BillingFrequency != "OneTime" || got[0].Amount != 123.45 {
		t.Errorf("got %+v", got)
	}
}

func equalRows(a, b billing.UsageRow) bool {
	if len(a.Tags) != len(b.Tags) {
		return false
	}
	for k, v := range a.Tags {
		if b.Tags[k] != v {
			return false
		}
	}
	a.Tags, b.Tags = nil, nil
	return reflect.DeepEqual(a, b)
}
