package eaclient_test

import (
	"context"
	"errors"
	"math"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

func fastReports(c *eaclient.Config) {
	c.ReportPollInterval = time.Millisecond
	c.ReportDeadline = 20 * time.Second
}

// usageAgg sums cost and quantity per department, subscription and meter.
type usageAgg map[[3]string]*[2]float64

func (a usageAgg) add(r *billing.UsageRow) error {
	k := [3]string{strings.Clone(r.Department), strings.Clone(r.SubscriptionID), strings.Clone(r.MeterID)}
	v := a[k]
	if v == nil {
		v = new([2]float64)
		a[k] = v
	}
	v[0] += r.Cost
	v[1] += r.Quantity
	return nil
}

func (a usageAgg) total() float64 {
	t := 0.0
	for _, v := range a {
		t += v[0]
	}
	return t
}

func sameAgg(t *testing.T, name string, got, want usageAgg) {
	t.Helper()
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("%s: %d label sets, want %d", name, len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if g == nil {
			t.Fatalf("%s: missing %v", name, k)
		}
		for i := range 2 {
			if math.Abs(g[i]-w[i]) > 1e-9*math.Max(math.Abs(w[i]), 1e-300) {
				t.Fatalf("%s: %v[%d] = %v, want %v", name, k, i, g[i], w[i])
			}
		}
	}
}

func jsonAgg(t *testing.T, c *eaclient.Client, period string) usageAgg {
	t.Helper()
	a := usageAgg{}
	if _, err := c.UsageDetails(context.Background(), eaclient.Query{BillingPeriod: period}, "", a.add); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestUsageCSVDownload(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, simulator.Options{UsageRowsPerDay: 40, PageSize: 500}, fastReports)
	want := jsonAgg(t, c, "202610")
	got := usageAgg{}
	m, err := c.UsageDetailsCSV(ctx, eaclient.Query{BillingPeriod: "202610"}, "", got.add)
	if err != nil {
		t.Fatal(err)
	}
	sameAgg(t, "download", got, want)
	if m.Rows != 31*40 || m.ETag == "" || strings.HasPrefix(m.ETag, "sha256:") || m.NotModified || m.Bytes == 0 {
		t.Fatalf("meta %+v", m)
	}
	// The route's ETag: 304, no rows.
	m2, err := c.UsageDetailsCSV(ctx, eaclient.Query{BillingPeriod: "202610"}, m.ETag, func(*billing.UsageRow) error { t.Fatal("row on 304"); return nil })
	if err != nil || !m2.NotModified || m2.ETag != m.ETag {
		t.Fatalf("304: %+v %v", m2, err)
	}
	if sim.Responses(simulator.RouteUsageDownload, 304) != 1 {
		t.Error("want a 304 from the route")
	}

	// Without an ETag the revision is the file's hash.
	sim.SetCSVOptions(simulator.CSVOptions{NoDownloadETag: true})
	m3, err := c.UsageDetailsCSV(ctx, eaclient.Query{BillingPeriod: "202611"}, m.ETag, func(*billing.UsageRow) error { return nil })
	if err != nil || !strings.HasPrefix(m3.ETag, "sha256:") || len(m3.ETag) != 7+64 || m3.NotModified {
		t.Fatalf("hash: %+v %v", m3, err)
	}
	m4, err := c.UsageDetailsCSV(ctx, eaclient.Query{BillingPeriod: "202611"}, m3.ETag, func(*billing.UsageRow) error { return nil })
	if err != nil || !m4.NotModified || m4.ETag != m3.ETag || m4.Rows != m3.Rows {
		t.Fatalf("same hash: %+v %v", m4, err)
	}
	sim.Bump() // late rows arrive in the current period
	m5, err := c.UsageDetailsCSV(ctx, eaclient.Query{BillingPeriod: "202611"}, m3.ETag, func(*billing.UsageRow) error { return nil })
	if err != nil || m5.NotModified || m5.ETag == m3.ETag || m5.Rows <= m3.Rows {
		t.Fatalf("after bump: %+v %v", m5, err)
	}
	// More than a month is refused by the API.
	_, err = c.UsageDetailsCSV(ctx, eaclient.Query{Start: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}, "", func(*billing.UsageRow) error { return nil })
	if k, _ := eaclient.KindOf(err); k != eaclient.KindBadRequest {
		t.Errorf("two months: %v", err)
	}
}

func TestUsageCSVLocalisedHeaderAndQuotedNewlines(t *testing.T) {
	sim, c := startSim(t, simulator.Options{UsageRowsPerDay: 30}, fastReports)
	sim.SetCSVOptions(simulator.CSVOptions{Localised: true, NewlinesInFields: true})
	want := jsonAgg(t, c, "202610")
	for _, read := range []func(context.Context, eaclient.Query, string, func(*billing.UsageRow) error) (eaclient.Meta, error){c.UsageDetailsCSV, c.UsageDetailsReport} {
		got := usageAgg{}
		m, err := read(context.Background(), eaclient.Query{BillingPeriod: "202610"}, "", got.add)
		if err != nil {
			t.Fatal(err)
		}
		sameAgg(t, "localised", got, want)
		if m.Rows != 31*30 {
			t.Errorf("rows %d", m.Rows)
		}
	}
}

func TestUsageReport(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	codes := map[string]int{}
	sim, c := startSim(t, simulator.Options{UsageRowsPerDay: 40}, fastReports, func(cfg *eaclient.Config) {
		cfg.ObserveRequest = func(report, code string) { mu.Lock(); codes[report+" "+code]++; mu.Unlock() }
	})
	sim.SetCSVOptions(simulator.CSVOptions{PollRetryAfter: 30 * time.Millisecond})
	want := jsonAgg(t, c, "202611")
	mu.Lock()
	clear(codes)
	mu.Unlock()
	got := usageAgg{}
	start := time.Now()
	m, err := c.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202611"}, "", got.add)
	if err != nil {
		t.Fatal(err)
	}
	sameAgg(t, "report", got, want)
	// submit, 3 polls (queued, in progress, completed), the blob; two
	// waits of Retry-After.
	if m.Requests != 5 || m.Rows != 28*40 || !strings.HasPrefix(m.ETag, "sha256:") || time.Since(start) < 60*time.Millisecond {
		t.Fatalf("meta %+v after %v", m, time.Since(start))
	}
	if sim.BlobRequests() != 1 || sim.BlobAuthorizations() != 0 {
		t.Fatalf("blob requests %d, with the key %d", sim.BlobRequests(), sim.BlobAuthorizations())
	}
	mu.Lock()
	if codes["usage_details 202"] != 1 || codes["usage_details 200"] != 4 || len(codes) != 2 {
		t.Errorf("observed %v", codes)
	}
	mu.Unlock()
	// The same file again: NotModified.
	m2, err := c.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202611"}, m.ETag, func(*billing.UsageRow) error { return nil })
	if err != nil || !m2.NotModified || m2.ETag != m.ETag {
		t.Fatalf("unchanged: %+v %v", m2, err)
	}
	if sim.BlobAuthorizations() != 0 {
		t.Fatal("the key reached the blob host")
	}
}

func TestUsageReportStatuses(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, simulator.Options{UsageRowsPerDay: 10}, fastReports)
	sim.SetCSVOptions(simulator.CSVOptions{ReportPolls: -1})
	for _, tc := range []struct {
		status int
		text   string
	}{{simulator.ReportFailed, "status 4 (Failed)"}, {simulator.ReportTimedOut, "status 7 (TimedOut)"}} {
		sim.AddReportOutcome(simulator.ReportOutcome{Status: tc.status, Times: 1})
		_, err := c.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { return nil })
		if k, _ := eaclient.KindOf(err); k != eaclient.KindReportFailed || !strings.Contains(err.Error(), tc.text) ||
			!strings.HasPrefix(err.Error(), "usage_details: ") || !strings.Contains(err.Error(), "202610") || strings.Contains(err.Error(), sim.APIKey()) {
			t.Errorf("status %d: %v", tc.status, err)
		}
	}
	// No data is an empty dataset.
	sim.AddReportOutcome(simulator.ReportOutcome{Status: simulator.ReportNoDataFound, Times: 1})
	m, err := c.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { t.Fatal("row"); return nil })
	if err != nil || m.Rows != 0 || m.ETag == "" {
		t.Fatalf("no data: %+v %v", m, err)
	}
	// ReadyToDownload (6) reads the blob like Completed.
	sim.AddReportOutcome(simulator.ReportOutcome{Status: simulator.ReportReadyToDownload, Times: 1})
	if m, err := c.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { return nil }); err != nil || m.Rows != 310 {
		t.Fatalf("ready to download: %+v %v", m, err)
	}
	// A report that never finishes runs into the deadline.
	sim.AddReportOutcome(simulator.ReportOutcome{Never: true, Times: 1})
	_, c2 := startSimShared(t, sim, func(cfg *eaclient.Config) {
		cfg.ReportPollInterval, cfg.ReportDeadline = 5*time.Millisecond, 200*time.Millisecond
	})
	_, err = c2.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { return nil })
	if k, _ := eaclient.KindOf(err); k != eaclient.KindReportFailed || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("never: %v", err)
	}
}

// startSimShared returns another client of sim.
func startSimShared(t *testing.T, sim *simulator.Server, mod ...func(*eaclient.Config)) (*simulator.Server, *eaclient.Client) {
	t.Helper()
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	cfg := eaclient.Config{BaseURL: ts.URL, Enrollment: sim.Enrollment(), APIKey: sim.APIKey(),
		Retry: eaclient.Retry{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := eaclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func TestUsageReportExpiredLink(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, simulator.Options{UsageRowsPerDay: 10}, fastReports)
	sim.SetCSVOptions(simulator.CSVOptions{ReportPolls: -1})
	sim.AddReportOutcome(simulator.ReportOutcome{ExpiredLink: true, Times: 1})
	m, err := c.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { return nil })
	if err != nil || m.Rows != 310 || sim.Requests(simulator.RouteUsageSubmit) != 2 || sim.Responses(simulator.RouteUsageBlob, 403) != 1 {
		t.Fatalf("%+v %v; submits %d", m, err, sim.Requests(simulator.RouteUsageSubmit))
	}
	// Expired again: one resubmission only.
	sim.AddReportOutcome(simulator.ReportOutcome{ExpiredLink: true, Times: 2})
	_, err = c.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { return nil })
	if k, _ := eaclient.KindOf(err); k != eaclient.KindReportFailed || errors.Is(err, billing.ErrNoData) || sim.Requests(simulator.RouteUsageSubmit) != 4 ||
		strings.Contains(err.Error(), "sig=") || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("twice: %v", err)
	}
	if sim.BlobAuthorizations() != 0 {
		t.Fatal("the key reached the blob host")
	}
}

func TestUsageReportThrottled(t *testing.T) {
	ctx := context.Background()
	sim, c := startSim(t, simulator.Options{UsageRowsPerDay: 10}, fastReports, func(cfg *eaclient.Config) { cfg.Retry.MaxAttempts = 3 })
	sim.AddFault(simulator.Fault{Report: simulator.RouteUsageSubmit, Status: 429, RetryAfter: 20 * time.Millisecond, Times: 2})
	sim.AddFault(simulator.Fault{Report: simulator.RouteUsageReport, Status: 429, RetryAfter: 20 * time.Millisecond, Times: 1})
	sim.AddFault(simulator.Fault{Report: simulator.RouteUsageBlob, Status: 503, RetryAfter: 10 * time.Millisecond, Times: 1})
	start := time.Now()
	m, err := c.UsageDetailsReport(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { return nil })
	if err != nil || m.Rows != 310 {
		t.Fatalf("%+v %v", m, err)
	}
	if time.Since(start) < 70*time.Millisecond || sim.Responses(simulator.RouteUsageSubmit, 429) != 2 || sim.Responses(simulator.RouteUsageReport, 429) != 1 {
		t.Errorf("retry-after not honoured: %v", time.Since(start))
	}
	// Throttled past the retries: a throttling error naming the report.
	sim.AddFault(simulator.Fault{Report: simulator.RouteUsageDownload, Status: 429, RetryAfter: time.Millisecond, Times: 3})
	_, err = c.UsageDetailsCSV(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { return nil })
	if k, _ := eaclient.KindOf(err); k != eaclient.KindThrottled || !strings.HasPrefix(err.Error(), "usage_details: HTTP 429") {
		t.Errorf("download throttled: %v", err)
	}
	// A truncated file is an error, not retried (rows went to the caller).
	sim.AddFault(simulator.Fault{Report: simulator.RouteUsageDownload, Truncate: true, Times: 1})
	before := sim.Requests(simulator.RouteUsageDownload)
	_, err = c.UsageDetailsCSV(ctx, eaclient.Query{BillingPeriod: "202610"}, "", func(*billing.UsageRow) error { return nil })
	if err == nil || sim.Requests(simulator.RouteUsageDownload) != before+1 {
		t.Errorf("truncated: %v", err)
	}
}

// TestUsageSourcesDifferential reads the same periods through the three
// usage sources of eaclient.Source: the aggregates must agree.
func TestUsageSourcesDifferential(t *testing.T) {
	sim := simulator.New(simulator.Options{UsageRowsPerDay: 60, PageSize: 700, Now: func() time.Time { return simNow }})
	sim.Bump()
	sim.SetCSVOptions(simulator.CSVOptions{ReportPolls: 1})
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	for _, period := range []string{"202611", "202610", "202609"} {
		aggs := map[string]usageAgg{}
		for _, src := range []string{eaclient.UsageSourceJSON, eaclient.UsageSourceCSVDownload, eaclient.UsageSourceCSVReport} {
			s, err := eaclient.NewSource(eaclient.Config{BaseURL: ts.URL, Enrollment: sim.Enrollment(), APIKey: sim.APIKey(),
				UsageSource: src, ReportPollInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			a := usageAgg{}
			res, err := s.UsageDetails(context.Background(), period, "", billing.UsageWant{}, a.add)
			if err != nil || res.Revision == "" || res.NotModified {
				t.Fatalf("%s %s: %+v %v", src, period, res, err)
			}
			aggs[src] = a
		}
		sameAgg(t, period+" csv_download", aggs[eaclient.UsageSourceCSVDownload], aggs[eaclient.UsageSourceJSON])
		sameAgg(t, period+" csv_report", aggs[eaclient.UsageSourceCSVReport], aggs[eaclient.UsageSourceJSON])
		if aggs[eaclient.UsageSourceJSON].total() < 1000 {
			t.Fatalf("%s: little spend", period)
		}
	}
	if sim.BlobAuthorizations() != 0 {
		t.Fatal("the key reached the blob host")
	}
	if _, err := eaclient.NewSource(eaclient.Config{BaseURL: ts.URL, Enrollment: "100", APIKey: "k", UsageSource: "xml"}); err == nil {
		t.Error("unknown usage source accepted")
	}
	// A period outside the history is no data, as for JSON.
	s, _ := eaclient.NewSource(eaclient.Config{BaseURL: ts.URL, Enrollment: sim.Enrollment(), APIKey: sim.APIKey(), UsageSource: eaclient.UsageSourceCSVReport})
	if _, err := s.UsageDetails(context.Background(), "202001", "", billing.UsageWant{}, func(*billing.UsageRow) error { return nil }); !errors.Is(err, billing.ErrNoData) {
		t.Errorf("old period: %v", err)
	}
}

// BenchmarkUsageCSV reads a month through each CSV flow; MB/s is of the
// CSV file.
func BenchmarkUsageCSV(b *testing.B) {
	for _, src := range []string{eaclient.UsageSourceCSVDownload, eaclient.UsageSourceCSVReport, eaclient.UsageSourceJSON} {
		b.Run(src, func(b *testing.B) {
			sim, c := startSim(b, simulator.Options{UsageRowsPerDay: 4000, PageSize: 5000}, fastReports)
			sim.SetCSVOptions(simulator.CSVOptions{ReportPolls: -1, NoDownloadETag: true})
			read := map[string]func(context.Context, eaclient.Query, string, func(*billing.UsageRow) error) (eaclient.Meta, error){
				eaclient.UsageSourceCSVDownload: c.UsageDetailsCSV, eaclient.UsageSourceCSVReport: c.UsageDetailsReport, eaclient.UsageSourceJSON: c.UsageDetails,
			}[src]
			sum := 0.0
			for b.Loop() {
				m, err := read(context.Background(), eaclient.Query{BillingPeriod: "202610"}, "", func(r *billing.UsageRow) error { sum += r.Cost; return nil })
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(m.Bytes)
				b.ReportMetric(float64(m.Rows), "rows/op")
			}
		})
	}
}
