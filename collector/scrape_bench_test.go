package collector

import (
	"fmt"
	"io"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/exposition"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/sources"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

var (
	bigOnce     sync.Once
	bigExporter *Exporter
	bigSeries   int
	bigBytes    float64
)

// bigEnrollment runs an exporter whose usage report has about 100,000
// azure_ea_usage_cost series (700 subscriptions x resource groups x meters),
// refreshed from the simulator over HTTP. It also measures the snapshot's
// heap per series.
func bigEnrollment(b *testing.B) *Exporter {
	bigOnce.Do(func() {
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		sim := simulator.New(simulator.Options{Subscriptions: 700, UsageRowsPerDay: 24000, PageSize: 5000, Now: func() time.Time { return now }})
		ts := httptest.NewServer(sim)
		y := fmt.Sprintf(`
enrollments: [{number: "100", api_key: %q, base_url: %q, billing_periods: 1}]
reports:
  billing_periods: { enabled: false }
  balance_summary: { enabled: false }
  marketplace_charges: { enabled: false }
  reservation_details: { enabled: false }
  reservation_charges: { enabled: false }
  usage_details: { interval: 24h }
usage_details:
  dimensions: [subscription_id, resource_group, meter_category, meter_subcategory]
  max_series: 200000
`, sim.APIKey(), ts.URL)
		cfg, _, err := config.Parse([]byte(y), func(string) string { return "" })
		if err != nil {
			panic(err)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		x := New(Options{Now: func() time.Time { return now }, OpenSource: sources.Options{Retry: eaclient.Retry{MaxAttempts: 1}}.Open})
		if err := x.Apply(cfg); err != nil {
			panic(err)
		}
		for !x.Ready() {
			time.Sleep(50 * time.Millisecond)
		}
		ts.Close()
		runtime.GC()
		runtime.ReadMemStats(&after)
		reg := prometheus.NewRegistry()
		reg.MustRegister(x)
		bigSeries, _ = testutil.GatherAndCount(reg, "azure_ea_usage_cost")
		bigBytes = float64(after.HeapAlloc-before.HeapAlloc) / float64(bigSeries)
		bigExporter = x
	})
	return bigExporter
}

// BenchmarkMetricsHandler serves /metrics with about 100,000 usage series,
// as Prometheus scrapes it (gzip), through promhttp (gather and encode on
// every scrape) and through the exporter's handler (encoded once per data
// change), in each format Prometheus negotiates.
func BenchmarkMetricsHandler(b *testing.B) {
	x := bigEnrollment(b)
	reg := prometheus.NewRegistry()
	reg.MustRegister(x)
	live := prometheus.NewRegistry()
	formats := map[string]string{
		"text":        "text/plain;version=0.0.4",
		"openmetrics": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		"protobuf":    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3",
	}
	for _, handler := range []string{"promhttp", "cached"} {
		for _, f := range []string{"text", "openmetrics", "protobuf"} {
			b.Run("handler="+handler+"/format="+f, func(b *testing.B) {
				var h = promhttp.HandlerFor(prometheus.Gatherers{reg, live}, promhttp.HandlerOpts{EnableOpenMetrics: true})
				if handler == "cached" {
					h = &exposition.Handler{Cached: reg, Generation: x.Generation, Live: live, OpenMetrics: true}
				}
				scrape := func() int {
					req := httptest.NewRequest("GET", "/metrics", nil)
					req.Header.Set("Accept", formats[f])
					req.Header.Set("Accept-Encoding", "gzip")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					body, _ := io.ReadAll(rec.Result().Body)
					return len(body)
				}
				// One scrape after each data change encodes; measure the
				// scrapes between changes, which are nearly all of them.
				size := scrape()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					size = scrape()
				}
				b.ReportMetric(float64(bigSeries), "usage_series")
				b.ReportMetric(float64(size), "gzip_bytes")
				b.ReportMetric(bigBytes, "snapshot_bytes/series")
			})
		}
	}
}
