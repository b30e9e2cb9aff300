package collector

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
	"github.com/azure-ea-exporter/azure_ea_exporter/tools/usagecorpus"
)

var (
	pageOnce  sync.Once
	pageData  [][]byte
	pageRows  int
	pageBytes int64
)

// usagePages are five 20,000-row usage pages from the simulator (100,000
// rows, about 145 MB of real-looking JSON: a slice of a large enrollment's
// month), fetched once over HTTP and kept in memory.
func usagePages(b *testing.B) [][]byte {
	pageOnce.Do(func() {
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		sim := simulator.New(simulator.Options{UsageRowsPerDay: 4000, PageSize: 20000, Now: func() time.Time { return now }})
		ts := httptest.NewServer(sim)
		defer ts.Close()
		for p := 0; p < 5; p++ {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v3/enrollments/100/billingPeriods/202610/usagedetails?skiptoken=%d", ts.URL, p*20000), nil)
			req.Header.Set("Authorization", "bearer "+sim.APIKey())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				panic(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pageData = append(pageData, data)
			pageBytes += int64(len(data))
			_, _ = eaclient.DecodeUsagePage(bytes.NewReader(data), func(*billing.UsageRow) error { pageRows++; return nil })
		}
	})
	return pageData
}

// benchLayout is the default dimensions plus two tag labels.
func benchLayout(b *testing.B) *usageLayout {
	cfg, _, err := config.Parse([]byte(`
enrollments: [{number: "100", api_key: k}]
usage_details: { tags: { CostCenter: tag_cost_center, env: tag_env } }
budgets: [{name: p, enrollment: "100", amount: 1, match: {department: Platform}}]
`), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	return newUsageLayout(cfg, "100")
}

// BenchmarkUsageDecodeAggregate decodes usage rows from bytes in memory and
// aggregates them into label sets (default dimensions plus two tag labels,
// and a budget), with the reference decoder (encoding/json into structs)
// and with the scanner the client uses. One op is 100,000 rows into one
// aggregate, as a refresh aggregates a month.
func BenchmarkUsageDecodeAggregate(b *testing.B) {
	for _, corpus := range []string{"simulator", "generated"} {
		b.Run("corpus="+corpus, func(b *testing.B) {
			pages, n, size := usagePages(b), pageRows, pageBytes
			if corpus == "generated" {
				pages, n, size = generatedPages(b)
			}
			benchDecodeAggregate(b, pages, n, size)
		})
	}
}

var (
	genOnce  sync.Once
	genPages [][]byte
	genRows  int
	genBytes int64
)

// generatedPages are 100,000 rows of the corpus generator's (not the
// simulator's rendering): rows varying as real ones do.
func generatedPages(b *testing.B) ([][]byte, int, int64) {
	genOnce.Do(func() {
		genPages = usagecorpus.Pages(usagecorpus.Options{Seed: 1, Rows: 100000}, nil)
		for _, p := range genPages {
			genBytes += int64(len(p))
			_, _ = eaclient.DecodeUsagePage(bytes.NewReader(p), func(*billing.UsageRow) error { genRows++; return nil })
		}
	})
	return genPages, genRows, genBytes
}

func benchDecodeAggregate(b *testing.B, pages [][]byte, pageRows int, pageBytes int64) {
	layout := benchLayout(b)
	for _, dec := range []struct {
		name string
		fn   func(io.Reader, func(*billing.UsageRow) error) (string, error)
	}{
		{"decoder=reference", eaclient.DecodeUsagePageReference},
		// The scanner as the client runs it for the collector: decoding
		// only what the layout reads.
		{"decoder=scanner", func(r io.Reader, fn func(*billing.UsageRow) error) (string, error) {
			return eaclient.DecodeUsagePageFor(r, layout.want, fn)
		}},
	} {
		b.Run(dec.name, func(b *testing.B) {
			b.SetBytes(pageBytes)
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			rows := 0
			for range b.N {
				agg := newUsageAgg(layout)
				for _, data := range pages {
					if _, err := dec.fn(bytes.NewReader(data), agg.add); err != nil {
						b.Fatal(err)
					}
				}
				rows += pageRows
				if len(agg.sets) == 0 {
					b.Fatal("no label sets")
				}
			}
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(rows), "allocs/row")
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
