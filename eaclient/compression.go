package eaclient

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// The client asks for gzip (Accept-Encoding: gzip) itself rather than
// leaving it to net/http: usage JSON shrinks about tenfold on the wire, and
// a server that compresses its answers then costs more CPU to decompress
// than to decode. Asking explicitly turns off the transport's transparent
// decompression (compress/gzip), so that the answers are decompressed
// here with klauspost/compress, a quarter faster on usage pages; the
// decompressed bytes are what the size limits count.

// gzipReaders are reused: a gzip reader holds a 32 KiB window and its
// tables.
var gzipReaders sync.Pool

// acceptEncoding is the Accept-Encoding of every request.
const acceptEncoding = "gzip"

// uncompressed returns resp's body as the server had it before compressing
// it, and a function that releases what reading it took (call it once the
// body is read). An answer in an encoding the client did not ask for is an
// error.
func uncompressed(resp *http.Response) (io.Reader, func(), error) {
	switch ce := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); ce {
	case "", "identity":
		return resp.Body, func() {}, nil
	case "gzip", "x-gzip":
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(resp.Body)
		} else {
			err = zr.Reset(resp.Body)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("gzip body: %w", err)
		}
		return zr, func() { _ = zr.Close(); gzipReaders.Put(zr) }, nil
	default:
		return nil, nil, fmt.Errorf("unsupported Content-Encoding %q (the client asks for %s)", ce, acceptEncoding)
	}
}
