package armclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/apierr"
)

// streamBlob reads one blob straight from the blob host into read, never
// holding the file: no Authorization header (the link carries its own
// SAS), the bytes hashed into h as they pass (a TeeReader), at most
// MaxDownloadBytes. A body that breaks off, or ends short of the
// manifest's byteCount, is resumed where it stopped with a Range request
// (If-Match its ETag); a host that answers the whole blob again has the
// part already read skipped after checking it is the same bytes. Errors
// name the blob host, never the link's query.
func (c *Client) streamBlob(ctx context.Context, report, raw string, size int64, name string, h hash.Hash, read func(*blobReader) error) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return &Error{Report: report, Kind: KindProtocol, Message: name + ": download link is not an absolute https URL"}
	}
	b := &blobReader{c: c, ctx: ctx, report: report, name: name, u: u, size: size, h: h}
	if err := b.open(); err != nil {
		return err
	}
	defer b.close()
	err = read(b)
	if b.err != nil {
		return b.err // the reader's own error, as it is (the CSV reader wraps it)
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return &Error{Report: report, Kind: KindDecode, Err: err}
	}
	if size > 0 && b.off != size {
		return &Error{Report: report, Kind: KindProtocol, Message: fmt.Sprintf("%s: read %d bytes, the manifest says %d", name, b.off, size)}
	}
	return nil
}

// blobReader is the body of one blob, resumed across broken connections.
type blobReader struct {
	c       *Client
	ctx     context.Context
	report  string
	name    string
	u       *url.URL
	size    int64 // the manifest's byteCount; 0 when unknown
	h       hash.Hash
	body    io.ReadCloser
	etag    string
	off     int64
	resumes int
	err     error
}

func (b *blobReader) close() {
	if b.body != nil {
		b.body.Close()
		b.body = nil
	}
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.body == nil {
		if b.resumes >= b.c.cfg.Retry.MaxAttempts {
			b.err = &Error{Report: b.report, Kind: KindTransport, Attempts: b.resumes, Message: fmt.Sprintf("%s: the download from %s broke off %d times", b.name, b.u.Host, b.resumes)}
			return 0, b.err
		}
		b.resumes++
		b.c.cfg.Logger.Debug("resuming a Cost Details blob", "report", b.report, "blob", b.name, "offset", b.off, "resume", b.resumes)
		if err := b.open(); err != nil {
			b.err = err
			return 0, err
		}
	}
	n, err := b.body.Read(p)
	if n > 0 {
		b.h.Write(p[:n])
		b.off += int64(n)
		if b.off > b.c.cfg.MaxDownloadBytes {
			b.err = &Error{Report: b.report, Kind: KindProtocol, Message: fmt.Sprintf("%s: over the limit of %d bytes", b.name, b.c.cfg.MaxDownloadBytes)}
			return 0, b.err
		}
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF && (b.size <= 0 || b.off >= b.size):
		return n, io.EOF
	case b.ctx.Err() != nil:
		b.err = &Error{Report: b.report, Kind: KindTransport, Message: b.name + ": downloading from " + b.u.Host, Err: b.ctx.Err()}
		return n, b.err
	}
	// Broken off (or short of byteCount): the next Read resumes.
	b.c.cfg.Logger.Debug("Cost Details blob broke off", "report", b.report, "blob", b.name, "offset", b.off, "err", scrubURLError(err))
	b.close()
	return n, nil
}

// open GETs the blob from b.off, retrying throttling, 5xx and transport
// errors.
func (b *blobReader) open() error {
	c := b.c
	for attempt := 1; ; attempt++ {
		wait, err := b.openOnce()
		if err == nil {
			return nil
		}
		var e *Error
		if !errors.As(err, &e) || !e.retryable() || attempt >= c.cfg.Retry.MaxAttempts || b.ctx.Err() != nil {
			if e != nil {
				e.Attempts = attempt
			}
			return err
		}
		if wait <= 0 {
			wait = c.cfg.Retry.Backoff(attempt)
		}
		if err := c.sleep(b.ctx, wait); err != nil {
			return &Error{Report: b.report, Kind: KindTransport, Err: err}
		}
	}
}

func (b *blobReader) openOnce() (time.Duration, error) {
	c := b.c
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, b.u.String(), nil)
	if err != nil {
		return 0, &Error{Report: b.report, Kind: KindProtocol, Err: scrubURLError(err)}
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if b.off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(b.off, 10)+"-")
		if b.etag != "" {
			req.Header.Set("If-Match", b.etag)
		}
	}
	resp, err := c.blobHTTP.Do(req)
	if err != nil {
		c.observe(b.report, "error")
		return 0, &Error{Report: b.report, Kind: KindTransport, Message: b.name + ": downloading from " + b.u.Host, Err: scrubURLError(err)}
	}
	c.observe(b.report, strconv.Itoa(resp.StatusCode))
	switch {
	case resp.StatusCode == http.StatusOK:
		if b.off == 0 {
			b.etag = resp.Header.Get("ETag")
		} else if err := b.skip(resp.Body); err != nil {
			resp.Body.Close()
			return 0, err
		}
		b.body = resp.Body
		return 0, nil
	case resp.StatusCode == http.StatusPartialContent && b.off > 0:
		b.body = resp.Body
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	code, msg := parseServiceError(raw)
	e := &Error{Report: b.report, Kind: apierr.ForStatus(resp.StatusCode), Status: resp.StatusCode, Code: code, Message: b.name + ": download from " + b.u.Host + ": " + msg}
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusNotFound, http.StatusGone, http.StatusUnauthorized:
		e.Kind, e.Err = KindAsync, errLinkRefused
	case http.StatusPreconditionFailed, http.StatusRequestedRangeNotSatisfiable, http.StatusPartialContent:
		e.Kind, e.Err = KindAsync, errLinkRefused
		e.Message = b.name + ": the blob changed while it was read (" + strconv.Itoa(resp.StatusCode) + ")"
	}
	return retryAfter(resp.Header, c.now()), e
}

// skip reads the b.off bytes already read from a body that starts over,
// and checks that they are the same.
func (b *blobReader) skip(body io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(body, b.off))
	if err != nil || n != b.off {
		return &Error{Report: b.report, Kind: KindTransport, Message: fmt.Sprintf("%s: resuming at byte %d from %s", b.name, b.off, b.u.Host), Err: scrubURLError(err)}
	}
	if !bytes.Equal(h.Sum(nil), b.h.Sum(nil)) {
		return &Error{Report: b.report, Kind: KindAsync, Err: errLinkRefused, Message: b.name + ": the blob changed while it was read"}
	}
	return nil
}
