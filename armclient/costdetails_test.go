package armclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// Cost Details against the fakes: hand-written CSV (quoted newlines,
// tags, departments, a marketplace row), a blob host that breaks the body
// off and serves Range requests, and one that fails with the SAS in the
// way.

const costCSV1 = "InvoiceSectionName,AccountName,SubscriptionId,SubscriptionName,Date,MeterCategory,MeterSubCategory,MeterId,MeterName,MeterRegion,UnitOfMeasure,Quantity,EffectivePrice,CostInBillingCurrency,CostCenter,ResourceGroup,ResourceLocation,Tags,AdditionalInfo,PublisherType,PublisherName,OfferId,PlanName,Frequency,IsAzureCreditEligible\r\n" +
	"Engineering,Acct 1,sub-1,Sub One,03/01/2026,Virtual Machines,Dv3,m-1,D2 v3,US East,1 Hour,24,0.1,2.4,CC1,rg-a,eastus,\"\"\"env\"\": \"\"prod\"\",\"\"app\"\": \"\"web\"\"\",\"{\"\"note\"\":\"\"line one\r\nline two\"\"}\",Azure,Microsoft,MS-AZR-0017P,,UsageBased,True\r\n" +
	"Finance,Acct 2,sub-2,\"Sub, Two\",03/02/2026,Storage,Tables,m-2,LRS,US East,1 GB/Month,10,0.05,0.5,CC2,rg-b,eastus,,,Azure,Microsoft,MS-AZR-0017P,,UsageBased,False\r\n"

const costCSV2 = "InvoiceSectionName,AccountName,SubscriptionId,SubscriptionName,Date,MeterCategory,MeterSubCategory,MeterId,MeterName,MeterRegion,UnitOfMeasure,Quantity,EffectivePrice,CostInBillingCurrency,CostCenter,ResourceGroup,ResourceLocation,Tags,AdditionalInfo,PublisherType,PublisherName,OfferId,PlanName,Frequency,IsAzureCreditEligible\r\n" +
	"Engineering,Acct 1,sub-1,Sub One,03/03/2026,,,,Plan A,,1 Month,1,30,30,CC1,,,\"\"\"team\"\": \"\"x\"\"\",,Marketplace,Contoso,contoso-offer,Plan A,Recurring,False\r\n" +
	"Engineering,Acct 1,sub-1,Sub One,03/03/2026,Virtual Machines,Dv3,m-1,D2 v3,US East,1 Hour,24,0.1,2.4,CC1,rg-a,eastus,,,Azure,Microsoft,MS-AZR-0017P,,UsageBased,True\r\n"

type costFake struct {
	mu         sync.Mutex
	posts      []string
	blobs      map[string]string // path -> content
	breakAfter int               // the first GET of each blob breaks off after this many bytes (0: never)
	broken     map[string]bool
	ranges     []string
	blobStatus int
}

func (f *costFake) install(t *testing.T, e *fakeEnv) {
	opPath := "/providers/Microsoft.Billing/billingAccounts/123456/providers/Microsoft.CostManagement/costDetailsOperationResults/op1"
	e.setARM(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/providers/Microsoft.Billing/billingAccounts/123456/providers/Microsoft.CostManagement/generateCostDetailsReport":
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			b, _ := json.Marshal(body)
			f.mu.Lock()
			f.posts = append(f.posts, string(b))
			f.mu.Unlock()
			w.Header().Set("Location", e.arm.URL+opPath+"?api-version=2025-03-01")
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(202)
		case r.Method == http.MethodGet && r.URL.Path == opPath:
			var blobs []map[string]any
			for _, p := range []string{"/armreports/op1/part_0.csv", "/armreports/op1/part_1.csv"} {
				blobs = append(blobs, map[string]any{"blobLink": e.blob.URL + p + "?sv=2020-05-31&sr=b&sig=SECRETSIG", "byteCount": len(f.blobs[p])})
			}
			writeJSON(w, 200, map[string]any{"status": "Completed", "manifest": map[string]any{"blobCount": 2, "blobs": blobs}, "validTill": testNow.Add(1e12).Format("2006-01-02T15:04:05Z")})
		default:
			http.NotFound(w, r)
		}
	})
	e.blobHander = func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.blobStatus != 0 {
			w.WriteHeader(f.blobStatus)
			fmt.Fprintf(w, "<?xml version=\"1.0\"?><Error><Code>ServerBusy</Code><Message>busy for %s</Message></Error>", r.URL.String())
			return
		}
		content, ok := f.blobs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"0x8DC1"`)
		if rg := r.Header.Get("Range"); rg != "" {
			f.ranges = append(f.ranges, rg+" "+r.Header.Get("If-Match"))
			from, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(content)-1, len(content)))
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write([]byte(content[from:]))
			return
		}
		if f.breakAfter > 0 && !f.broken[r.URL.Path] {
			f.broken[r.URL.Path] = true
			// Promise the whole length, send part, then cut the connection.
			w.Header().Set("Content-Length", strconv.Itoa(len(content)))
			w.WriteHeader(200)
			_, _ = w.Write([]byte(content[:f.breakAfter]))
			w.(http.Flusher).Flush()
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
		_, _ = w.Write([]byte(content))
	}
}

func TestCostDetailsCSVFromFakes(t *testing.T) {
	e := newFakeEnv(t)
	f := &costFake{blobs: map[string]string{"/armreports/op1/part_0.csv": costCSV1, "/armreports/op1/part_1.csv": costCSV2}, breakAfter: 300, broken: map[string]bool{}}
	f.install(t, e)
	c, _, _ := e.client(t)
	var rows []billing.UsageRow
	res, err := c.UsageDetails(context.Background(), "202603", "", billing.UsageWant{}, func(r *billing.UsageRow) error {
		cp := *r
		for _, s := range []*string{&cp.Department, &cp.AccountName, &cp.CostCenter, &cp.SubscriptionID, &cp.SubscriptionName, &cp.MeterID,
			&cp.MeterCategory, &cp.MeterSubcategory, &cp.MeterName, &cp.MeterRegion, &cp.UnitOfMeasure, &cp.ResourceGroup,
			&cp.ResourceLocation, &cp.ServiceName, &cp.ServiceTier, &cp.Product, &cp.ConsumedService} {
			*s = strings.Clone(*s)
		}
		tags := map[string]string{}
		for k, v := range r.Tags {
			tags[strings.Clone(k)] = strings.Clone(v)
		}
		cp.Tags = tags
		rows = append(rows, cp)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || res.Rows != 3 {
		t.Fatalf("%d rows, result %+v", len(rows), res)
	}
	if r := rows[0]; r.Department != "Engineering" || r.Cost != 2.4 || r.Tags["env"] != "prod" || r.Tags["app"] != "web" || r.ServiceName != "Virtual Machines" || r.CostCenter != "CC1" || r.MeterSubcategory != "Dv3" || r.ChargesBilledSeparately {
		t.Errorf("row 0 %+v", r)
	}
	if r := rows[1]; r.Department != "Finance" || r.SubscriptionName != "Sub, Two" || len(r.Tags) != 0 || !r.ChargesBilledSeparately {
		t.Errorf("row 1 %+v", r)
	}
	if f.posts[0] != `{"billingPeriod":"202603","metric":"ActualCost"}` {
		t.Errorf("body %s", f.posts[0])
	}
	// Each blob broke off once and was resumed with a Range request.
	if len(f.ranges) != 2 || f.ranges[0] != `bytes=300- "0x8DC1"` {
		t.Errorf("ranges %q", f.ranges)
	}
	ms, mres, err := c.MarketplaceCharges(context.Background(), "202603", "")
	if err != nil || len(ms) != 1 || mres.Revision != res.Revision || len(f.posts) != 1 {
		t.Fatalf("%v %+v %v, %d posts", ms, mres, err, len(f.posts))
	}
	if m := ms[0]; m.Publisher != "Contoso" || m.Offer != "contoso-offer" || m.Plan != "Plan A" || m.Cost != 30 || !m.Recurring || m.Department != "Engineering" || m.Tags["team"] != "x" {
		t.Errorf("charge %+v", m)
	}
	// Unchanged content, same revision.
	res2, err := c.UsageDetails(context.Background(), "202603", res.Revision, billing.UsageWant{}, func(*billing.UsageRow) error { return nil })
	if err != nil || !res2.NotModified {
		t.Errorf("%+v %v", res2, err)
	}
}

func TestCostDetailsBlobErrorHasNoSAS(t *testing.T) {
	e := newFakeEnv(t)
	f := &costFake{blobs: map[string]string{"/armreports/op1/part_0.csv": costCSV1, "/armreports/op1/part_1.csv": costCSV2}, blobStatus: 500}
	f.install(t, e)
	c, _, _ := e.client(t)
	_, err := c.UsageDetails(context.Background(), "202603", "", billing.UsageWant{}, func(*billing.UsageRow) error { return nil })
	if err == nil || strings.Contains(err.Error(), "SECRETSIG") || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "blob 1/2") {
		t.Errorf("error %v", err)
	}
	if n := len(e.requests("blob")); n != 4 {
		t.Errorf("%d blob requests, want 4 (retries)", n)
	}
}
