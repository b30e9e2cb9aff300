package armclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/bodylimit"
)

// moduleVersion goes into the azcore telemetry User-Agent.
const moduleVersion = "v1"

// Client reads one EA enrollment through Azure Resource Manager. It
// implements billing.Source and billing.CredentialExpirer, and is safe for
// concurrent use.
type Client struct {
	cfg      Config
	base     *url.URL // ARM endpoint, scheme and host only matter
	account  string   // path-escaped billing account
	pl       runtime.Pipeline
	armHTTP  *http.Client // the transport under the pipeline
	blobHTTP *http.Client // download blobs: never an Authorization header

	// clock, replaced in tests; calendar is Config.Now.
	now      func() time.Time
	calendar func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu       sync.Mutex
	acct     *accountInfo
	acctAt   time.Time
	closedRv map[string]string // report+"/"+period -> revision of a closed period

	cost *costState // the Cost Details runs (usage details, marketplace charges)
}

var (
	_ billing.Source            = (*Client)(nil)
	_ billing.CredentialExpirer = (*Client)(nil)
)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	base, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil {
		return nil, fmt.Errorf("ARM endpoint: %w", err)
	}
	if base.Scheme != "https" || base.Host == "" || base.User != nil {
		// azcore refuses to send a bearer token over plain HTTP anyway.
		return nil, fmt.Errorf("ARM endpoint %q: want an absolute https URL", cfg.Endpoint)
	}
	if cfg.TokenScope == "" {
		cfg.TokenScope = base.Scheme + "://" + base.Host + "/.default"
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
	blob := hc
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(req.URL, base) {
			return fmt.Errorf("refusing redirect to foreign host %s", req.URL.Host)
		}
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return nil
	}
	blob.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return errors.New("refusing redirect to a non-https URL")
		}
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		req.Header.Del("Authorization") // never set, but be sure
		return nil
	}

	c := &Client{
		cfg:      cfg,
		base:     base,
		account:  url.PathEscape(strings.TrimSpace(cfg.BillingAccount)),
		armHTTP:  &hc,
		blobHTTP: &blob,
		now:      time.Now,
		calendar: cfg.Now,
		sleep:    sleepCtx,
		closedRv: map[string]string{},
		cost:     newCostState(cfg.CostDetailsLimits),
	}
	if c.calendar == nil {
		c.calendar = func() time.Time { return c.now() }
	}
	opts := &policy.ClientOptions{
		Transport: &hc,
		// Retries are ours (see do): azcore's honours only Retry-After.
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Telemetry: policy.TelemetryOptions{ApplicationID: cfg.UserAgent},
	}
	bearer := runtime.NewBearerTokenPolicy(tokenErrorCredential{cfg.Credential}, []string{cfg.TokenScope}, nil)
	c.pl = runtime.NewPipeline("armclient", moduleVersion, runtime.PipelineOptions{
		PerRetry: []policy.Policy{hostGuard{base: base}, bearer},
	}, opts)
	return c, nil
}

// String describes the client without its credential.
func (c *Client) String() string {
	return fmt.Sprintf("armclient.Client{billingAccount: %q, endpoint: %q}", c.cfg.BillingAccount, c.base)
}

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// BillingAccount returns the enrollment number the client reads.
func (c *Client) BillingAccount() string { return c.cfg.BillingAccount }

// Close releases idle connections; the client may still be used.
func (c *Client) Close() {
	c.armHTTP.CloseIdleConnections()
	c.blobHTTP.CloseIdleConnections()
}

// CredentialExpiry implements billing.CredentialExpirer: the expiry given in
// Config, else the credential's own (a certificate's NotAfter).
func (c *Client) CredentialExpiry() (kind string, expiry time.Time, ok bool) {
	if c.cfg.CredentialKind != "" && !c.cfg.CredentialExpiry.IsZero() {
		return c.cfg.CredentialKind, c.cfg.CredentialExpiry, true
	}
	if e, isExp := c.cfg.Credential.(billing.CredentialExpirer); isExp {
		return e.CredentialExpiry()
	}
	return "", time.Time{}, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

// hostGuard is the pipeline policy before the bearer policy: a request to
// any scheme or host but the configured ARM endpoint's fails before a token
// is attached.
type hostGuard struct{ base *url.URL }

func (g hostGuard) Do(req *policy.Request) (*http.Response, error) {
	if u := req.Raw().URL; !sameOrigin(u, g.base) {
		return nil, &hostError{host: u.Host}
	}
	return req.Next()
}

type hostError struct{ host string }

func (e *hostError) Error() string {
	return "refusing to send the bearer token to foreign host " + e.host
}

// tokenErrorCredential marks the errors of the credential, so that do can
// tell a failed token request from a failed ARM request.
type tokenErrorCredential struct{ azcore.TokenCredential }

func (t tokenErrorCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := t.TokenCredential.GetToken(ctx, o)
	if err != nil {
		return tok, &tokenError{err: err}
	}
	return tok, nil
}

type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// endpoint builds an ARM URL from a path under the ARM endpoint and a query.
// The query is written as given (keys like $filter stay readable).
func (c *Client) endpoint(path string, query string) *url.URL {
	u := &url.URL{Scheme: c.base.Scheme, Host: c.base.Host, Path: strings.TrimRight(c.base.Path, "/") + path}
	u.RawQuery = query
	return u
}

// accountPath is the billing account scope, e.g.
// /providers/Microsoft.Billing/billingAccounts/1234567.
func (c *Client) accountPath() string {
	return "/providers/Microsoft.Billing/billingAccounts/" + c.account
}

// link resolves a nextLink or Location against the ARM endpoint and refuses
// (or, with RewriteLinkHosts, rewrites) one on another host.
func (c *Client) link(report, raw string) (*url.URL, error) {
	u, err := c.base.Parse(raw)
	if err != nil {
		return nil, &Error{Report: report, Kind: KindProtocol, Message: "invalid link: " + err.Error()}
	}
	if !sameOrigin(u, c.base) {
		if !c.cfg.RewriteLinkHosts {
			return nil, &Error{Report: report, Kind: KindProtocol, Message: fmt.Sprintf("refusing link to foreign host %q (the bearer token goes to %s only)", u.Host, c.base.Host)}
		}
		u.Scheme, u.Host = c.base.Scheme, c.base.Host
	}
	u.User = nil
	return u, nil
}

func (c *Client) observe(report, code string) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(report, code)
	}
}

// observeRateLimits passes the remaining-quota headers of h to RateLimit.
func (c *Client) observeRateLimits(report string, h http.Header) {
	if c.cfg.RateLimit == nil {
		return
	}
	for name, values := range h {
		n := strings.ToLower(name)
		if !strings.HasPrefix(n, "x-ms-ratelimit-") {
			continue
		}
		if !strings.HasPrefix(n, "x-ms-ratelimit-remaining-") && !strings.HasSuffix(n, "-remaining") {
			continue
		}
		for _, v := range values {
			for _, q := range parseQuota(v) {
				h := n
				if q.name != "" {
					h += ":" + q.name
				}
				c.cfg.RateLimit(report, h, q.value)
			}
		}
	}
}

type quota struct {
	name  string
	value float64
}

// parseQuota reads "11999", "DefaultQuota:7" or
// "QueriesPerHour:597,QueriesPerMin:57,QueriesPer10Sec:9".
func parseQuota(v string) []quota {
	var out []quota
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, num, found := strings.Cut(part, ":")
		if !found {
			name, num = "", part
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil {
			continue
		}
		out = append(out, quota{name: strings.TrimSpace(name), value: f})
	}
	return out
}

// retryAfter returns the longest wait any retry header of h asks for:
// Retry-After (seconds or an HTTP date), retry-after-ms, x-ms-retry-after-ms
// and every x-ms-ratelimit-*-retry-after (seconds).
func retryAfter(h http.Header, now time.Time) time.Duration {
	var longest time.Duration
	for name, values := range h {
		n := strings.ToLower(name)
		var unit time.Duration
		switch {
		case n == "retry-after":
			unit = time.Second
		case n == "retry-after-ms" || n == "x-ms-retry-after-ms":
			unit = time.Millisecond
		case strings.HasPrefix(n, "x-ms-ratelimit-") && strings.HasSuffix(n, "-retry-after"):
			unit = time.Second
		default:
			continue
		}
		for _, v := range values {
			v = strings.TrimSpace(v)
			var d time.Duration
			if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
				d = time.Duration(f * float64(unit))
			} else if unit == time.Second {
				if t, err := http.ParseTime(v); err == nil {
					d = t.Sub(now)
				}
			}
			if d > longest {
				longest = d
			}
		}
	}
	return longest
}

// request is one ARM call.
type request struct {
	report string
	method string
	u      *url.URL
	body   []byte // JSON, POST only
}

// response is a successful (2xx) ARM response. Close it.
type response struct {
	status int
	header http.Header
	body   io.Reader // limited to MaxBodyBytes
	close  func()
}

// do sends r through the pipeline and retries throttling (429), server
// errors (500, 502, 503, 504), transport errors and one 401 (the bearer
// policy drops its cached token on a 401, so the retry carries a fresh
// one). Any 2xx is returned for the caller to read.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	start := c.now()
	authRetried := false
	for attempt := 1; ; attempt++ {
		resp, wait, err := c.attempt(ctx, r)
		if err == nil {
			return resp, nil
		}
		var e *Error
		if !errors.As(err, &e) {
			return nil, err
		}
		e.Attempts = attempt
		retry := e.retryable()
		if e.Status == http.StatusUnauthorized && !authRetried {
			retry, authRetried = true, true
		}
		if !retry || ctx.Err() != nil || attempt >= c.cfg.Retry.MaxAttempts {
			return nil, e
		}
		if wait <= 0 && e.Status != http.StatusUnauthorized {
			wait = c.cfg.Retry.Backoff(attempt)
		}
		if c.now().Sub(start)+wait > c.cfg.Retry.MaxElapsed {
			if wait > 0 {
				e.Message = strings.TrimSpace(e.Message + fmt.Sprintf(" (retry wait %s is past the retry budget %s)", wait.Round(time.Second), c.cfg.Retry.MaxElapsed))
			}
			return nil, e
		}
		c.cfg.Logger.Debug("retrying ARM request", "report", r.report, "attempt", attempt, "wait", wait, "err", e)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, &Error{Report: r.report, Kind: KindTransport, Attempts: attempt, Err: err, Message: "cancelled while waiting to retry after: " + e.Error()}
		}
	}
}

func (c *Client) attempt(ctx context.Context, r request) (*response, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	req, err := runtime.NewRequest(ctx, r.method, r.u.String())
	if err != nil {
		cancel()
		return nil, 0, &Error{Report: r.report, Kind: KindProtocol, Err: err}
	}
	runtime.SkipBodyDownload(req)
	req.Raw().Header.Set("Accept", "application/json")
	if r.body != nil {
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(r.body)), "application/json"); err != nil {
			cancel()
			return nil, 0, &Error{Report: r.report, Kind: KindProtocol, Err: err}
		}
	} else if r.method == http.MethodPost {
		req.Raw().ContentLength = 0
		req.Raw().Header.Set("Content-Length", "0")
	}
	resp, err := c.pl.Do(req)
	if err != nil {
		cancel()
		var te *tokenError
		if errors.As(err, &te) {
			return nil, 0, &Error{Report: r.report, Kind: KindAuth, Message: "acquiring a token: " + describeTokenError(te.err), Err: te.err}
		}
		var he *hostError
		if errors.As(err, &he) {
			return nil, 0, &Error{Report: r.report, Kind: KindProtocol, Message: he.Error()}
		}
		c.observe(r.report, "error")
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, 0, &Error{Report: r.report, Kind: KindTransport, Err: fmt.Errorf("request timed out after %s", c.cfg.RequestTimeout)}
		}
		return nil, 0, &Error{Report: r.report, Kind: KindTransport, Err: scrubURLError(err)}
	}
	c.observe(r.report, strconv.Itoa(resp.StatusCode))
	c.observeRateLimits(r.report, resp.Header)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		body := resp.Body
		return &response{
			status: resp.StatusCode,
			header: resp.Header,
			body:   &bodylimit.Reader{R: body, N: c.cfg.MaxBodyBytes},
			close: func() {
				_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
				body.Close()
				cancel()
			},
		}, 0, nil
	}
	defer cancel()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	wait := retryAfter(resp.Header, c.now())
	return nil, wait, newStatusError(r.report, resp.StatusCode, raw, wait)
}

// scrubURLError drops the query string from a *url.Error (nextLink tokens,
// SAS signatures).
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
