package eaclient_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

// BenchmarkUsageDetailsStream downloads a closed billing period's usage
// details from the simulator over loopback through the real client and sums
// the cost. It reports MB/s of response body and allocations per row (the
// client's and the simulator's together, as both run in this process).
func BenchmarkUsageDetailsStream(b *testing.B) {
	_, c := startSim(b, simulator.Options{UsageRowsPerDay: 1000})
	ctx := context.Background()
	q := eaclient.Query{BillingPeriod: "202610"}
	var rows int
	var bytes int64
	sum := 0.0
	fn := func(r *billing.UsageRow) error { sum += r.Cost; return nil }
	meta, err := c.UsageDetails(ctx, q, "", fn) // warm up, and size the run
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(meta.Bytes)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	for range b.N {
		meta, err := c.UsageDetails(ctx, q, "", fn)
		if err != nil {
			b.Fatal(err)
		}
		rows += meta.Rows
		bytes += meta.Bytes
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(rows), "allocs/row")
	if sum == 0 {
		b.Fatal("no cost")
	}
}
