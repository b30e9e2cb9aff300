// Package demo runs the EA Reporting API simulator in-process and builds a
// configuration pointing at it, so that `azure_ea_exporter --demo` serves
// realistic metrics with no credentials and no network.
//
// Whatever the day of the month, the 1st and the last included, the demo
// shows an enrollment in overage, a budget exceeded and one forecast to be,
// and reservations both well used and under-used.
package demo

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

// Demo is a running simulated API with two enrollments: "100", a healthy
// USD enrollment with budgets and reservations (two of them under-used),
// and "200", a EUR enrollment whose commitment ran out on the first day of
// the current billing period.
type Demo struct {
	servers []*http.Server
	sims    []*simulator.Server
	urls    []string
	stop    chan struct{}
}

// Start serves the simulated enrollments on loopback ports, on the real
// clock. Their data changes every bumpEvery (new ETags), as the real API's
// does daily.
func Start(bumpEvery time.Duration, logger *slog.Logger) (*Demo, error) {
	return StartAt(bumpEvery, nil, logger)
}

// StartAt is Start with the simulators' clock: every simulator reads now
// (time.Now when nil), so that a test can run the demo at a fixed date.
func StartAt(bumpEvery time.Duration, now func() time.Time, logger *slog.Logger) (*Demo, error) {
	d := &Demo{stop: make(chan struct{})}
	for _, o := range []simulator.Options{
		{Enrollment: "100", Currency: "USD", Scenario: simulator.ScenarioHealthy, Seed: 1},
		{Enrollment: "200", Currency: "EUR", Scenario: simulator.ScenarioOverage, Seed: 2, MonthlySpend: 64000, Subscriptions: 10, UsageRowsPerDay: 120},
	} {
		o.Now = now
		sim := simulator.New(o)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
		srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		d.servers = append(d.servers, srv)
		d.sims = append(d.sims, sim)
		d.urls = append(d.urls, "http://"+ln.Addr().String())
	}
	if bumpEvery > 0 {
		go func() {
			t := time.NewTicker(bumpEvery)
			defer t.Stop()
			for {
				select {
				case <-d.stop:
					return
				case <-t.C:
					for _, s := range d.sims {
						s.Bump()
					}
				}
			}
		}()
	}
	logger.Warn("DEMO MODE: serving data from the built-in EA Reporting API simulator, not from Azure", "enrollments", "100, 200", "api", d.urls)
	return d, nil
}

// Config returns the demo configuration, parsed by the same parser as a
// configuration file.
func (d *Demo) Config() (*config.Config, []string, error) {
	y := fmt.Sprintf(`
enrollments:
  - number: "100"
    api_key: %q
    base_url: %q
    billing_periods: 3
  - number: "200"
    api_key: %q
    base_url: %q
# The simulated data changes every minute: poll it faster than Azure's
# would be worth polling.
reports:
  billing_periods:     { interval: 10m, allow_short_interval: true }
  balance_summary:     { interval: 1m, allow_short_interval: true }
  usage_details:       { interval: 2m, allow_short_interval: true }
  marketplace_charges: { interval: 2m, allow_short_interval: true }
  price_sheet:         { enabled: true, interval: 10m, allow_short_interval: true }
  reservation_details: { interval: 5m, allow_short_interval: true }
  reservation_charges: { interval: 5m, allow_short_interval: true }
usage_details:
  tags: { CostCenter: tag_cost_center, env: tag_env }
# platform, data-analytics and enrollment-200 are sized on a month's spend
# and fill up as the period goes on. platform-200 is exceeded on every day,
# the 1st included: on the 1st a budget can only be exceeded if it is small
# against a day's spend, and this one is smaller than the fee of the
# Platform department's Kafka subscription (1250 a month, a marketplace
# charge on the 1st).
budgets:
  - name: platform
    enrollment: "100"
    amount: 40000
    match: { department: Platform }
  - name: data-analytics
    enrollment: "100"
    amount: 30000
    match: { department: "Data & Analytics" }
  - name: enrollment-200
    enrollment: "200"
    amount: 60000
  - name: platform-200
    enrollment: "200"
    amount: 1000
    match: { department: Platform }
`, d.sims[0].APIKey(), d.urls[0], d.sims[1].APIKey(), d.urls[1])
	return config.Parse([]byte(y), func(string) string { return "" })
}

// Close stops the simulated API.
func (d *Demo) Close() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	for _, s := range d.servers {
		_ = s.Close()
	}
}
