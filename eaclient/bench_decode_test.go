package eaclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
	"github.com/azure-ea-exporter/azure_ea_exporter/tools/usagecorpus"
)

// benchCorpus is a set of usage pages held in memory.
type benchCorpus struct {
	name  string
	pages [][]byte
	rows  int
	bytes int64
}

var (
	corporaOnce sync.Once
	corpora     []*benchCorpus
)

// benchCorpora are the two corpora the usage benchmarks read, 50,000 rows
// each in 1,000-row pages, as the API pages them:
//
//   - simulator: the simulator's rendering (compact, v3, short strings);
//   - generated: tools/usagecorpus, rows shaped like the reference's
//     samples (key case and order by version, escaped JSON in
//     additionalInfo and tags, long instance ids, numbers in every
//     notation, nulls, indented pages).
func benchCorpora(tb testing.TB) []*benchCorpus {
	corporaOnce.Do(func() {
		sim := &benchCorpus{name: "simulator"}
		now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		s := simulator.New(simulator.Options{UsageRowsPerDay: 2000, PageSize: 1000, Now: func() time.Time { return now }})
		ts := httptest.NewServer(s)
		for p := range 50 {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v3/enrollments/100/billingPeriods/202610/usagedetails?skiptoken=%d", ts.URL, p*1000), nil)
			req.Header.Set("Authorization", "bearer "+s.APIKey())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				panic(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sim.pages = append(sim.pages, data)
		}
		ts.Close()
		gen := &benchCorpus{name: "generated"}
		gen.pages = usagecorpus.Pages(usagecorpus.Options{Seed: 1, Rows: 50000}, func(p int) string {
			return fmt.Sprintf("https://consumption.azure.com/v3/enrollments/100/billingPeriods/202611/usagedetails?skiptoken=%d", p*1000)
		})
		for _, c := range []*benchCorpus{sim, gen} {
			for _, p := range c.pages {
				c.bytes += int64(len(p))
				if _, err := DecodeUsagePage(bytes.NewReader(p), func(*billing.UsageRow) error { c.rows++; return nil }); err != nil {
					panic(fmt.Sprintf("%s: %v", c.name, err))
				}
			}
		}
		corpora = []*benchCorpus{sim, gen}
	})
	return corpora
}

// benchAgg aggregates rows as the collector does (collector.usageAgg):
// the default dimensions plus two tag labels joined into a key, one map
// lookup per row, label values interned when a label set is new.
type benchAgg struct {
	key    []byte
	values [6]string
	sets   map[string]*benchSet
	intern map[string]string
	// Label sets and their values are carved from slabs, as the
	// collector's are.
	setSlab   []benchSet
	labelSlab []string
}

type benchSet struct {
	labels   []string
	cost     float64
	qty      float64
	unit     string
	budgeted float64
}

func newBenchAgg() *benchAgg {
	return &benchAgg{sets: map[string]*benchSet{}, intern: map[string]string{}}
}

func (a *benchAgg) add(r *billing.UsageRow) error {
	a.values = [6]string{r.SubscriptionID, r.ResourceGroup, r.MeterCategory, r.Department, r.Tags["CostCenter"], r.Tags["env"]}
	a.key = a.key[:0]
	for _, v := range a.values {
		a.key = append(a.key, v...)
		a.key = append(a.key, 0xff)
	}
	s := a.sets[string(a.key)]
	if s == nil {
		if len(a.setSlab) == cap(a.setSlab) {
			a.setSlab = make([]benchSet, 0, 256)
		}
		a.setSlab = append(a.setSlab, benchSet{unit: a.interned(r.UnitOfMeasure)})
		s = &a.setSlab[len(a.setSlab)-1]
		if cap(a.labelSlab)-len(a.labelSlab) < len(a.values) {
			a.labelSlab = make([]string, 0, 256*len(a.values))
		}
		start := len(a.labelSlab)
		for _, v := range a.values {
			a.labelSlab = append(a.labelSlab, a.interned(v))
		}
		s.labels = a.labelSlab[start:len(a.labelSlab):len(a.labelSlab)]
		a.sets[string(a.key)] = s
	}
	s.cost += r.Cost
	s.qty += r.Quantity
	if a.values[3] == "Platform" {
		s.budgeted += r.Cost
	}
	return nil
}

func (a *benchAgg) interned(v string) string {
	if s, ok := a.intern[v]; ok {
		return s
	}
	s := strings.Clone(v)
	a.intern[s] = s
	return s
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkUsageDecode decodes usage pages from memory, on both corpora,
// with the reference decoder (encoding/json into structs) and with the
// scanner the client uses; work=aggregate also aggregates the rows into
// label sets as a refresh does. One op is the whole corpus (50,000 rows).
// It reports MB/s of JSON, rows/s and allocations per row.
func BenchmarkUsageDecode(b *testing.B) {
	for _, c := range benchCorpora(b) {
		for _, dec := range []struct {
			name string
			fn   func(io.Reader, func(*billing.UsageRow) error) (string, error)
		}{
			{"reference", DecodeUsagePageReference},
			{"scanner", DecodeUsagePage},
		} {
			for _, work := range []string{"decode", "aggregate"} {
				b.Run("corpus="+c.name+"/decoder="+dec.name+"/work="+work, func(b *testing.B) {
					b.SetBytes(c.bytes)
					b.ReportAllocs()
					var ms0, ms1 runtime.MemStats
					runtime.ReadMemStats(&ms0)
					cpu0 := cpuTime()
					rows, sets := 0, 0
					sum := 0.0
					count := func(r *billing.UsageRow) error { sum += r.Cost; return nil }
					for range b.N {
						fn := count
						var agg *benchAgg
						if work == "aggregate" {
							agg = newBenchAgg()
							fn = agg.add
						}
						for _, p := range c.pages {
							if _, err := dec.fn(bytes.NewReader(p), fn); err != nil {
								b.Fatal(err)
							}
						}
						rows += c.rows
						if agg != nil {
							if len(agg.sets) == 0 {
								b.Fatal("no label sets")
							}
							sets = len(agg.sets)
						}
					}
					b.StopTimer()
					cpu := cpuTime() - cpu0
					runtime.ReadMemStats(&ms1)
					b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(rows), "allocs/row")
					// On a shared machine wall time is noisy; CPU time of the
					// process (the decoder and the GC) is not.
					b.ReportMetric(float64(c.bytes)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
					b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
					b.ReportMetric(float64(c.bytes)/float64(c.rows), "bytes/row")
					if sets > 0 {
						b.ReportMetric(float64(sets), "label_sets")
					}
				})
			}
		}
	}
}

// BenchmarkUsageDetailsCorpus downloads the generated corpus through the
// real client from a server on loopback that serves it from memory, and
// aggregates it: the client's whole refresh path (HTTP, reading, decoding,
// aggregating) in one process. MB/cpu-s counts the server's CPU too.
func BenchmarkUsageDetailsCorpus(b *testing.B) {
	c := benchCorpora(b)[1]
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		_, _ = fmt.Sscan(r.URL.Query().Get("skiptoken"), &i)
		p := c.pages[i/1000]
		// Point nextLink at this server.
		p = bytes.Replace(p, []byte("https://consumption.azure.com"), []byte("http://"+r.Host), 1)
		w.Header().Set("Content-Length", fmt.Sprint(len(p)))
		_, _ = w.Write(p)
	}))
	defer ts.Close()
	cl, err := New(Config{BaseURL: ts.URL, Enrollment: "100", APIKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(c.bytes)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	rows := 0
	for range b.N {
		agg := newBenchAgg()
		meta, err := cl.UsageDetails(context.Background(), Query{BillingPeriod: "202611"}, "", agg.add)
		if err != nil {
			b.Fatal(err)
		}
		rows += meta.Rows
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(rows), "allocs/row")
	b.ReportMetric(float64(c.bytes)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
}
