package eaclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// Source adapts a Client to billing.Source, the one interface the
// collector reads every upstream through. It translates the EA API's
// vocabulary into the domain's: an ETag is the revision, 304 is
// Result.NotModified, a 404 for a billing period is billing.ErrNoData, and
// errors and request counts name the report the operator configured (the
// reservation_details report reads the reservation summaries route).
type Source struct {
	c         *Client
	keyExpiry time.Time
	keyIsJWT  bool
}

var (
	_ billing.Source            = (*Source)(nil)
	_ billing.CredentialExpirer = (*Source)(nil)
)

// routeReport maps a route that is read for another report to that report.
var routeReport = map[string]string{ReportReservationSummaries: ReportReservationDetails}

// NewSource returns the EA Reporting API source of one enrollment.
// cfg.ObserveRequest, if set, is called with the configured report names.
func NewSource(cfg Config) (*Source, error) {
	if obs := cfg.ObserveRequest; obs != nil {
		cfg.ObserveRequest = func(report, code string) {
			if r, ok := routeReport[report]; ok {
				report = r
			}
			obs(report, code)
		}
	}
	if !validUsageSource(cfg.UsageSource) {
		return nil, fmt.Errorf("unknown usage source %q (%s, %s or %s)", cfg.UsageSource, UsageSourceJSON, UsageSourceCSVDownload, UsageSourceCSVReport)
	}
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	exp, ok := KeyExpiry(cfg.APIKey)
	return &Source{c: c, keyExpiry: exp, keyIsJWT: ok}, nil
}

// Client returns the underlying API client.
func (s *Source) Client() *Client { return s.c }

// Close closes idle connections.
func (s *Source) Close() { s.c.Close() }

// CredentialExpiry is the exp claim of the API key, when it is a JWT.
func (s *Source) CredentialExpiry() (string, time.Time, bool) {
	return billing.CredentialEAAPIKey, s.keyExpiry, s.keyIsJWT
}

func result(m Meta) billing.Result {
	return billing.Result{Revision: m.ETag, NotModified: m.NotModified, Rows: m.Rows}
}

// domainErr renames the route in an error to its report and turns a 404
// for a billing period into billing.ErrNoData.
func domainErr(err error, period bool) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if r, ok := routeReport[e.Report]; ok {
			renamed := *e
			renamed.Report = r
			err = &renamed
			e = &renamed
		}
		if period && e.Kind == KindNotFound {
			return fmt.Errorf("%w: %w", billing.ErrNoData, err)
		}
	}
	return err
}

func (s *Source) BillingPeriods(ctx context.Context, rev string) ([]billing.Period, billing.Result, error) {
	ps, m, err := s.c.BillingPeriods(ctx, rev)
	return ps, result(m), domainErr(err, false)
}

// BalanceSummary returns the summary the API gives for the period; an
// answer that holds no summary of that period is no data.
func (s *Source) BalanceSummary(ctx context.Context, period, rev string) (billing.BalanceSummary, billing.Result, error) {
	bs, m, err := s.c.BalanceSummary(ctx, period, rev)
	if err != nil || m.NotModified {
		return billing.BalanceSummary{}, result(m), domainErr(err, true)
	}
	for _, b := range bs {
		if b.PeriodID == period {
			return b, result(m), nil
		}
	}
	return billing.BalanceSummary{}, result(m), fmt.Errorf("%w: %s: no summary of %s in the answer", billing.ErrNoData, ReportBalanceSummary, period)
}

func (s *Source) UsageDetails(ctx context.Context, period, rev string, want billing.UsageWant, each func(*billing.UsageRow) error) (billing.Result, error) {
	read := s.c.UsageDetails
	switch s.c.cfg.UsageSource {
	case UsageSourceCSVDownload:
		read = s.c.UsageDetailsCSV
	case UsageSourceCSVReport:
		read = s.c.UsageDetailsReport
	}
	m, err := read(ctx, Query{BillingPeriod: period, Want: want}, rev, each)
	return result(m), domainErr(err, true)
}

func (s *Source) MarketplaceCharges(ctx context.Context, period, rev string) ([]billing.MarketplaceCharge, billing.Result, error) {
	cs, m, err := s.c.MarketplaceCharges(ctx, Query{BillingPeriod: period}, rev)
	return cs, result(m), domainErr(err, true)
}

func (s *Source) PriceSheet(ctx context.Context, period, rev string) ([]billing.Price, billing.Result, error) {
	ps, m, err := s.c.PriceSheet(ctx, period, rev)
	return ps, result(m), domainErr(err, true)
}

// ReservationUsage reads the daily reservation summaries: one row per
// reservation and day, which is what utilisation windows need.
func (s *Source) ReservationUsage(ctx context.Context, from, to time.Time, rev string) ([]billing.ReservationUsage, billing.Result, error) {
	rs, m, err := s.c.ReservationSummaries(ctx, "daily", from, to, rev)
	return rs, result(m), domainErr(err, false)
}

func (s *Source) ReservationCharges(ctx context.Context, from, to time.Time, rev string) ([]billing.ReservationCharge, billing.Result, error) {
	cs, m, err := s.c.ReservationCharges(ctx, from, to, rev)
	return cs, result(m), domainErr(err, false)
}
