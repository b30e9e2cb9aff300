package armclient

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/apierr"
)

// Report names, as used in configuration, metrics and errors. They are the
// same keys as the EA source's, so that both sources feed the same series.
const (
	ReportBillingPeriods     = billing.ReportBillingPeriods
	ReportBalanceSummary     = billing.ReportBalanceSummary
	ReportUsageDetails       = billing.ReportUsageDetails
	ReportMarketplaceCharges = billing.ReportMarketplaceCharges
	ReportPriceSheet         = billing.ReportPriceSheet
	ReportReservationDetails = billing.ReportReservationDetails
	ReportReservationCharges = billing.ReportReservationCharges
)

// Clouds, the values of Config.Cloud and CredentialOptions.Cloud.
const (
	CloudPublic       = "public"
	CloudUSGovernment = "us_government"
	CloudChina        = "china"
)

// cloudEndpoints holds the ARM endpoint and the Entra ID authority of each
// cloud (the values azcore/cloud embeds).
var cloudEndpoints = map[string]struct{ arm, authority string }{
	CloudPublic:       {"https://management.azure.com", "https://login.microsoftonline.com/"},
	CloudUSGovernment: {"https://management.usgovcloudapi.net", "https://login.microsoftonline.us/"},
	CloudChina:        {"https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn/"},
}

// DefaultEndpoint returns the ARM endpoint of a cloud ("" means public).
func DefaultEndpoint(cloudName string) (string, error) {
	if cloudName == "" {
		cloudName = CloudPublic
	}
	c, ok := cloudEndpoints[cloudName]
	if !ok {
		return "", fmt.Errorf("unknown cloud %q (want %s, %s or %s)", cloudName, CloudPublic, CloudUSGovernment, CloudChina)
	}
	return c.arm, nil
}

// DefaultAuthorityHost returns the Entra ID authority of a cloud ("" means
// public).
func DefaultAuthorityHost(cloudName string) (string, error) {
	if cloudName == "" {
		cloudName = CloudPublic
	}
	c, ok := cloudEndpoints[cloudName]
	if !ok {
		return "", fmt.Errorf("unknown cloud %q (want %s, %s or %s)", cloudName, CloudPublic, CloudUSGovernment, CloudChina)
	}
	return c.authority, nil
}

// APIVersions are the api-version query values sent to each resource
// provider. Empty fields take the defaults in DefaultAPIVersions.
type APIVersions struct {
	Billing        string // Microsoft.Billing (billing account, departments)
	Consumption    string // Microsoft.Consumption (balances, reservations)
	CostManagement string // Microsoft.CostManagement (price sheet download)
}

// DefaultAPIVersions are the versions the reference's examples were
// checked against. 2026-06-01 exists for Consumption and CostManagement but
// has not been seen on a live EA tenant yet.
var DefaultAPIVersions = APIVersions{
	Billing:        "2024-04-01",
	Consumption:    "2024-08-01",
	CostManagement: "2025-03-01",
}

// Retry bounds the retries of one request. Zero values take the defaults
// (internal/apierr, shared with eaclient).
type Retry = apierr.Retry

// DefaultRetry is the retry policy when Config.Retry is zero.
var DefaultRetry = Retry{MaxAttempts: 5, InitialBackoff: 2 * time.Second, MaxBackoff: time.Minute, MaxElapsed: 10 * time.Minute}

// Defaults for Config's zero values.
const (
	DefaultRequestTimeout    = 2 * time.Minute
	DefaultMaxBodyBytes      = 64 << 20 // one JSON response or page (ARM itself caps at 12 MB)
	DefaultMaxPages          = 1000
	DefaultMaxDownloadBytes  = 2 << 30 // the spooled price-sheet ZIP
	DefaultAsyncTimeout      = 15 * time.Minute
	DefaultPollInterval      = 30 * time.Second
	DefaultMaxPollInterval   = 5 * time.Minute
	DefaultBillingPeriods    = 13
	DefaultAccountCacheTTL   = 24 * time.Hour
	DefaultClosedPeriodGrace = 5 * 24 * time.Hour
	DefaultCostDetailsShare  = time.Hour
	DefaultCostDetailsWait   = 2 * time.Minute
)

// CostDetailsLimits are the documented Cost Details limits the client
// keeps under (api-latency-rate-limits.md): report submissions per scope
// (the billing account) per minute, hour and day, and polls of one
// operation per minute. Zero fields take DefaultCostDetailsLimits; a
// negative field disables that limit.
type CostDetailsLimits struct {
	PerMinute, PerHour, PerDay int
	PollsPerMinute             int
}

// DefaultCostDetailsLimits are the documented limits.
var DefaultCostDetailsLimits = CostDetailsLimits{PerMinute: 2, PerHour: 10, PerDay: 50, PollsPerMinute: 2}

// Config configures a Client.
type Config struct {
	// BillingAccount is the EA enrollment number, the ARM billing account
	// name (e.g. "1234567").
	BillingAccount string
	// Cloud selects the default Endpoint: public (default), us_government
	// or china.
	Cloud string
	// Endpoint is the ARM endpoint, e.g. https://management.azure.com.
	// Empty means the Cloud's. The bearer token is sent to this scheme and
	// host only.
	Endpoint string
	// TokenScope is the scope tokens are requested for; Endpoint + "/.default"
	// when empty.
	TokenScope string
	// Credential obtains the bearer tokens (see NewCredential). When it
	// implements billing.CredentialExpirer (a *Credential does), the
	// client reports its expiry unless CredentialKind is set.
	Credential azcore.TokenCredential
	// CredentialKind and CredentialExpiry, when both set, override the
	// credential's own expiry (e.g. a client secret's expiry, which only
	// the operator knows).
	CredentialKind   string
	CredentialExpiry time.Time

	// HTTPClient carries the requests to ARM and to the download blobs; a
	// client with sane transport defaults when nil. Its CheckRedirect is
	// replaced: ARM requests never follow a redirect to another host.
	HTTPClient *http.Client
	// APIVersions per resource provider; zero fields take the defaults.
	APIVersions APIVersions
	// RequestTimeout bounds one HTTP request including reading its body.
	RequestTimeout time.Duration
	Retry          Retry
	// MaxBodyBytes bounds one JSON response (one page of a list).
	MaxBodyBytes int64
	// MaxPages bounds the pages followed through nextLink.
	MaxPages int
	// MaxDownloadBytes bounds a downloaded file (the price-sheet ZIP),
	// spooled to a temporary file in TempDir (os.TempDir when empty).
	MaxDownloadBytes int64
	TempDir          string
	// AsyncTimeout bounds an asynchronous report (POST, polling and the
	// download). PollInterval is the wait between polls when the server
	// sends no Retry-After; a Retry-After is honoured up to MaxPollInterval.
	AsyncTimeout    time.Duration
	PollInterval    time.Duration
	MaxPollInterval time.Duration
	// RewriteLinkHosts, when true, rewrites the scheme and host of a
	// nextLink or Location that names another host to Endpoint's, instead
	// of refusing it (for sovereign clouds that answer with public links).
	RewriteLinkHosts bool

	// BillingPeriods is the number of calendar-month billing periods
	// BillingPeriods returns, the current one included (default 13, the
	// price sheet's and Cost Details' reach).
	BillingPeriods int
	// AccountCacheTTL is how long the billing account (enrollment start
	// and end dates, departments) is reused before it is read again.
	AccountCacheTTL time.Duration
	// ClosedPeriodGrace is how long after its end a billing period counts
	// as closed. A closed period's balance and price sheet are answered
	// NotModified without a request when the caller passes back the
	// revision this client returned for it. Negative disables that.
	ClosedPeriodGrace time.Duration
	// PriceTypes selects the price-sheet rows by their priceType column
	// (case-insensitive). Default: Consumption (rows without a priceType
	// are kept too). Reserved-instance and savings-plan rows repeat the
	// meter and would collide in azure_ea_price_sheet_* series.
	PriceTypes []string

	// CostDetailsShare is how long one Cost Details run of a billing
	// period feeds both reports: MarketplaceCharges answers from the run
	// UsageDetails made (and UsageDetails answers NotModified from the run
	// MarketplaceCharges made, when its revision is unchanged) if the run
	// completed less than this ago. Default 1h, the shorter of an hour and
	// the data's refresh (about 4h). Negative disables sharing of completed
	// runs (a run in flight is still shared).
	CostDetailsShare time.Duration
	// CostDetailsLimits bound Cost Details submissions and polls.
	CostDetailsLimits CostDetailsLimits
	// CostDetailsMaxWait is the longest a call waits for the submission
	// budget (CostDetailsLimits) to allow a report; past it the call fails
	// at once with a throttled error naming the limit and when it frees up
	// (the collector keeps the last data and retries with backoff).
	// Default 2m.
	CostDetailsMaxWait time.Duration
	// CostDetailsMetric is the report's metric: ActualCost (default, what
	// the EA usage details report) or AmortizedCost.
	CostDetailsMetric string

	// Now is the billing calendar's clock: which billing periods exist and
	// which have closed. time.Now when nil; end-to-end tests at fixed
	// dates set it. Waits and deadlines always use the real clock.
	Now func() time.Time

	UserAgent string
	// Observe, when set, is called once per HTTP request with the report
	// and the status code ("200", "202", "429") or "error" when no response
	// came back. Token requests to the identity authority are not counted.
	Observe func(report, code string)
	// RateLimit, when set, is called for each remaining-quota header of a
	// response (x-ms-ratelimit-remaining-* and x-ms-ratelimit-*-remaining)
	// with its lower-case name and value. A value made of named quotas,
	// e.g. "QueriesPerHour:597,QueriesPerMin:57", gives one call per quota
	// with header "<name>:<quota>" (e.g. "...-qpu-remaining:QueriesPerHour").
	RateLimit func(report, header string, remaining float64)
	Logger    *slog.Logger
}

func (c *Config) setDefaults() error {
	if strings.TrimSpace(c.BillingAccount) == "" {
		return fmt.Errorf("billing account (enrollment number) is empty")
	}
	if c.Credential == nil {
		return fmt.Errorf("credential is nil")
	}
	if c.Endpoint == "" {
		ep, err := DefaultEndpoint(c.Cloud)
		if err != nil {
			return err
		}
		c.Endpoint = ep
	}
	v := &c.APIVersions
	if v.Billing == "" {
		v.Billing = DefaultAPIVersions.Billing
	}
	if v.Consumption == "" {
		v.Consumption = DefaultAPIVersions.Consumption
	}
	if v.CostManagement == "" {
		v.CostManagement = DefaultAPIVersions.CostManagement
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	c.Retry = c.Retry.Or(DefaultRetry)
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxPages <= 0 {
		c.MaxPages = DefaultMaxPages
	}
	if c.MaxDownloadBytes <= 0 {
		c.MaxDownloadBytes = DefaultMaxDownloadBytes
	}
	if c.AsyncTimeout <= 0 {
		c.AsyncTimeout = DefaultAsyncTimeout
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.MaxPollInterval <= 0 {
		c.MaxPollInterval = DefaultMaxPollInterval
	}
	if c.BillingPeriods <= 0 {
		c.BillingPeriods = DefaultBillingPeriods
	}
	if c.AccountCacheTTL <= 0 {
		c.AccountCacheTTL = DefaultAccountCacheTTL
	}
	if c.ClosedPeriodGrace == 0 {
		c.ClosedPeriodGrace = DefaultClosedPeriodGrace
	}
	if c.CostDetailsShare == 0 {
		c.CostDetailsShare = DefaultCostDetailsShare
	}
	l, d := &c.CostDetailsLimits, DefaultCostDetailsLimits
	for _, f := range []struct {
		v *int
		d int
	}{{&l.PerMinute, d.PerMinute}, {&l.PerHour, d.PerHour}, {&l.PerDay, d.PerDay}, {&l.PollsPerMinute, d.PollsPerMinute}} {
		if *f.v == 0 {
			*f.v = f.d
		}
	}
	if c.CostDetailsMaxWait <= 0 {
		c.CostDetailsMaxWait = DefaultCostDetailsWait
	}
	switch strings.ToLower(c.CostDetailsMetric) {
	case "", "actualcost":
		c.CostDetailsMetric = "ActualCost"
	case "amortizedcost":
		c.CostDetailsMetric = "AmortizedCost"
	default:
		return fmt.Errorf("cost details metric %q: want ActualCost or AmortizedCost", c.CostDetailsMetric)
	}
	if len(c.PriceTypes) == 0 {
		c.PriceTypes = []string{"Consumption"}
	}
	if c.UserAgent == "" {
		c.UserAgent = "azure_ea_exporter"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
