package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// fakeSource is an in-memory billing.Source: the collector's tests drive
// every report's semantics through it without HTTP. Its revision is a
// version number that bump advances; a call with the current revision is
// not modified.
type fakeSource struct {
	mu          sync.Mutex
	version     int
	periods     []billing.Period
	balances    map[string]billing.BalanceSummary
	usage       map[string][]billing.UsageRow
	market      map[string][]billing.MarketplaceCharge
	prices      map[string][]billing.Price
	resUsage    []billing.ReservationUsage
	resCharges  []billing.ReservationCharge
	failing     map[string]error // report -> error
	unsupported map[string]bool
	calls       map[string]int
	// resRange is the last date range asked of ReservationUsage.
	resRange [2]time.Time
	closed   bool
}

func newFakeSource() *fakeSource {
	return &fakeSource{
		version: 1, balances: map[string]billing.BalanceSummary{}, usage: map[string][]billing.UsageRow{},
		market: map[string][]billing.MarketplaceCharge{}, prices: map[string][]billing.Price{},
		failing: map[string]error{}, unsupported: map[string]bool{}, calls: map[string]int{},
	}
}

// opener returns a SourceOpener that hands out this source.
func (f *fakeSource) opener() SourceOpener {
	return func(*config.Config, *config.Enrollment, billing.Observer, *slog.Logger) (billing.Source, error) {
		return f, nil
	}
}

func (f *fakeSource) bump() { f.mu.Lock(); f.version++; f.mu.Unlock() }

func (f *fakeSource) setFailing(report string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.failing, report)
	} else {
		f.failing[report] = err
	}
}

func (f *fakeSource) callCount(report string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[report]
}

// begin records a call and says how it ends: an error, not modified, or
// data under the returned revision.
func (f *fakeSource) begin(report, rev string) (billing.Result, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[report]++
	if f.unsupported[report] {
		return billing.Result{}, false, fmt.Errorf("%s: %w", report, billing.ErrUnsupported)
	}
	if err := f.failing[report]; err != nil {
		return billing.Result{}, false, err
	}
	cur := fmt.Sprintf("v%d", f.version)
	if rev == cur {
		return billing.Result{Revision: cur, NotModified: true}, false, nil
	}
	return billing.Result{Revision: cur}, true, nil
}

func (f *fakeSource) BillingPeriods(_ context.Context, rev string) ([]billing.Period, billing.Result, error) {
	res, fresh, err := f.begin(config.BillingPeriods, rev)
	if !fresh {
		return nil, res, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res.Rows = len(f.periods)
	return append([]billing.Period(nil), f.periods...), res, nil
}

func (f *fakeSource) BalanceSummary(_ context.Context, period, rev string) (billing.BalanceSummary, billing.Result, error) {
	res, fresh, err := f.begin(config.BalanceSummary, rev)
	if !fresh {
		return billing.BalanceSummary{}, res, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.balances[period]
	if !ok {
		return b, res, billing.ErrNoData
	}
	res.Rows = 1
	return b, res, nil
}

func (f *fakeSource) UsageDetails(_ context.Context, period, rev string, _ billing.UsageWant, each func(*billing.UsageRow) error) (billing.Result, error) {
	res, fresh, err := f.begin(config.UsageDetails, rev)
	if !fresh {
		return res, err
	}
	f.mu.Lock()
	rows, ok := f.usage[period]
	f.mu.Unlock()
	if !ok {
		return res, billing.ErrNoData
	}
	for i := range rows {
		r := rows[i] // the callback may not keep it: give it a copy, as a streaming source reuses its row
		if err := each(&r); err != nil {
			return res, err
		}
	}
	res.Rows = len(rows)
	return res, nil
}

func (f *fakeSource) MarketplaceCharges(_ context.Context, period, rev string) ([]billing.MarketplaceCharge, billing.Result, error) {
	res, fresh, err := f.begin(config.MarketplaceCharges, rev)
	if !fresh {
		return nil, res, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cs, ok := f.market[period]
	if !ok {
		return nil, res, billing.ErrNoData
	}
	res.Rows = len(cs)
	return append([]billing.MarketplaceCharge(nil), cs...), res, nil
}

func (f *fakeSource) PriceSheet(_ context.Context, period, rev string) ([]billing.Price, billing.Result, error) {
	res, fresh, err := f.begin(config.PriceSheet, rev)
	if !fresh {
		return nil, res, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ps := append([]billing.Price(nil), f.prices[period]...)
	res.Rows = len(ps)
	return ps, res, nil
}

func (f *fakeSource) ReservationUsage(_ context.Context, from, to time.Time, rev string) ([]billing.ReservationUsage, billing.Result, error) {
	res, fresh, err := f.begin(config.ReservationDetails, rev)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resRange = [2]time.Time{from, to}
	if !fresh {
		return nil, res, err
	}
	var out []billing.ReservationUsage
	for _, u := range f.resUsage {
		if !u.Date.Before(from) && !u.Date.After(to) {
			out = append(out, u)
		}
	}
	res.Rows = len(out)
	return out, res, nil
}

func (f *fakeSource) ReservationCharges(_ context.Context, from, to time.Time, rev string) ([]billing.ReservationCharge, billing.Result, error) {
	res, fresh, err := f.begin(config.ReservationCharges, rev)
	if !fresh {
		return nil, res, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res.Rows = len(f.resCharges)
	return append([]billing.ReservationCharge(nil), f.resCharges...), res, nil
}

func (f *fakeSource) Close() { f.mu.Lock(); f.closed = true; f.mu.Unlock() }

// month returns the billing period of the calendar month of t.
func month(t time.Time) billing.Period {
	start, next, _ := billing.PeriodBounds(billing.PeriodOf(t))
	return billing.Period{ID: billing.PeriodOf(t), Start: start, End: next.Add(-time.Second)}
}

// day is a UTC date.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var errFake = errors.New("fake: HTTP 503 Service Unavailable")

// fakeConfig is a configuration for enrollment "100" with the fake source;
// extra is appended.
func fakeConfig(extra string) *config.Config {
	y := `enrollments: [{ number: "100", api_key: "k" }]
usage_details:
  dimensions: [department, meter_name]
` + extra
	cfg, _, err := config.Parse([]byte(y), func(string) string { return "" })
	if err != nil {
		panic(fmt.Sprintf("%v\n%s", err, y))
	}
	return cfg
}

// gatherText is the exposition of everything x serves.
func gatherText(t *testing.T, x *Exporter) string {
	t.Helper()
	return (&harness{x: x}).gather(t)
}

// stripHealth drops the per-refresh health series, which move with time.
func stripHealth(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "timestamp_seconds") && (strings.Contains(l, "last_success") || strings.Contains(l, "last_change")) ||
			strings.Contains(l, "refresh_duration_seconds") || strings.Contains(l, "azure_ea_up") || strings.Contains(l, "failures_total") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// metricAt returns the value of the named metric's first series whose
// label has the value, failing the test when there is none.
func metricAt(t *testing.T, x *Exporter, name, label, value string) float64 {
	t.Helper()
	v, ok := (&harness{x: x}).value(t, name, map[string]string{label: value})
	if !ok {
		t.Fatalf("no %s{%s=%q}", name, label, value)
	}
	return v
}
