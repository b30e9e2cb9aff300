// Package demo runs the simulator in-process, in both of its modes, and
// builds a configuration pointing at it, so that `azure_ea_exporter --demo`
// serves realistic metrics with no credentials and no network: two
// enrollments read through the EA Reporting API and one through Azure
// Resource Manager with a Microsoft Entra ID client secret (over TLS, with
// the demo's own CA).
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

// Demo is a running simulated API with three enrollments: "100", a healthy
// USD enrollment with budgets and reservations (two of them under-used),
// "200", a EUR enrollment whose commitment ran out on the first day of the
// current billing period, both through the EA Reporting API; and "300", a
// GBP enrollment read through Azure Resource Manager.
type Demo struct {
	servers []*http.Server
	sims    []*simulator.Server
	urls    []string
	stop    chan struct{}
	// The ARM enrollment: its handler, URL and the TLS material it serves.
	arm    *simulator.ARM
	armURL string
	tls    *simulator.TestTLS
	now    func() time.Time
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
	if now == nil {
		now = time.Now
	}
	d := &Demo{stop: make(chan struct{}), now: now}
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
	if err := d.startARM(now); err != nil {
		d.Close()
		return nil, err
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
	logger.Warn("DEMO MODE: serving data from the built-in simulator, not from Azure", "enrollments", "100, 200 (EA Reporting API), 300 (Azure Resource Manager)", "api", d.urls, "arm", d.armURL)
	return d, nil
}

// startARM serves enrollment 300 through the simulator's ARM mode: the
// Entra ID authority, ARM and the download blobs on one HTTPS listener.
func (d *Demo) startARM(now func() time.Time) error {
	tt, err := simulator.NewTestTLS()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	sim := simulator.New(simulator.Options{Enrollment: "300", Currency: "GBP", Scenario: simulator.ScenarioHealthy, Seed: 3, MonthlySpend: 90000, Subscriptions: 12, UsageRowsPerDay: 80, Now: now})
	// The downloads complete at once: the demo's first refresh is quick.
	d.arm = sim.ARM(simulator.ARMOptions{AsyncPolls: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	srv := &http.Server{Handler: d.arm, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tt.ServerConfig}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	d.servers = append(d.servers, srv)
	d.sims = append(d.sims, sim)
	d.tls, d.armURL = tt, "https://"+ln.Addr().String()
	return nil
}

// HTTPClient is a client that trusts the demo's CA: the exporter reads the
// ARM enrollment through it.
func (d *Demo) HTTPClient() *http.Client { return d.tls.Client() }

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
  - number: "300"
    source: arm
    tenant_id: %q
    client_id: %q
    client_secret_env: DEMO_ARM_CLIENT_SECRET
    client_secret_expiry: %s   # as Entra ID shows it: exported and alerted on
    arm_endpoint: %q
    authority_host: %q
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
`, d.sims[0].APIKey(), d.urls[0], d.sims[1].APIKey(), d.urls[1], d.arm.TenantID(), d.arm.ClientID(), d.now().AddDate(0, 0, 75).Format("2006-01-02"), d.armURL, d.armURL)
	secret := d.arm.ClientSecret()
	return config.Parse([]byte(y), func(k string) string {
		if k == "DEMO_ARM_CLIENT_SECRET" {
			return secret
		}
		return ""
	})
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
