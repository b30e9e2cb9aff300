package exposition

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// countingGatherer counts how often it is gathered.
type countingGatherer struct {
	prometheus.Gatherer
	n atomic.Int32
}

func (c *countingGatherer) Gather() ([]*dto.MetricFamily, error) {
	c.n.Add(1)
	return c.Gatherer.Gather()
}

func fixture() (cached *countingGatherer, live *prometheus.Registry, gen *atomic.Uint64, g *prometheus.GaugeVec) {
	reg := prometheus.NewRegistry()
	g = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "billing_cost", Help: "Cost."}, []string{"department"})
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "billing_requests_total", Help: "Requests."}, []string{"code"})
	reg.MustRegister(g, c)
	g.WithLabelValues("Platform").Set(12.5)
	g.WithLabelValues("Data & \"Analytics\"\n").Set(3)
	c.WithLabelValues("200").Add(7)
	live = prometheus.NewRegistry()
	lg := prometheus.NewGauge(prometheus.GaugeOpts{Name: "live_gauge", Help: "Live."})
	lg.Set(1)
	live.MustRegister(lg)
	return &countingGatherer{Gatherer: reg}, live, &atomic.Uint64{}, g
}

func get(t *testing.T, h http.Handler, accept, encoding string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		br := bytes.NewReader(body)
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false) // one member, as curl --compressed reads
		body, err = io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if br.Len() > 0 {
			t.Fatalf("%d bytes after the first gzip member", br.Len())
		}
	}
	return resp, body
}

// parse decodes an exposition of any format into sorted samples.
func parse(t *testing.T, contentType string, body []byte) []string {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.Format(contentType))
	var out []string
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatalf("%s: %v\n%s", contentType, err, body)
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out = append(out, mf.GetName()+"{"+strings.Join(labels, ",")+"} "+model.SampleValue(v).String())
		}
	}
	sort.Strings(out)
	return out
}

// TestSameAsPromhttp: in every format and encoding Prometheus negotiates,
// the handler serves what promhttp serves for the same registries.
func TestSameAsPromhttp(t *testing.T) {
	cached, live, gen, _ := fixture()
	h := &Handler{Cached: cached, Generation: gen.Load, Live: live, OpenMetrics: true}
	ref := promhttp.HandlerFor(prometheus.Gatherers{cached.Gatherer, live}, promhttp.HandlerOpts{EnableOpenMetrics: true})
	for _, accept := range []string{
		"",
		"text/plain;version=0.0.4",
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3",
	} {
		for _, enc := range []string{"", "gzip", "deflate, gzip;q=1.0, *;q=0.5"} {
			resp, body := get(t, h, accept, enc)
			refResp, refBody := get(t, ref, accept, enc)
			ct := resp.Header.Get("Content-Type")
			if ct != refResp.Header.Get("Content-Type") {
				t.Errorf("accept %q: content type %q, promhttp %q", accept, ct, refResp.Header.Get("Content-Type"))
			}
			got, want := parse(t, ct, body), parse(t, ct, refBody)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("accept %q encoding %q:\n%s\nwant\n%s", accept, enc, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if strings.Contains(ct, "openmetrics") && !bytes.HasSuffix(body, []byte("# EOF\n")) {
				t.Errorf("OpenMetrics body does not end with # EOF")
			}
			if bytes.Count(body, []byte("# EOF")) > 1 {
				t.Errorf("more than one # EOF")
			}
		}
	}
}

func TestEncodesOncePerGeneration(t *testing.T) {
	cached, live, gen, g := fixture()
	h := &Handler{Cached: cached, Generation: gen.Load, Live: live, OpenMetrics: true}
	om := "application/openmetrics-text;version=1.0.0"
	for range 5 {
		get(t, h, om, "gzip")
	}
	if n := cached.n.Load(); n != 1 {
		t.Errorf("gathered %d times for one generation", n)
	}
	// A new generation is gathered again, and serves the new value.
	g.WithLabelValues("Platform").Set(99)
	_, body := get(t, h, om, "gzip")
	if !bytes.Contains(body, []byte(`department="Platform"} 12.5`)) {
		t.Error("the cached generation should still serve the old value")
	}
	gen.Add(1)
	_, body = get(t, h, om, "gzip")
	if !bytes.Contains(body, []byte(`department="Platform"} 99`)) || cached.n.Load() != 2 {
		t.Errorf("new generation not served (gathered %d times):\n%s", cached.n.Load(), body)
	}
	// The live part is gathered on every request.
	_, body = get(t, h, "", "gzip")
	if !bytes.Contains(body, []byte("live_gauge 1")) {
		t.Error("live metrics missing")
	}
}

func TestMaxRequestsInFlight(t *testing.T) {
	cached, live, gen, _ := fixture()
	block := make(chan struct{})
	h := &Handler{Cached: cached, Generation: func() uint64 { <-block; return gen.Load() }, Live: live, MaxRequestsInFlight: 1}
	done := make(chan struct{})
	go func() { get(t, h, "", "gzip"); close(done) }()
	// Wait until the first request holds the slot.
	for len(h.inFlightChan()) == 0 {
		runtime.Gosched()
	}
	resp, _ := get(t, h, "", "gzip")
	close(block)
	<-done
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second concurrent request: %d", resp.StatusCode)
	}
}

// TestWarm: after a change, Warm encodes the formats scrapers use, so the
// next scrape gathers nothing.
func TestWarm(t *testing.T) {
	cached, live, gen, _ := fixture()
	h := &Handler{Cached: cached, Generation: gen.Load, Live: live, OpenMetrics: true}
	h.Warm() // no scrape yet: nothing to warm
	if cached.n.Load() != 0 {
		t.Fatal("warmed a format nobody asked for")
	}
	om := "application/openmetrics-text;version=1.0.0"
	get(t, h, om, "gzip")
	gen.Add(1)
	h.Warm()
	h.Warm() // unchanged generation: no work
	if n := cached.n.Load(); n != 2 {
		t.Fatalf("gathered %d times, want 2", n)
	}
	get(t, h, om, "gzip")
	if n := cached.n.Load(); n != 2 {
		t.Errorf("the scrape after Warm gathered again (%d)", n)
	}
}

// TestUncompressedFromCache: scrapers without gzip (curl; scrapers that
// ask only for zstd) are served from the same once-per-generation
// encoding as the gzip ones, and Warm keeps it warm.
func TestUncompressedFromCache(t *testing.T) {
	cached, live, gen, g := fixture()
	h := &Handler{Cached: cached, Generation: gen.Load, Live: live, OpenMetrics: true}
	for _, enc := range []string{"", "zstd", "gzip", "identity", "zstd;q=1.0, gzip;q=0"} {
		resp, body := get(t, h, "", enc)
		if ce := resp.Header.Get("Content-Encoding"); (ce == "gzip") != (enc == "gzip") {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, ce)
		}
		if enc != "gzip" && !bytes.Contains(body, []byte(`billing_cost{department="Platform"} 12.5`)) {
			t.Errorf("Accept-Encoding %q: body\n%s", enc, body)
		}
	}
	if n := cached.n.Load(); n != 1 {
		t.Errorf("gathered %d times for one generation", n)
	}
	g.WithLabelValues("Platform").Set(99)
	gen.Add(1)
	h.Warm()
	if n := cached.n.Load(); n != 2 {
		t.Errorf("Warm gathered %d times in all, want 2", n)
	}
	_, body := get(t, h, "", "")
	if !bytes.Contains(body, []byte(`billing_cost{department="Platform"} 99`)) || cached.n.Load() != 2 {
		t.Errorf("the warmed generation not served (gathered %d times):\n%s", cached.n.Load(), body)
	}
}

// BenchmarkScrape100k serves 100,000 cached series in the text format,
// gzipped and not, between data changes (the encoding is done once).
func BenchmarkScrape100k(b *testing.B) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "azure_ea_usage_cost", Help: "Cost."}, []string{"subscription_id", "resource_group", "meter_category", "meter_subcategory"})
	reg.MustRegister(g)
	for i := range 100000 {
		g.WithLabelValues(strings.Repeat("0", 28)+string(rune('a'+i%26))+string(rune('a'+i/26%26)), "rg-"+string(rune('a'+i/676%26)), "Virtual Machines", string(rune('A'+i/17576%26))+" Series").Set(float64(i) * 1.25)
	}
	live := prometheus.NewRegistry()
	live.MustRegister(collectors.NewGoCollector())
	h := &Handler{Cached: reg, Generation: func() uint64 { return 1 }, Live: live}
	for _, enc := range []string{"identity", "gzip"} {
		b.Run("encoding="+enc, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.Header.Set("Accept-Encoding", enc)
			h.ServeHTTP(httptest.NewRecorder(), req) // the one encoding
			b.ReportAllocs()
			b.ResetTimer()
			size := 0
			for range b.N {
				w := &countingWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				size = w.n
			}
			b.SetBytes(int64(size))
			b.ReportMetric(float64(size), "body_bytes")
		})
	}
}

// countingWriter is a ResponseWriter that counts the body, as a socket
// would take it, without the copy a ResponseRecorder makes.
type countingWriter struct {
	h http.Header
	n int
}

func (w *countingWriter) Header() http.Header         { return w.h }
func (w *countingWriter) WriteHeader(int)             {}
func (w *countingWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
