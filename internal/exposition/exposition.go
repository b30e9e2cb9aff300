// Package exposition serves /metrics for an exporter whose metrics change
// only when its data does. The exporter's metrics, which can be 100,000
// series and more, are gathered and encoded once per change ("generation")
// and per negotiated format, and served from memory: gzipped to scrapers
// that accept gzip, as they are to the others (curl, people, scrapers that
// ask only for encodings such as zstd that the handler does not offer). The
// few metrics that change on every scrape (Go runtime, process, handler and
// build metrics) are encoded fresh and appended.
//
// The uncompressed encoding, about ten times the gzipped one, is kept only
// once a scraper has asked for it: a Prometheus-only deployment holds just
// the gzipped bytes.
//
// A gzipped response is one gzip member, as every client reads it (curl
// --compressed reads only the first member of a multi-member stream): the
// cached part is kept as deflate blocks ended by a sync flush, with its
// CRC-32 and length; each response is a gzip header, those blocks, the
// live part compressed as the final blocks, and the trailer for the whole.
package exposition

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/acceptenc"
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
	cache map[variant]*encoded // for the current generation
	seen  map[variant]bool     // variants scrapers asked for, to warm
}

// encoded is the cached part in one variant: the exposition, or (gzip)
// deflate blocks ending in a sync flush, and the CRC-32 and length of what
// they hold.
type encoded struct {
	b    []byte
	crc  uint32
	size int
}

// variant is one cached encoding: a format, gzipped or not.
type variant struct {
	format expfmt.Format
	gzip   bool
}

// Warm encodes the cached part, for every format scrapers have asked for,
// if the generation changed: the first scrape after a refresh then costs
// no more than the others.
func (h *Handler) Warm() {
	h.mu.Lock()
	variants := make([]variant, 0, len(h.seen))
	for v := range h.seen {
		variants = append(variants, v)
	}
	h.mu.Unlock()
	for _, v := range variants {
		h.cached(v)
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
	gz := acceptenc.Gzip(r.Header.Get("Accept-Encoding"))

	cached := h.cached(variant{format, gz})
	live := h.encode(h.Live, format, true)
	var head []byte
	if gz {
		head = gzipHeader[:]
		live = gzipTail(cached, live)
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Type", string(format))
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+len(cached.b)+len(live)))
	w.Header().Add("Vary", "Accept-Encoding")
	// The cached bytes are shared between requests: written, never copied.
	_, _ = w.Write(head)
	_, _ = w.Write(cached.b)
	_, _ = w.Write(live)
}

func (h *Handler) inFlightChan() chan struct{} {
	h.once.Do(func() { h.inFlight = make(chan struct{}, h.MaxRequestsInFlight) })
	return h.inFlight
}

// cached returns the encoding of Cached in variant v for the current
// generation, encoding it if it is not cached yet. Both variants of a
// format come from one gathering and encoding.
func (h *Handler) cached(v variant) *encoded {
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen := h.Generation(); gen != h.gen || h.cache == nil {
		h.gen = gen
		h.cache = map[variant]*encoded{}
	}
	if h.seen == nil {
		h.seen = map[variant]bool{}
	}
	h.seen[v] = true
	if e, ok := h.cache[v]; ok {
		return e
	}
	plainV := variant{v.format, false}
	plain, ok := h.cache[plainV]
	if !ok {
		plain = &encoded{b: h.encode(h.Cached, v.format, false)}
		if h.seen[plainV] {
			h.cache[plainV] = plain
		}
	}
	if !v.gzip {
		return plain
	}
	e := deflateHead(plain.b)
	h.cache[v] = e
	return e
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

var flatePool = sync.Pool{New: func() any { w, _ := flate.NewWriter(nil, flate.BestSpeed); return w }}

// gzipHeader starts a gzip member: no name, no time, unknown OS.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// deflateHead compresses b into deflate blocks that more blocks may follow
// (a sync flush, not a final block).
func deflateHead(b []byte) *encoded {
	var buf bytes.Buffer
	buf.Grow(len(b) / 8)
	fw := flatePool.Get().(*flate.Writer)
	fw.Reset(&buf)
	_, _ = fw.Write(b)
	_ = fw.Flush()
	flatePool.Put(fw)
	return &encoded{b: buf.Bytes(), crc: crc32.ChecksumIEEE(b), size: len(b)}
}

// gzipTail compresses live as the final deflate blocks after head's, and
// appends the gzip trailer for the two together. A fresh compressor's
// blocks refer back only to their own data, so they may follow any
// byte-aligned deflate blocks.
func gzipTail(head *encoded, live []byte) []byte {
	var buf bytes.Buffer
	fw := flatePool.Get().(*flate.Writer)
	fw.Reset(&buf)
	_, _ = fw.Write(live)
	_ = fw.Close()
	flatePool.Put(fw)
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc32.Update(head.crc, crc32.IEEETable, live))
	binary.LittleEndian.PutUint32(trailer[4:], uint32(head.size+len(live)))
	return append(buf.Bytes(), trailer[:]...)
}
