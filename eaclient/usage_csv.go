package eaclient

// Usage details as CSV (reference §4 and §5): the synchronous download of
// up to one month, and the asynchronous report (submit, poll the
// reportUrl, then read the CSV blob). Both stream the file through
// internal/usagecsv: the file is never held in memory.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/apierr"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/bodylimit"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/usagecsv"
)

// Usage sources (Config.UsageSource), the values of usage_details.source.
const (
	UsageSourceJSON        = "json"         // the paged JSON routes (the default)
	UsageSourceCSVDownload = "csv_download" // the synchronous CSV download
	UsageSourceCSVReport   = "csv_report"   // submit, poll, then the CSV blob
)

// Defaults of the report's Config values.
const (
	DefaultReportPollInterval = 10 * time.Second
	DefaultReportMaxPoll      = time.Minute
	DefaultReportDeadline     = time.Hour
)

// maxCSVBytes bounds one CSV file. A month of a large enrollment is a few
// GB; the reader's memory does not grow with it.
const maxCSVBytes = 1 << 40

// hashPrefix marks a revision that is a content hash, not an ETag: it is
// never sent as If-None-Match.
const hashPrefix = "sha256:"

// Report statuses (reference §5).
var reportStatusNames = map[int]string{
	1: "Queued", 2: "InProgress", 3: "Completed", 4: "Failed", 5: "NoDataFound", 6: "ReadyToDownload", 7: "TimedOut",
}

func statusName(s int) string {
	if n, ok := reportStatusNames[s]; ok {
		return n
	}
	return "unknown"
}

func (c *Client) reportDeadline() time.Duration {
	if c.cfg.ReportDeadline > 0 {
		return c.cfg.ReportDeadline
	}
	return DefaultReportDeadline
}

func validUsageSource(s string) bool {
	switch s {
	case "", UsageSourceJSON, UsageSourceCSVDownload, UsageSourceCSVReport:
		return true
	}
	return false
}

// csvQuery returns the query of the CSV routes for q: billingPeriod, or
// startTime and endTime, or none (the current period).
func (q Query) csvQuery() url.Values {
	switch {
	case q.BillingPeriod != "":
		return url.Values{"billingPeriod": {q.BillingPeriod}}
	case !q.Start.IsZero():
		return url.Values{"startTime": {day(q.Start)}, "endTime": {day(q.End)}}
	}
	return nil
}

func (q Query) describe() string {
	switch {
	case q.BillingPeriod != "":
		return q.BillingPeriod
	case !q.Start.IsZero():
		return day(q.Start) + ".." + day(q.End)
	}
	return "current period"
}

// UsageDetailsCSV streams the usage rows selected by q (at most a month)
// from the synchronous CSV download to fn, under the same contract as
// UsageDetails: the row and its strings are valid only until fn returns.
//
// The revision is the route's ETag when it sends one (rev is then sent as
// If-None-Match, and 304 is NotModified); otherwise it is the SHA-256 of
// the file, computed while the file streams. When that hash equals rev the
// rows have already gone to fn, and Meta.NotModified says that they are
// the ones rev was taken from.
func (c *Client) UsageDetailsCSV(ctx context.Context, q Query, rev string, fn func(*billing.UsageRow) error) (Meta, error) {
	u := c.endpoint("v3", "usagedetails/download", q.csvQuery())
	ctx, cancel := context.WithTimeout(ctx, c.reportDeadline())
	defer cancel()
	var meta Meta
	inm := rev
	if strings.HasPrefix(rev, hashPrefix) {
		inm = ""
	}
	name := ReportUsageDetails + " " + q.describe() + " download"
	notModified, err := c.csvDo(ctx, http.MethodGet, u, true, inm, &meta, func(r csvResponse) error {
		return c.readCSV(r.body, r.etag, name, rev, &meta, fn)
	})
	if err != nil {
		return Meta{Requests: meta.Requests}, err
	}
	if notModified {
		meta.NotModified = true
	}
	meta.Pages = 1
	return meta, nil
}

// readCSV streams one file to fn and sets meta's revision: the ETag, else
// the hash of the bytes read.
func (c *Client) readCSV(body io.Reader, etag, name, rev string, meta *Meta, fn func(*billing.UsageRow) error) error {
	h := sha256.New()
	meta.Rows = 0
	_, err := usagecsv.Options{Name: name}.Read(io.TeeReader(body, h), usagecsv.EAUsage, func(row *billing.UsageRow) error {
		meta.Rows++
		return fn(row)
	}, nil)
	if err != nil {
		return err
	}
	// The reader stops at the last record; count what may follow.
	if _, err := io.Copy(h, body); err != nil {
		return err
	}
	meta.ETag = etag
	if meta.ETag == "" {
		meta.ETag = hashRevision(h)
	}
	meta.NotModified = rev != "" && meta.ETag == rev
	return nil
}

func hashRevision(h hash.Hash) string { return hashPrefix + hex.EncodeToString(h.Sum(nil)) }

// csvResponse is one response of the CSV routes whose body the caller
// reads.
type csvResponse struct {
	status     int
	etag       string
	retryAfter time.Duration
	body       io.Reader
}

// reportStatus is the object submit and every poll answer.
type reportStatus struct {
	ID          string   `json:"id"`
	RequestedOn flexTime `json:"requestedOn"`
	Status      int      `json:"status"`
	BlobPath    string   `json:"blobPath"`
	ReportURL   string   `json:"reportUrl"`
}

// UsageDetailsReport streams the usage rows selected by q (up to 36
// months) through the asynchronous report: it submits the request, polls
// its reportUrl (honouring Retry-After, else backing off from
// Config.ReportPollInterval) until Config.ReportDeadline, and streams the
// CSV blob to fn under the same contract as UsageDetails.
//
// The key goes to the API's host only: a reportUrl on another host is an
// error, and the blob is read without the Authorization header (its SAS
// token is in its URL). Status 5 (no data) is an empty dataset; 4 and 7 are
// errors of kind KindReportFailed. A blob link that has expired (403 or
// 404 from the blob host) is resubmitted once. The revision is the
// SHA-256 of the file; when it equals rev the rows have gone to fn and
// Meta.NotModified is true.
func (c *Client) UsageDetailsReport(ctx context.Context, q Query, rev string, fn func(*billing.UsageRow) error) (Meta, error) {
	ctx, cancel := context.WithTimeout(ctx, c.reportDeadline())
	defer cancel()
	var meta Meta
	for try := 1; ; try++ {
		err := c.runReport(ctx, q, rev, &meta, fn)
		var e *Error
		if err != nil && try == 1 && errors.As(err, &e) && e.Err == errBlobExpired {
			c.logger.Debug("usage report blob link expired, submitting again", "report", ReportUsageDetails, "query", q.describe())
			continue
		}
		if err != nil && errors.As(err, &e) && e.Err == errBlobExpired {
			// Not "no data" (a 404 of the API is): the report had data.
			err = &Error{Report: ReportUsageDetails, Kind: KindReportFailed, Status: e.Status, Attempts: e.Attempts,
				Message: e.Message + " (again after resubmitting the report)", Err: errBlobExpired}
		}
		if err != nil {
			return Meta{Requests: meta.Requests}, err
		}
		meta.Pages = 1
		return meta, nil
	}
}

var errBlobExpired = errors.New("the blob link has expired or the blob is gone")

func (c *Client) runReport(ctx context.Context, q Query, rev string, meta *Meta, fn func(*billing.UsageRow) error) error {
	var st reportStatus
	decodeStatus := func(r csvResponse) error {
		st = reportStatus{}
		if err := json.NewDecoder(r.body).Decode(&st); err != nil {
			return fmt.Errorf("report status: %w", bodyErr(err))
		}
		return nil
	}
	u := c.endpoint("v3", "usagedetails/submit", q.csvQuery())
	if _, err := c.csvDo(ctx, http.MethodPost, u, true, "", meta, decodeStatus); err != nil {
		return c.deadlineErr(ctx, err, "submitting the report")
	}
	if st.ReportURL == "" {
		return &Error{Report: ReportUsageDetails, Kind: KindProtocol, Message: fmt.Sprintf("report %s: submit answered no reportUrl", st.ID)}
	}
	ru, err := c.base.Parse(strings.TrimSpace(st.ReportURL))
	if err != nil {
		return &Error{Report: ReportUsageDetails, Kind: KindProtocol, Message: fmt.Sprintf("report %s: malformed reportUrl", st.ID), Err: scrubURLError(err)}
	}
	if !sameOrigin(ru, c.base) {
		return &Error{Report: ReportUsageDetails, Kind: KindProtocol, Message: fmt.Sprintf("report %s: refusing reportUrl on foreign host %q (configured %s://%s)", st.ID, ru.Host, c.base.Scheme, c.base.Host)}
	}
	id := st.ID
	interval := c.cfg.ReportPollInterval
	if interval <= 0 {
		interval = DefaultReportPollInterval
	}
	wait := interval
	for polls := 0; ; polls++ {
		switch st.Status {
		case 3, 6:
			if strings.TrimSpace(st.BlobPath) != "" {
				return c.readBlob(ctx, q, id, st.BlobPath, rev, meta, fn)
			}
		case 5:
			// No data: an empty dataset, not an error.
			meta.Rows, meta.ETag = 0, hashRevision(sha256.New())
			meta.NotModified = rev == meta.ETag
			return nil
		case 4, 7:
			return &Error{Report: ReportUsageDetails, Kind: KindReportFailed, Message: fmt.Sprintf("report %s for %s ended with status %d (%s)", id, q.describe(), st.Status, statusName(st.Status))}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return c.deadlineErr(ctx, ctx.Err(), fmt.Sprintf("report %s for %s still %s (status %d) after %d polls", id, q.describe(), statusName(st.Status), st.Status, polls))
		case <-t.C:
		}
		var retryAfter time.Duration
		_, err := c.csvDo(ctx, http.MethodGet, ru, true, "", meta, func(r csvResponse) error {
			retryAfter = r.retryAfter
			return decodeStatus(r)
		})
		if err != nil {
			return c.deadlineErr(ctx, err, fmt.Sprintf("polling report %s", id))
		}
		if st.ReportURL != "" {
			if nu, err := c.base.Parse(strings.TrimSpace(st.ReportURL)); err == nil && sameOrigin(nu, c.base) {
				ru = nu
			}
		}
		switch {
		case retryAfter > 0:
			wait = retryAfter
		case polls == 0:
			wait = interval
		default:
			wait = min(wait*2, max(interval, DefaultReportMaxPoll))
		}
	}
}

// deadlineErr names the deadline when the context ran out.
func (c *Client) deadlineErr(ctx context.Context, err error, what string) error {
	if ctx.Err() == nil {
		return err
	}
	var e *Error
	if errors.As(err, &e) && e.Kind != KindTransport {
		return err
	}
	return &Error{Report: ReportUsageDetails, Kind: KindReportFailed, Message: what + ": deadline of the report exceeded", Err: ctx.Err()}
}

func (c *Client) readBlob(ctx context.Context, q Query, id, blobPath, rev string, meta *Meta, fn func(*billing.UsageRow) error) error {
	bu, err := url.Parse(strings.TrimSpace(blobPath))
	if err != nil || bu.Scheme != "http" && bu.Scheme != "https" || bu.Host == "" {
		return &Error{Report: ReportUsageDetails, Kind: KindProtocol, Message: fmt.Sprintf("report %s: blobPath is not an absolute http(s) URL", id)}
	}
	noSAS := *bu
	noSAS.RawQuery = ""
	name := ReportUsageDetails + " " + q.describe() + " blob " + noSAS.String()
	_, err = c.csvDo(ctx, http.MethodGet, bu, false, "", meta, func(r csvResponse) error {
		// The revision is the hash: a blob's own ETag names only that blob,
		// and every report writes a new one.
		return c.readCSV(r.body, "", name, rev, meta, fn)
	})
	var e *Error
	if errors.As(err, &e) && (e.Status == http.StatusForbidden || e.Status == http.StatusNotFound) {
		e.Err, e.Message = errBlobExpired, fmt.Sprintf("report %s: blob %s: %s", id, noSAS.String(), e.Message)
	}
	return err
}

// csvDo sends one request of the CSV routes and retries throttling, 5xx
// and transport errors (never once decode has started: rows may already
// have gone to the caller). With key false it sends no Authorization
// header: the blob's SAS URL is its credential.
func (c *Client) csvDo(ctx context.Context, method string, u *url.URL, key bool, etag string, meta *Meta, decode func(csvResponse) error) (notModified bool, err error) {
	return c.retrying(ctx, ReportUsageDetails, func() (time.Duration, bool, error) {
		return c.csvAttempt(ctx, method, u, key, etag, meta, decode)
	})
}

func (c *Client) csvAttempt(ctx context.Context, method string, u *url.URL, key bool, etag string, meta *Meta, decode func(csvResponse) error) (retryAfter time.Duration, notModified bool, err error) {
	report := ReportUsageDetails
	// A CSV download may take long (the reference: up to 60 minutes); the
	// request timeout bounds the wait for the response's headers, the
	// caller's context the whole read.
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := time.AfterFunc(c.cfg.RequestTimeout, cancel)
	req, err := http.NewRequestWithContext(hctx, method, u.String(), nil)
	if err != nil {
		timer.Stop()
		return 0, false, &Error{Report: report, Kind: KindProtocol, Err: scrubURLError(err)}
	}
	if key {
		req.Header.Set("Authorization", "bearer "+string(c.key))
	}
	req.Header.Set("Accept", "text/csv, application/json")
	req.Header.Set("Accept-Encoding", acceptEncoding)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	meta.Requests++
	resp, err := c.http.Do(req)
	timer.Stop()
	if err != nil {
		c.observe(report, "error")
		return 0, false, &Error{Report: report, Kind: KindTransport, Err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	c.observe(report, strconv.Itoa(resp.StatusCode))
	switch {
	case resp.StatusCode == http.StatusNotModified && method == http.MethodGet && etag != "":
		meta.ETag = resp.Header.Get("ETag")
		if meta.ETag == "" {
			meta.ETag = etag
		}
		return 0, true, nil
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted && method == http.MethodPost:
		body, release, err := uncompressed(resp)
		if err != nil {
			return 0, false, &Error{Report: report, Kind: KindDecode, Status: resp.StatusCode, Err: err}
		}
		lr := &bodylimit.Reader{R: body, N: maxCSVBytes}
		err = decode(csvResponse{status: resp.StatusCode, etag: resp.Header.Get("ETag"), body: lr, retryAfter: retryAfterOf(resp.Header, time.Now())})
		release()
		meta.Bytes += lr.Bytes()
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return 0, false, e
			}
			if ctx.Err() != nil {
				return 0, false, &Error{Report: report, Kind: KindTransport, Err: fmt.Errorf("reading body: %w", ctx.Err())}
			}
			return 0, false, &Error{Report: report, Kind: KindDecode, Status: resp.StatusCode, Err: err}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return 0, false, nil
	default:
		return retryAfterOf(resp.Header, time.Now()), false, &Error{Report: report, Kind: apierr.ForStatus(resp.StatusCode), Status: resp.StatusCode, Message: excerpt(errorBody(resp), string(c.key))}
	}
}
