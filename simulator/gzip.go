package simulator

import (
	"compress/gzip"
	"net/http"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/acceptenc"
)

// gzipWriter compresses what a handler writes, for a client that accepts
// gzip (Options.Gzip): a front end may compress the API's answers, and the
// client must read them either way. It starts compressing at the first
// write of a status that has a body, so that a 304 stays empty.
type gzipWriter struct {
	http.ResponseWriter
	zw      *gzip.Writer
	status  int
	bodyful bool
}

// gzipped wraps w when the simulator compresses and r accepts gzip; call
// the function it returns when the handler is done.
func (s *Server) gzipped(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, func()) {
	if !s.d.o.Gzip || !acceptenc.Gzip(r.Header.Get("Accept-Encoding")) {
		return w, func() {}
	}
	g := &gzipWriter{ResponseWriter: w}
	return g, func() {
		if g.zw != nil {
			_ = g.zw.Close()
		}
	}
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.status != 0 {
		return
	}
	g.status = code
	g.bodyful = code != http.StatusNotModified && code != http.StatusNoContent && code >= 200
	if g.bodyful {
		g.Header().Set("Content-Encoding", "gzip")
		g.Header().Del("Content-Length")
		g.Header().Add("Vary", "Accept-Encoding")
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if g.status == 0 {
		g.WriteHeader(http.StatusOK)
	}
	if !g.bodyful {
		return g.ResponseWriter.Write(b)
	}
	if g.zw == nil {
		g.zw, _ = gzip.NewWriterLevel(g.ResponseWriter, gzip.BestSpeed)
	}
	return g.zw.Write(b)
}

func (g *gzipWriter) Flush() {
	if g.zw != nil {
		_ = g.zw.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
