package armclient

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

const priceCSV = "BasePrice,CurrencyCode,EffectiveEndDate,EffectiveStartDate,IncludedQuantity,MarketPrice,MeterId,MeterCategory,MeterName,MeterSubCategory,MeterRegion,MeterType,PartNumber,priceType,Product,ProductID,ServiceFamily,SkuID,Term,UnitOfMeasure,UnitPrice\r\n" +
	"0.1,USD,,2026-03-01,0,0.1,m-1,Virtual Machines,D2s v3,Dsv3 Series,US East,,AAA-1,Consumption,VM D2s,P1,Compute,S1,,1 Hour,0.096\r\n" +
	"0.1,USD,,2026-03-01,0,0.1,m-1,Virtual Machines,D2s v3,Dsv3 Series,US East,,AAA-2,ReservedInstance,VM D2s,P1,Compute,S1,P1Y,1 Hour,500\r\n" +
	"0,USD,,2026-03-01,5,0,m-2,Storage,\"LRS, Data Stored\",Tables,US East,,BBB-1,Consumption,Tables,P2,Storage,S2,,1 GB/Month,0.045\r\n"

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// priceFlow scripts the fakes of one price-sheet download.
type priceFlow struct {
	postStatus int      // 202 (default) or 200 with the completed body
	polls      []string // poll answers before completion: "202", "running"
	final      string   // "completed" (default), "failed", "nodata", "never"
	location   string   // override of the Location header
	blob       []func(w http.ResponseWriter, r *http.Request)
}

func (f *priceFlow) install(t *testing.T, e *fakeEnv) *struct{ posts, polls int } {
	var mu sync.Mutex
	counts := &struct{ posts, polls int }{}
	hdr := fixture(t, "CM_EAPriceSheetForBillingPeriod.json", "202", "headers")
	var h202 struct {
		Location   string `json:"Location"`
		RetryAfter string `json:"Retry-After"`
	}
	if err := json.Unmarshal(hdr, &h202); err != nil {
		t.Fatal(err)
	}
	completed := func() string {
		var body map[string]any
		_ = json.Unmarshal(fixture(t, "CM_EAPriceSheetForBillingPeriod.json", "200", "body"), &body)
		body["properties"].(map[string]any)["downloadUrl"] = e.blob.URL + "/armpricesheet/202603.zip?sv=2020-05-31&sr=b&sig=SECRETSIG"
		body["properties"].(map[string]any)["validTill"] = testNow.Add(time.Hour).Format(time.RFC3339)
		b, _ := json.Marshal(body)
		return string(b)
	}
	opPath := "/providers/Microsoft.Billing/billingAccounts/123456/providers/Microsoft.CostManagement/operationResults/op1"
	e.setARM(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/providers/Microsoft.Billing/billingAccounts/123456/billingPeriods/202603/providers/Microsoft.CostManagement/pricesheets/default/download":
			counts.posts++
			if r.URL.Query().Get("api-version") != "2025-03-01" {
				t.Errorf("api-version %q", r.URL.RawQuery)
			}
			if f.postStatus == 200 {
				writeJSON(w, 200, completed())
				return
			}
			loc := e.arm.URL + opPath + "?api-version=2023-09-01"
			if f.location != "" {
				loc = f.location
			}
			w.Header().Set("Location", loc)
			w.Header().Set("Retry-After", h202.RetryAfter)
			w.WriteHeader(202)
		case r.Method == http.MethodGet && r.URL.Path == opPath:
			counts.polls++
			i := counts.polls - 1
			if i < len(f.polls) || f.final == "never" {
				if i < len(f.polls) && f.polls[i] == "running" {
					writeJSON(w, 200, `{"status":"Running"}`)
					return
				}
				w.Header().Set("Retry-After", "10")
				w.WriteHeader(202)
				return
			}
			switch f.final {
			case "failed":
				writeJSON(w, 200, `{"status":"Failed","error":{"code":"ReportGenerationFailed","message":"The price sheet could not be generated."}}`)
			case "nodata":
				writeJSON(w, 200, `{"status":"NoDataFound"}`)
			default:
				writeJSON(w, 200, completed())
			}
		default:
			http.NotFound(w, r)
		}
	})
	var blobCalls int
	e.blobHander = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := blobCalls
		blobCalls++
		mu.Unlock()
		if r.URL.Query().Get("sig") != "SECRETSIG" {
			t.Errorf("blob query %q", r.URL.RawQuery)
		}
		if i >= len(f.blob) {
			i = len(f.blob) - 1
		}
		f.blob[i](w, r)
	}
	return counts
}

func serveZip(t *testing.T) func(w http.ResponseWriter, r *http.Request) {
	z := zipOf(t, map[string]string{"pricesheet_part1.csv": priceCSV, "readme.txt": "not a csv"})
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/zip")
		_, _ = w.Write(z)
	}
}

func expiredLink(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(403)
	_, _ = w.Write([]byte("\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:1\nTime:2026-03-15T12:00:00Z</Message><AuthenticationErrorDetail>Signed expiry time [Sun, 15 Mar 2026 11:00:00 GMT] must be after signed start time</AuthenticationErrorDetail></Error>"))
}

func TestPriceSheet(t *testing.T) {
	wantRows := []billing.Price{
		{PeriodID: "202603", MeterID: "m-1", MeterName: "D2s v3", PartNumber: "AAA-1", UnitOfMeasure: "1 Hour", UnitPrice: 0.096, Currency: "USD"},
		{PeriodID: "202603", MeterID: "m-2", MeterName: "LRS, Data Stored", PartNumber: "BBB-1", UnitOfMeasure: "1 GB/Month", UnitPrice: 0.045, IncludedQuantity: 5, Currency: "USD"},
	}
	bareCSV := func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("\xef\xbb\xbfPrice sheet for enrollment 123456\r\n\r\n" + priceCSV))
	}
	for _, tc := range []struct {
		name      string
		flow      priceFlow
		timeout   time.Duration
		wantErr   string
		wantKind  Kind
		noData    bool
		wantWaits []time.Duration
		wantPosts int
	}{
		{name: "202 then poll then ZIP", flow: priceFlow{polls: []string{"202", "running"}, blob: []func(http.ResponseWriter, *http.Request){serveZip(t)}},
			wantWaits: []time.Duration{60 * time.Second, 10 * time.Second, 30 * time.Second}, wantPosts: 1},
		{name: "completed on the POST", flow: priceFlow{postStatus: 200, blob: []func(http.ResponseWriter, *http.Request){serveZip(t)}}, wantPosts: 1},
		{name: "bare CSV with BOM and preamble", flow: priceFlow{blob: []func(http.ResponseWriter, *http.Request){bareCSV}}, wantWaits: []time.Duration{60 * time.Second}, wantPosts: 1},
		{name: "operation failed", flow: priceFlow{final: "failed"}, wantErr: "ReportGenerationFailed: operation Failed: The price sheet could not be generated.", wantKind: KindAsync},
		{name: "no data", flow: priceFlow{final: "nodata"}, noData: true},
		{name: "never ready", flow: priceFlow{final: "never"}, timeout: 5 * time.Minute, wantErr: "not ready within 5m0s", wantKind: KindAsync},
		{name: "expired link renewed", flow: priceFlow{blob: []func(http.ResponseWriter, *http.Request){expiredLink, serveZip(t)}}, wantPosts: 2,
			wantWaits: []time.Duration{60 * time.Second, 60 * time.Second}},
		{name: "expired link twice", flow: priceFlow{blob: []func(http.ResponseWriter, *http.Request){expiredLink}}, wantPosts: 2,
			wantErr: "HTTP 403 Forbidden (asynchronous report failed): AuthenticationFailed: download from 127.0.0.1", wantKind: KindAsync},
		{name: "foreign Location refused", flow: priceFlow{location: "https://evil.example/op?x=1"}, wantErr: `refusing link to foreign host "evil.example"`, wantKind: KindProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t)
			counts := tc.flow.install(t, e)
			c, clk, obs := e.client(t, func(c *Config, _ *CredentialOptions) {
				if tc.timeout > 0 {
					c.AsyncTimeout = tc.timeout
				}
			})
			rows, res, err := c.PriceSheet(context.Background(), "202603", "")
			if tc.noData {
				if !errors.Is(err, billing.ErrNoData) {
					t.Fatalf("err = %v, want ErrNoData", err)
				}
				return
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if k, _ := KindOf(err); k != tc.wantKind {
					t.Errorf("kind %v, want %v", k, tc.wantKind)
				}
				if strings.Contains(err.Error(), "SECRETSIG") || strings.Contains(err.Error(), "eyJ") {
					t.Errorf("error leaks a secret: %v", err)
				}
				if tc.wantPosts > 0 && counts.posts != tc.wantPosts {
					t.Errorf("%d POSTs, want %d", counts.posts, tc.wantPosts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rows, wantRows) {
				t.Errorf("rows\n%+v\nwant\n%+v", rows, wantRows)
			}
			if res.Rows != 3 {
				t.Errorf("rows read %d, want 3 (the reserved-instance row is read, not kept)", res.Rows)
			}
			if counts.posts != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", counts.posts, tc.wantPosts)
			}
			if w := clk.waits(); tc.wantWaits != nil && !slices.Equal(w, tc.wantWaits) {
				t.Errorf("waits %v, want %v", w, tc.wantWaits)
			}
			if got := obs.get(); !slices.Contains(got, "price_sheet/200") {
				t.Errorf("observed %v", got)
			}
			for _, l := range e.requests("blob") {
				if l.auth != "" {
					t.Errorf("blob request carried Authorization")
				}
			}
			if n := len(e.requests("blob")); n == 0 {
				t.Error("blob never fetched")
			}
		})
	}
}

func TestPriceSheetNotModified(t *testing.T) {
	e := newFakeEnv(t)
	(&priceFlow{postStatus: 200, blob: []func(http.ResponseWriter, *http.Request){serveZip(t)}}).install(t, e)
	c, _, _ := e.client(t)
	_, res, err := c.PriceSheet(context.Background(), "202603", "")
	if err != nil {
		t.Fatal(err)
	}
	rows, res2, err := c.PriceSheet(context.Background(), "202603", res.Revision)
	if err != nil || !res2.NotModified || rows != nil || res2.Revision != res.Revision {
		t.Fatalf("%v %+v %v", rows, res2, err)
	}
}
