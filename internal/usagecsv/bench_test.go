package usagecsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// Benchmarks: the reader against a plain encoding/csv + strconv reader
// doing the same job, on the generated corpus, each with the aggregate the
// collector does (cost summed by a few labels).
//
//	go test -run '^$' -bench . -benchtime 20x ./internal/usagecsv/
//
// BenchmarkRead reports MB/s (b.SetBytes), MB per CPU-second of the whole
// process (GC included), allocations and nanoseconds per row;
// BenchmarkVersusEncodingCSV times both readers in the same run and
// reports the speed-up; BenchmarkStream streams 200 MB from a generator
// and reports the heap.

const benchCorpusBytes = 24 << 20

type benchFile struct {
	data []byte
	rows int
}

var (
	benchMu    sync.Mutex
	benchFiles = map[style]benchFile{}
)

func benchCorpus(st style) benchFile {
	benchMu.Lock()
	defer benchMu.Unlock()
	f, ok := benchFiles[st]
	if !ok {
		f.data, f.rows = corpusBytes(st, 42, benchCorpusBytes)
		benchFiles[st] = f
	}
	return f
}

var benchStyles = []style{styleEA, styleEALocalised, styleEAMarketplace, styleCostDetails, styleCostDetailsCamel}

// aggregate sums cost by department, subscription and meter category, as
// the collector does: a lookup with the row's strings (no allocation), a
// clone only for a new key. Values are pointers: assigning m[k] again
// would store the row's (borrowed) key strings in the map.
type aggKey struct{ dept, sub, cat string }

type aggregate map[aggKey]*float64

func (a aggregate) add(k aggKey, cost float64) {
	if p, ok := a[k]; ok {
		*p += cost
		return
	}
	v := cost
	a[aggKey{strings.Clone(k.dept), strings.Clone(k.sub), strings.Clone(k.cat)}] = &v
}

func (a aggregate) usage(r *billing.UsageRow) error {
	a.add(aggKey{r.Department, r.SubscriptionName, r.MeterCategory}, r.Cost)
	return nil
}

func (a aggregate) market(m *billing.MarketplaceCharge) error {
	a.add(aggKey{m.Department, m.SubscriptionName, "Marketplace"}, m.Cost)
	return nil
}

func (a aggregate) total() float64 {
	t := 0.0
	for _, v := range a {
		t += *v
	}
	return t
}

func readFast(data []byte, st style, a aggregate) (int, error) {
	s, err := Read(bytes.NewReader(data), st.schema(), a.usage, a.market)
	return int(s.Usage + s.Marketplace), err
}

// readPlain is the baseline: what a plain reader does with encoding/csv
// (ReuseRecord), strconv and time.Parse, finding columns by header name
// too. With tags, it decodes the Tags JSON with encoding/json.
func readPlain(data []byte, st style, tags bool, a aggregate) (int, error) {
	br := bufio.NewReaderSize(bytes.NewReader(data), 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, bom) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var col [nTargets]int
	for {
		rec, err := cr.Read()
		if err != nil {
			return 0, err
		}
		cols, _, known, _ := resolve(st.schema(), rec)
		if known >= 3 {
			for i := range col {
				col[i] = -1
			}
			for _, c := range cols {
				col[c.t] = c.idx
			}
			break
		}
	}
	get := func(rec []string, t target) string {
		if col[t] < 0 {
			return ""
		}
		return rec[col[t]]
	}
	layouts := []string{"2006-01-02", "01/02/2006", time.RFC3339, "01/02/2006 15:04:05"}
	date := func(s string) (time.Time, error) {
		for _, l := range layouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("bad date %q", s)
	}
	num := func(s string) (float64, error) {
		if s = strings.TrimSpace(s); s == "" {
			return 0, nil
		}
		return strconv.ParseFloat(s, 64)
	}
	var row billing.UsageRow
	var mc billing.MarketplaceCharge
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
		var tm map[string]string
		if t := strings.TrimSpace(get(rec, tTags)); tags && t != "" {
			if t[0] != '{' {
				t = "{" + t + "}"
			}
			_ = json.Unmarshal([]byte(t), &tm)
		}
		market := st == styleEAMarketplace || strings.EqualFold(get(rec, tPublisherType), "Marketplace")
		d, err := date(get(rec, tDate))
		if err != nil {
			return n, err
		}
		cost, err := num(get(rec, tCost))
		if err != nil {
			return n, err
		}
		q, err := num(get(rec, tQuantity))
		if err != nil {
			return n, err
		}
		if market {
			rate, err := num(get(rec, tRate))
			if err != nil {
				return n, err
			}
			mc = billing.MarketplaceCharge{UsageStart: d, UsageEnd: d.Add(24*time.Hour - time.Second), Cost: cost, Quantity: q, Rate: rate,
				Department: get(rec, tDepartment), AccountName: get(rec, tAccount), CostCenter: get(rec, tCostCenter),
				SubscriptionID: get(rec, tSubID), SubscriptionName: get(rec, tSubName), Publisher: get(rec, tPublisher),
				Offer: get(rec, tOffer), Plan: get(rec, tPlan), UnitOfMeasure: get(rec, tUnit), Tags: tm}
			_ = a.market(&mc)
			continue
		}
		billed, _ := strconv.ParseBool(strings.ToLower(get(rec, tBilledSeparately)))
		row = billing.UsageRow{Date: d, Cost: cost, Quantity: q,
			Department: get(rec, tDepartment), AccountName: get(rec, tAccount), CostCenter: get(rec, tCostCenter),
			SubscriptionID: get(rec, tSubID), SubscriptionName: get(rec, tSubName), MeterID: get(rec, tMeterID),
			MeterCategory: get(rec, tMeterCategory), MeterSubcategory: get(rec, tMeterSubcategory), MeterName: get(rec, tMeterName),
			MeterRegion: get(rec, tMeterRegion), UnitOfMeasure: get(rec, tUnit), ResourceGroup: get(rec, tResourceGroup),
			ResourceLocation: get(rec, tResourceLocation), ServiceName: get(rec, tServiceName), ServiceTier: get(rec, tServiceTier),
			Product: get(rec, tProduct), ConsumedService: get(rec, tConsumedService), ChargesBilledSeparately: billed, Tags: tm}
		_ = a.usage(&row)
	}
}

// measure runs read b.N times and reports per-row figures.
func measure(b *testing.B, f benchFile, read func() (int, error)) {
	b.Helper()
	b.SetBytes(int64(len(f.data)))
	b.ReportAllocs()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := read()
		if err != nil {
			b.Fatal(err)
		}
		if n != f.rows {
			b.Fatalf("%d rows, want %d", n, f.rows)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&ms)
	rows := float64(b.N) * float64(f.rows)
	b.ReportMetric(float64(ms.Mallocs-mallocs)/rows, "allocs/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)*float64(len(f.data))/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}

func BenchmarkRead(b *testing.B) {
	for _, st := range benchStyles {
		b.Run(st.String(), func(b *testing.B) {
			f := benchCorpus(st)
			measure(b, f, func() (int, error) { return readFast(f.data, st, aggregate{}) })
		})
	}
}

// BenchmarkEncodingCSV is the baseline alone: /tags decodes the Tags JSON
// with encoding/json, as a plain reader would; /notags skips the tags (a
// baseline that does less than the reader).
func BenchmarkEncodingCSV(b *testing.B) {
	for _, st := range benchStyles {
		for _, tags := range []bool{false, true} {
			name := st.String() + "/notags"
			if tags {
				name = st.String() + "/tags"
			}
			b.Run(name, func(b *testing.B) {
				f := benchCorpus(st)
				measure(b, f, func() (int, error) { return readPlain(f.data, st, tags, aggregate{}) })
			})
		}
	}
}

// BenchmarkVersusEncodingCSV times the reader and the baseline on the same
// file in the same run, and reports both throughputs and the speed-up: the
// baseline with tags decoded (the same job) and without (less work than
// the reader does). The two must agree on the total cost.
func BenchmarkVersusEncodingCSV(b *testing.B) {
	for _, st := range benchStyles {
		for _, tags := range []bool{false, true} {
			name := st.String() + "/notags"
			if tags {
				name = st.String() + "/tags"
			}
			b.Run(name, func(b *testing.B) {
				f := benchCorpus(st)
				var fast, plain time.Duration
				for i := 0; i < b.N; i++ {
					a1, a2 := aggregate{}, aggregate{}
					// Each starts without the other's garbage to collect.
					runtime.GC()
					t0 := time.Now()
					if _, err := readFast(f.data, st, a1); err != nil {
						b.Fatal(err)
					}
					fast += time.Since(t0)
					runtime.GC()
					t1 := time.Now()
					if _, err := readPlain(f.data, st, tags, a2); err != nil {
						b.Fatal(err)
					}
					plain += time.Since(t1)
					if d := a1.total() - a2.total(); d > 1e-6 || d < -1e-6 || len(a1) != len(a2) {
						b.Fatalf("totals differ: %f (%d keys) and %f (%d keys)", a1.total(), len(a1), a2.total(), len(a2))
					}
				}
				mb := float64(b.N) * float64(len(f.data)) / 1e6
				b.ReportMetric(mb/fast.Seconds(), "usagecsv-MB/s")
				b.ReportMetric(mb/plain.Seconds(), "encoding/csv-MB/s")
				b.ReportMetric(plain.Seconds()/fast.Seconds(), "speedup")
			})
		}
	}
}

// BenchmarkStream reads a 200 MB Cost Details file from a generator (never
// held whole) and reports the peak heap in use and the memory the runtime
// holds from the OS: neither grows with the file.
func BenchmarkStream(b *testing.B) {
	const size = 200 << 20
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		src := newStreamReader(styleCostDetails, uint64(i), size)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.HeapInuse
		var peakInuse, peakSys uint64
		n := 0
		a := aggregate{}
		sample := func() {
			if n++; n%50000 == 0 {
				runtime.ReadMemStats(&ms)
				peakInuse, peakSys = max(peakInuse, ms.HeapInuse), max(peakSys, ms.Sys)
			}
		}
		b.StartTimer()
		st, err := Read(src, CostDetails, func(r *billing.UsageRow) error { sample(); return a.usage(r) },
			func(m *billing.MarketplaceCharge) error { sample(); return a.market(m) })
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if d := a.total() - src.cost; d > 1e-6*src.cost || d < -1e-6*src.cost {
			b.Fatalf("total cost %f, served %f", a.total(), src.cost)
		}
		b.SetBytes(st.Bytes)
		b.ReportMetric(float64(before)/(1<<20), "heap-before-MiB")
		b.ReportMetric(float64(peakInuse)/(1<<20), "peak-HeapInuse-MiB")
		b.ReportMetric(float64(peakSys)/(1<<20), "peak-Sys-MiB")
		b.ReportMetric(float64(st.Records), "rows")
		b.StartTimer()
	}
}
