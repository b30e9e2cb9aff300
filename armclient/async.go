package armclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/apierr"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/bodylimit"
)

// The asynchronous reports (price sheet today; Cost Details and reservation
// details later) share one flow: POST, poll the Location on the ARM host
// honouring Retry-After, then download a file from a blob host with no
// Authorization header, spooled to a bounded temporary file.

// operationStatus is the polled answer. The price sheet puts the link in
// properties.downloadUrl, reservation details in properties.reportUrl, Cost
// Details in manifest.blobs[].blobLink.
type operationStatus struct {
	Status     string `json:"status"`
	Properties *struct {
		DownloadURL string   `json:"downloadUrl"`
		ReportURL   string   `json:"reportUrl"`
		ValidTill   wireTime `json:"validTill"`
		ValidUntil  wireTime `json:"validUntil"`
	} `json:"properties"`
	Manifest *struct {
		Blobs []struct {
			BlobLink  string `json:"blobLink"`
			ByteCount int64  `json:"byteCount"`
		} `json:"blobs"`
	} `json:"manifest"`
	ValidTill wireTime `json:"validTill"`
	Error     *struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"error"`
}

// downloadLinks are the files of a completed operation and their expiry.
type downloadLinks struct {
	urls      []string
	sizes     []int64 // Cost Details: each blob's byteCount (0: unknown)
	validTill time.Time
	manifest  bool // the answer had a Cost Details manifest (its blobs may be none)
}

func (s *operationStatus) links() downloadLinks {
	var d downloadLinks
	if p := s.Properties; p != nil {
		for _, u := range []string{p.DownloadURL, p.ReportURL} {
			if strings.TrimSpace(u) != "" {
				d.urls = append(d.urls, strings.TrimSpace(u))
				d.sizes = append(d.sizes, 0)
			}
		}
		d.validTill = p.ValidTill.Time
		if d.validTill.IsZero() {
			d.validTill = p.ValidUntil.Time
		}
	}
	if m := s.Manifest; m != nil {
		d.manifest = true
		for _, b := range m.Blobs {
			if strings.TrimSpace(b.BlobLink) != "" {
				d.urls = append(d.urls, strings.TrimSpace(b.BlobLink))
				d.sizes = append(d.sizes, b.ByteCount)
			}
		}
	}
	if d.validTill.IsZero() {
		d.validTill = s.ValidTill.Time
	}
	return d
}

// runAsync POSTs u and polls until the operation completes, returning its
// download links. deadline is on the client's clock.
func (c *Client) runAsync(ctx context.Context, report string, u *url.URL, body []byte, deadline time.Time) (downloadLinks, error) {
	return c.runAsyncLimited(ctx, report, u, body, deadline, nil)
}

// runAsyncLimited is runAsync with the polls of the operation kept under
// pollLimit (Cost Details: 2/min per operation id) when it is not nil.
func (c *Client) runAsyncLimited(ctx context.Context, report string, u *url.URL, body []byte, deadline time.Time, pollLimit *windowLimiter) (downloadLinks, error) {
	resp, err := c.do(ctx, request{report: report, method: http.MethodPost, u: u, body: body})
	if err != nil {
		return downloadLinks{}, err
	}
	var pollURL *url.URL
	for polls := 0; ; polls++ {
		st, done, location, wait, err := c.readOperation(ctx, report, resp)
		resp.close()
		if err != nil {
			return downloadLinks{}, err
		}
		if done {
			return st, nil
		}
		if location != nil {
			pollURL = location
		}
		if pollURL == nil {
			return downloadLinks{}, &Error{Report: report, Kind: KindProtocol, Status: http.StatusAccepted, Message: "operation accepted without a Location to poll"}
		}
		if wait <= 0 {
			wait = c.cfg.PollInterval
		}
		wait = min(wait, c.cfg.MaxPollInterval)
		if pollLimit != nil {
			wait = max(wait, pollLimit.reserve(c.now().Add(wait)).Sub(c.now()))
		}
		if c.now().Add(wait).After(deadline) {
			return downloadLinks{}, &Error{Report: report, Kind: KindAsync, Message: fmt.Sprintf("the report was not ready within %s (%d polls)", c.cfg.AsyncTimeout, polls)}
		}
		if err := c.sleep(ctx, wait); err != nil {
			return downloadLinks{}, &Error{Report: report, Kind: KindTransport, Err: err, Message: "cancelled while waiting for the report"}
		}
		resp, err = c.do(ctx, request{report: report, method: http.MethodGet, u: pollURL})
		if err != nil {
			return downloadLinks{}, err
		}
	}
}

// readOperation interprets one answer of the POST or of a poll.
func (c *Client) readOperation(ctx context.Context, report string, resp *response) (links downloadLinks, done bool, location *url.URL, wait time.Duration, err error) {
	wait = retryAfter(resp.header, c.now())
	if loc := firstHeader(resp.header, "Location", "Azure-AsyncOperation"); loc != "" {
		if location, err = c.link(report, loc); err != nil {
			return links, false, nil, 0, err
		}
	}
	switch resp.status {
	case http.StatusNoContent:
		return links, false, nil, 0, &Error{Report: report, Kind: KindNotFound, Status: resp.status, Message: "no data", Err: billing.ErrNoData}
	case http.StatusAccepted:
		// A poll may answer 202 without a new Location: poll the same one.
		return links, false, location, wait, nil
	}
	var st operationStatus
	if err := json.NewDecoder(resp.body).Decode(&st); err != nil && !errors.Is(err, io.EOF) {
		return links, false, nil, 0, c.decodeError(ctx, report, resp.status, err)
	}
	switch strings.ToLower(st.Status) {
	case "completed", "succeeded":
		links = st.links()
		if len(links.urls) == 0 && !links.manifest {
			return links, false, nil, 0, &Error{Report: report, Kind: KindAsync, Status: resp.status, Message: "operation completed without a download link"}
		}
		return links, true, nil, 0, nil
	case "nodatafound":
		return links, false, nil, 0, &Error{Report: report, Kind: KindNotFound, Status: resp.status, Message: "NoDataFound", Err: billing.ErrNoData}
	case "failed", "canceled", "cancelled", "timedout":
		e := &Error{Report: report, Kind: KindAsync, Status: resp.status, Message: "operation " + st.Status}
		if st.Error != nil {
			e.Code, e.Message = rawCode(st.Error.Code), "operation "+st.Status+": "+excerpt(st.Error.Message)
		}
		return links, false, nil, 0, e
	}
	// Running, InProgress, NotStarted, or no status: poll again, at the
	// new Location if one came, else where we were.
	if location == nil && resp.status == http.StatusOK && st.Status == "" {
		if l := st.links(); len(l.urls) > 0 { // a bare link, no status
			return l, true, nil, 0, nil
		}
	}
	return links, false, location, wait, nil
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

// errLinkRefused marks a download refused by the blob host (an expired SAS
// link): the caller may start the operation again for a fresh link.
var errLinkRefused = errors.New("download link refused by the blob host (expired?)")

// download fetches a blob without any Authorization header into a temporary
// file of at most MaxDownloadBytes, retrying 5xx and transport errors. The
// caller removes the file.
func (c *Client) download(ctx context.Context, report, raw string) (*os.File, int64, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, 0, &Error{Report: report, Kind: KindProtocol, Message: "download link is not an absolute https URL"}
	}
	for attempt := 1; ; attempt++ {
		f, n, wait, err := c.downloadOnce(ctx, report, u)
		if err == nil {
			return f, n, nil
		}
		var e *Error
		if !errors.As(err, &e) || !e.retryable() || attempt >= c.cfg.Retry.MaxAttempts {
			if e != nil {
				e.Attempts = attempt
			}
			return nil, 0, err
		}
		if wait <= 0 {
			wait = c.cfg.Retry.Backoff(attempt)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, 0, &Error{Report: report, Kind: KindTransport, Err: err}
		}
	}
}

func (c *Client) downloadOnce(ctx context.Context, report string, u *url.URL) (*os.File, int64, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, 0, &Error{Report: report, Kind: KindProtocol, Err: scrubURLError(err)}
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.blobHTTP.Do(req)
	if err != nil {
		c.observe(report, "error")
		return nil, 0, 0, &Error{Report: report, Kind: KindTransport, Message: "downloading from " + u.Host, Err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	c.observe(report, strconv.Itoa(resp.StatusCode))
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
		code, msg := parseServiceError(raw)
		e := &Error{Report: report, Kind: apierr.ForStatus(resp.StatusCode), Status: resp.StatusCode, Code: code, Message: "download from " + u.Host + ": " + msg}
		switch resp.StatusCode {
		case http.StatusForbidden, http.StatusNotFound, http.StatusGone, http.StatusUnauthorized:
			e.Kind, e.Err = KindAsync, errLinkRefused
		}
		return nil, 0, retryAfter(resp.Header, c.now()), e
	}
	if resp.ContentLength > c.cfg.MaxDownloadBytes {
		return nil, 0, 0, &Error{Report: report, Kind: KindProtocol, Message: fmt.Sprintf("download of %d bytes is over the limit of %d bytes", resp.ContentLength, c.cfg.MaxDownloadBytes)}
	}
	f, err := os.CreateTemp(c.cfg.TempDir, "armclient-"+report+"-*")
	if err != nil {
		return nil, 0, 0, &Error{Report: report, Kind: KindProtocol, Message: "spooling the download", Err: err}
	}
	fail := func(e *Error) (*os.File, int64, time.Duration, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, 0, e
	}
	n, err := io.Copy(f, &bodylimit.Reader{R: resp.Body, N: c.cfg.MaxDownloadBytes})
	switch {
	case errors.Is(err, bodylimit.ErrTooLarge):
		return fail(&Error{Report: report, Kind: KindProtocol, Message: fmt.Sprintf("download over the limit of %d bytes", c.cfg.MaxDownloadBytes)})
	case err != nil:
		return fail(&Error{Report: report, Kind: KindTransport, Message: "downloading from " + u.Host, Err: scrubURLError(err)})
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(&Error{Report: report, Kind: KindProtocol, Err: err})
	}
	return f, n, 0, nil
}
