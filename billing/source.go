package billing

import (
	"context"
	"errors"
	"time"
)

// Source reads one enrollment's reports from an upstream: the EA Reporting
// API (package eaclient), Azure Resource Manager, or a fake in tests. The
// collector knows only this interface: it never sees a wire format, an
// HTTP status or a credential.
//
// Every call takes the revision the caller holds from the last answer to
// the same request ("" for none). When the data has not changed since, a
// source returns Result.NotModified and no data; otherwise the data and
// its new revision. A revision is opaque: an ETag for the EA API, a
// content hash for a source without ETags.
//
// A source that has no data for a billing period yet (the period has not
// started being billed) returns ErrNoData; a source that cannot offer a
// report at all returns ErrUnsupported. Every other error is a failure of
// the refresh, and its text names the report and the cause.
type Source interface {
	BillingPeriods(ctx context.Context, revision string) ([]Period, Result, error)
	// BalanceSummary returns the commitment account of one billing period.
	BalanceSummary(ctx context.Context, period, revision string) (BalanceSummary, Result, error)
	// UsageDetails streams the usage rows of one billing period to each,
	// which must not keep the row (see UsageRow). want says what of a row
	// each reads; the source may skip decoding the rest.
	UsageDetails(ctx context.Context, period, revision string, want UsageWant, each func(*UsageRow) error) (Result, error)
	MarketplaceCharges(ctx context.Context, period, revision string) ([]MarketplaceCharge, Result, error)
	PriceSheet(ctx context.Context, period, revision string) ([]Price, Result, error)
	// ReservationUsage returns daily per-reservation use over the inclusive
	// UTC date range.
	ReservationUsage(ctx context.Context, from, to time.Time, revision string) ([]ReservationUsage, Result, error)
	// ReservationCharges returns reservation transactions whose event date
	// is in the inclusive UTC date range.
	ReservationCharges(ctx context.Context, from, to time.Time, revision string) ([]ReservationCharge, Result, error)
	// Close releases the source's connections.
	Close()
}

// Result describes one answer of a Source.
type Result struct {
	// Revision identifies the data returned; pass it to the next call of
	// the same request.
	Revision string
	// NotModified is true when the data is the one Revision was taken from;
	// no data was returned.
	NotModified bool
	// Rows is the number of rows read.
	Rows int
}

var (
	// ErrNoData: the source has no data for the period yet.
	ErrNoData = errors.New("no data for the billing period yet")
	// ErrUnsupported: the source does not offer the report.
	ErrUnsupported = errors.New("report not offered by this source")
)

// CredentialExpirer is implemented by sources whose credential has a known
// expiry (a JWT API key's exp claim, a certificate's NotAfter).
type CredentialExpirer interface {
	// CredentialExpiry returns the credential's kind (ea_api_key,
	// client_secret, client_certificate) and its expiry; ok is false when
	// the expiry is not known.
	CredentialExpiry() (kind string, expiry time.Time, ok bool)
}

// Credential kinds, the kind label of azure_ea_credential_expiry_timestamp_seconds.
const (
	CredentialEAAPIKey     = "ea_api_key"
	CredentialClientSecret = "client_secret"
	CredentialClientCert   = "client_certificate"
)

// Observer receives what a source learns about its upstream as it goes:
// every request's outcome, and the remaining quotas an upstream announces
// (ARM's x-ms-ratelimit-remaining-* headers). The exporter counts and
// exports them.
type Observer interface {
	// Request is called once per HTTP request with the report's name and
	// the status code ("200", "304", "429"), or "error" for no response.
	Request(report, code string)
	// Remaining is called with a remaining quota the upstream announced.
	Remaining(report, quota string, remaining float64)
}

// Cause classifies a refresh failure without its details, so that a change
// of cause (connection refused, then 401) can be told from the same
// failure again: a source's error says it through a Cause method; any
// other error is its own text.
func Cause(err error) string {
	var c interface{ Cause() string }
	if errors.As(err, &c) {
		return c.Cause()
	}
	return err.Error()
}
