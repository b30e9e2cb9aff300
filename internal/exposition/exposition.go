// Package exposition serves /metrics for an exporter whose metrics change
// only when its data does. The exporter's metrics, which can be 100,000
// series and more, are gathered and encoded once per change ("generation")
// and per negotiated format, and the gzipped bytes are served from memory;
// the few metrics that change on every scrape (Go runtime, process, handler
// and build metrics) are encoded fresh and appended.
//
// A gzip stream may consist of several members, which every gzip reader
// (Go's, and so Prometheus') reads as one body: that is what lets a cached
// member and a fresh one be sent back to back.
package exposition

import (
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Handler serves the metrics of Cached (encoded once per Generation) and
// of Live (encoded on every request).
type Handler struct {
	Cached     prometheus.Gatherer
	Generation func() uint64
	Live       prometheus.Gatherer
	// OpenMetrics offers the OpenMetrics text format to scrapers that ask.
	OpenMetrics bool
	// MaxRequestsInFlight answers 503 past this many concurrent scrapes
	// (0: no limit).
	MaxRequestsInFlight int
	Logger              *slog.Logger

	inFlight chan struct{}
	once     sync.Once

	mu    sync.Mutex
	gen   uint64
	cache map[expfmt.Format][]byte // gzipped, for the current generation
	seen  map[expfmt.Format]bool   // formats scrapers asked for, to warm
}

// Warm encodes the cached part, for every format scrapers have asked for,
// if the generation changed: the first scrape after a refresh then costs
// no more than the others.
func (h *Handler) Warm() {
	h.mu.Lock()
	formats := make([]expfmt.Format, 0, len(h.seen))
	for f := range h.seen {
		formats = append(formats, f)
	}
	h.mu.Unlock()
	for _, f := range formats {
		h.cachedGzip(f)
	}
}

// Run calls Warm every interval until ctx ends. Warm does nothing while
// the generation is unchanged.
func (h *Handler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.Warm()
		}
	}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.MaxRequestsInFlight > 0 {
		select {
		case h.inFlightChan() <- struct{}{}:
			defer func() { <-h.inFlight }()
		default:
			http.Error(w, "Limit of concurrent requests reached, try again later.", http.StatusServiceUnavailable)
			return
		}
	}
	accepted := expfmt.DefaultAcceptedFormats()
	if h.OpenMetrics {
		accepted = expfmt.DefaultOpenMetricsAcceptedFormats()
	}
	format := expfmt.NegotiateAccept(r.Header, accepted...)
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))

	var cached, live []byte
	if gz {
		cached = h.cachedGzip(format)
		live = gzipBytes(h.encode(h.Live, format, true))
		w.Header().Set("Content-Encoding", "gzip")
	} else {
		// Uncompressed scrapes (curl, people) are rare: encode them fresh
		// rather than keep a second, ten times larger copy in memory.
		cached = h.encode(h.Cached, format, false)
		live = h.encode(h.Live, format, true)
	}
	w.Header().Set("Content-Type", string(format))
	w.Header().Set("Content-Length", strconv.Itoa(len(cached)+len(live)))
	w.Header().Add("Vary", "Accept-Encoding")
	// The cached bytes are shared between requests: written, never copied.
	_, _ = w.Write(cached)
	_, _ = w.Write(live)
}

func (h *Handler) inFlightChan() chan struct{} {
	h.once.Do(func() { h.inFlight = make(chan struct{}, h.MaxRequestsInFlight) })
	return h.inFlight
}

// cachedGzip returns the gzipped encoding of Cached in format for the
// current generation, encoding it if it is not cached yet.
func (h *Handler) cachedGzip(format expfmt.Format) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen := h.Generation(); gen != h.gen || h.cache == nil {
		h.gen = gen
		h.cache = map[expfmt.Format][]byte{}
	}
	if h.seen == nil {
		h.seen = map[expfmt.Format]bool{}
	}
	h.seen[format] = true
	if b, ok := h.cache[format]; ok {
		return b
	}
	b := gzipBytes(h.encode(h.Cached, format, false))
	h.cache[format] = b
	return b
}

// encode gathers g and encodes it; last closes the format (OpenMetrics'
// "# EOF" line). Gathering errors are logged and what was gathered is
// served, as promhttp's ContinueOnError does.
func (h *Handler) encode(g prometheus.Gatherer, format expfmt.Format, last bool) []byte {
	mfs, err := g.Gather()
	if err != nil && h.Logger != nil {
		h.Logger.Error("gathering metrics", "err", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil && h.Logger != nil {
			h.Logger.Error("encoding metrics", "family", mf.GetName(), "err", err)
		}
	}
	if last {
		if c, ok := enc.(expfmt.Closer); ok {
			_ = c.Close()
		}
	}
	return buf.Bytes()
}

var gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzipPool.Get().(*gzip.Writer)
	zw.Reset(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	gzipPool.Put(zw)
	return buf.Bytes()
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) with a q that
// is not zero.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		if q, ok := strings.CutPrefix(params, "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		return true
	}
	return false
}
