// Package eaclient is a client for the Azure Enterprise Agreement Reporting
// API (consumption.azure.com). It knows the API's HTTP side: the bearer key,
// ETags and 304 Not Modified, paging, retries with backoff, size limits and
// the quirks of real responses. It returns the domain types of package
// billing and knows nothing of Prometheus.
//
// One Client serves one enrollment. Every method takes the ETag of the last
// good response for the same request (empty for none); when the data has not
// changed the method returns Meta.NotModified and no data.
package eaclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/apierr"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/bodylimit"
)

// Report names, as used in configuration, metrics and errors.
const (
	ReportBillingPeriods     = billing.ReportBillingPeriods
	ReportBalanceSummary     = billing.ReportBalanceSummary
	ReportUsageDetails       = billing.ReportUsageDetails
	ReportMarketplaceCharges = billing.ReportMarketplaceCharges
	ReportPriceSheet         = billing.ReportPriceSheet
	ReportReservationDetails = billing.ReportReservationDetails
	ReportReservationCharges = billing.ReportReservationCharges
	// ReportReservationSummaries names the route, which the exporter reads
	// for the reservation_details report (see Source).
	ReportReservationSummaries = "reservation_summaries"
)

// Defaults for Config's zero values.
const (
	DefaultRequestTimeout = 2 * time.Minute
	DefaultMaxBodyBytes   = 64 << 20  // one response of a report that is not paged
	DefaultMaxPageBytes   = 256 << 20 // one page of usage details
	DefaultMaxPages       = 100_000
)

// Retry bounds the retries of one request. Zero values take the defaults
// (internal/apierr, shared with armclient).
type Retry = apierr.Retry

// DefaultRetry is the retry policy when Config.Retry is zero.
var DefaultRetry = Retry{MaxAttempts: 4, InitialBackoff: time.Second, MaxBackoff: time.Minute, MaxElapsed: 5 * time.Minute}

// Config configures a Client.
type Config struct {
	// BaseURL of the API (the configuration's base_url). nextLink URLs are
	// followed only on this scheme and host.
	BaseURL    string
	Enrollment string
	APIKey     string
	// HTTPClient to use; a client with sane transport defaults when nil.
	// Its CheckRedirect is replaced so that the key never follows a
	// redirect to another host.
	HTTPClient *http.Client
	// RequestTimeout bounds one HTTP request including reading its body.
	RequestTimeout time.Duration
	Retry          Retry
	MaxBodyBytes   int64
	MaxPageBytes   int64
	MaxPages       int
	UserAgent      string
	// ObserveRequest, when set, is called once per HTTP request with the
	// report and the status code ("200", "304", "429") or "error" when no
	// response came back.
	ObserveRequest func(report, code string)
	Logger         *slog.Logger

	// UsageSource is how Source reads usage details: UsageSourceJSON (""
	// too), UsageSourceCSVDownload or UsageSourceCSVReport (usage_csv.go).
	UsageSource string
	// ReportPollInterval is the first wait between polls of a CSV report
	// without Retry-After (then doubling up to a minute);
	// ReportDeadline bounds a CSV download, and a CSV report from submit
	// to the end of its blob. Zero values take the defaults.
	ReportPollInterval time.Duration
	ReportDeadline     time.Duration
}

// Meta describes a successful call.
type Meta struct {
	// ETag of the response; pass it to the next call of the same request.
	ETag string
	// NotModified is true when the server answered 304: the data is the
	// same as the one the ETag was taken from, and none was returned.
	NotModified bool
	// Rows decoded, and bytes of response body read, over all pages.
	Rows     int
	Bytes    int64
	Pages    int
	Requests int
}

// Client calls the EA Reporting API for one enrollment. It is safe for
// concurrent use.
type Client struct {
	base       *url.URL
	enrollment string
	key        secret
	http       *http.Client
	cfg        Config
	retry      Retry
	logger     *slog.Logger
}

// secret keeps the API key out of fmt and slog output.
type secret string

func (secret) String() string                 { return "<secret>" }
func (secret) GoString() string               { return "<secret>" }
func (secret) LogValue() slog.Value           { return slog.StringValue("<secret>") }
func (s secret) MarshalText() ([]byte, error) { return []byte("<secret>"), nil }

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("base URL is empty")
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("base URL: %w", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("base URL %q: want an absolute http or https URL", cfg.BaseURL)
	}
	if cfg.Enrollment == "" {
		return nil, errors.New("enrollment number is empty")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("API key is empty")
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxPageBytes <= 0 {
		cfg.MaxPageBytes = DefaultMaxPageBytes
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "azure_ea_exporter"
	}
	r := cfg.Retry.Or(DefaultRetry)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = cfg.RequestTimeout
		tr.MaxIdleConnsPerHost = 4
		hc.Transport = tr
	}
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(req.URL, base) {
			return fmt.Errorf("refusing redirect to foreign host %s", req.URL.Host)
		}
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return nil
	}
	key := cfg.APIKey
	cfg.APIKey = "" // kept only as a secret
	return &Client{
		base:       base,
		enrollment: cfg.Enrollment,
		key:        secret(key),
		http:       &hc,
		cfg:        cfg,
		retry:      r,
		logger:     logger,
	}, nil
}

// String describes the client without its key.
func (c *Client) String() string {
	return fmt.Sprintf("eaclient.Client{enrollment: %q, base: %q}", c.enrollment, c.base)
}

// GoString is String, so that %#v does not print the key either.
func (c *Client) GoString() string { return c.String() }

// Close releases the client's idle connections. The client may still be
// used afterwards (it opens new ones).
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Enrollment returns the enrollment number the client reads.
func (c *Client) Enrollment() string { return c.enrollment }

func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

// endpoint builds the URL of an API path under the enrollment, e.g.
// endpoint("v3", "billingPeriods/202611/usagedetails", nil).
func (c *Client) endpoint(version, rest string, query url.Values) *url.URL {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + "/" + version + "/enrollments/" + url.PathEscape(c.enrollment) + "/" + rest
	u.RawPath = ""
	if query != nil {
		u.RawQuery = query.Encode()
	}
	return &u
}

// response is one HTTP response whose body the caller decodes.
type response struct {
	status int
	etag   string
	body   io.Reader
}

// get sends a GET for report to u and retries what is worth retrying. On a
// 200 it calls decode with the body, limited to maxBytes; on a 304 it returns
// notModified. decode runs under the request's timeout. Decode errors are not
// retried: rows may already have been handed to the caller.
func (c *Client) get(ctx context.Context, report string, u *url.URL, etag string, maxBytes int64, meta *Meta, decode func(response) error) (notModified bool, err error) {
	return c.retrying(ctx, report, func() (time.Duration, bool, error) {
		return c.attempt(ctx, report, u, etag, maxBytes, meta, decode)
	})
}

// retrying makes attempts until one succeeds or fails for good: throttling,
// 5xx and transport errors are retried after the server's Retry-After or an
// exponential backoff, within the retry policy's attempts and time; any
// other error, or one that is not an *Error (a
// decode error: rows may already have gone to the caller), is returned at
// once.
func (c *Client) retrying(ctx context.Context, report string, attempt func() (retryAfter time.Duration, notModified bool, err error)) (bool, error) {
	start := time.Now()
	for n := 1; ; n++ {
		retryAfter, notMod, err := attempt()
		if err == nil {
			return notMod, nil
		}
		var e *Error
		if !errors.As(err, &e) {
			return false, err
		}
		e.Attempts = n
		if !apierr.Retryable(e.Kind, e.Status, e.Err) || ctx.Err() != nil || n >= c.retry.MaxAttempts {
			return false, e
		}
		wait := retryAfter
		if wait <= 0 {
			wait = c.retry.Backoff(n)
		}
		if time.Since(start)+wait > c.retry.MaxElapsed {
			return false, e
		}
		c.logger.Debug("retrying API request", "report", report, "attempt", n, "wait", wait, "err", e)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, &Error{Report: report, Kind: KindTransport, Attempts: n, Err: ctx.Err(), Message: "cancelled while waiting to retry after: " + e.Error()}
		case <-t.C:
		}
	}
}

func (c *Client) attempt(ctx context.Context, report string, u *url.URL, etag string, maxBytes int64, meta *Meta, decode func(response) error) (retryAfter time.Duration, notModified bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, false, &Error{Report: report, Kind: KindProtocol, Err: err}
	}
	req.Header.Set("Authorization", "bearer "+string(c.key))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", acceptEncoding)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	meta.Requests++
	resp, err := c.http.Do(req)
	if err != nil {
		c.observe(report, "error")
		return 0, false, &Error{Report: report, Kind: KindTransport, Err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	c.observe(report, strconv.Itoa(resp.StatusCode))

	switch {
	case resp.StatusCode == http.StatusNotModified:
		meta.ETag = resp.Header.Get("ETag")
		if meta.ETag == "" {
			meta.ETag = etag
		}
		return 0, true, nil
	case resp.StatusCode == http.StatusOK:
		body, release, err := uncompressed(resp)
		if err != nil {
			return 0, false, &Error{Report: report, Kind: KindDecode, Status: resp.StatusCode, Err: err}
		}
		lr := &bodylimit.Reader{R: body, N: maxBytes}
		err = decode(response{status: resp.StatusCode, etag: resp.Header.Get("ETag"), body: lr})
		release()
		meta.Bytes += lr.Bytes()
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return 0, false, e
			}
			switch {
			case errors.Is(err, bodylimit.ErrTooLarge):
				return 0, false, &Error{Report: report, Kind: KindProtocol, Status: resp.StatusCode, Message: fmt.Sprintf("response body larger than %d bytes", maxBytes)}
			case ctx.Err() != nil:
				return 0, false, &Error{Report: report, Kind: KindTransport, Err: fmt.Errorf("reading body: %w", ctx.Err())}
			}
			return 0, false, &Error{Report: report, Kind: KindDecode, Status: resp.StatusCode, Err: err}
		}
		// Drain what the decoder left so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return 0, false, nil
	default:
		e := &Error{Report: report, Kind: apierr.ForStatus(resp.StatusCode), Status: resp.StatusCode, Message: excerpt(errorBody(resp), string(c.key))}
		return retryAfterOf(resp.Header, time.Now()), false, e
	}
}

// errorBody returns the first 4 KiB of an error answer, uncompressed.
func errorBody(resp *http.Response) []byte {
	r, release, err := uncompressed(resp)
	if err != nil {
		return []byte("(" + err.Error() + ")")
	}
	defer release()
	body, _ := io.ReadAll(io.LimitReader(r, 4<<10))
	return body
}

func (c *Client) observe(report, code string) {
	if c.cfg.ObserveRequest != nil {
		c.cfg.ObserveRequest(report, code)
	}
}

// scrubURLError drops the query string from a *url.Error: nextLink tokens
// are opaque and may be long; the key is never in a URL.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// Retry headers: 429 carries the consumption-specific header, 503 the
// standard one. Both are seconds; Retry-After may also be an HTTP date.
const headerRetryAfterMS = "x-ms-ratelimit-microsoft.consumption-retry-after"

func retryAfterOf(h http.Header, now time.Time) time.Duration {
	for _, name := range []string{headerRetryAfterMS, "Retry-After"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
			return 0
		}
	}
	return 0
}
