// Command ea-simulator serves a simulated Azure EA Reporting API on a local
// port: the same routes, versions, paging, ETags and quirks as the real
// (retired) API, over a deterministic synthetic enrollment. Point the
// exporter's base_url at it, with the key it prints.
//
// With --mode arm it serves, over HTTPS on the same address, the same
// enrollment the way Azure Resource Manager does (and the Entra ID
// authority, managed identity and blob host it needs), besides the EA
// routes: point an arm enrollment's arm_endpoint and authority_host at
// https://<listen-address>/, trust the CA written to --ca-file (e.g.
// SSL_CERT_FILE), and use the tenant, client and secret it writes.
package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

func main() {
	var (
		listen     = kingpin.Flag("listen-address", "Address to serve the simulated API on.").Default("127.0.0.1:10169").String()
		enrollment = kingpin.Flag("enrollment", "Enrollment number.").Default("100").String()
		currency   = kingpin.Flag("currency", "Currency code of the enrollment.").Default("USD").String()
		rows       = kingpin.Flag("rows-per-day", "Usage rows per day (a month has about 30 times as many).").Default("200").Int()
		spend      = kingpin.Flag("monthly-spend", "Typical usage cost of a month.").Default("180000").Float64()
		periods    = kingpin.Flag("periods", "Billing periods of history, the current one included.").Default("13").Int()
		pageSize   = kingpin.Flag("page-size", "Usage rows per page.").Default("1000").Int()
		scenario   = kingpin.Flag("scenario", "Commitment scenario: healthy or overage.").Default(simulator.ScenarioHealthy).Enum(simulator.ScenarioHealthy, simulator.ScenarioOverage)
		seed       = kingpin.Flag("seed", "Seed of the synthetic data.").Default("1").Uint64()
		keyFile    = kingpin.Flag("key-file", "Write the accepted API key to this file (mode 0600).").String()
		bump       = kingpin.Flag("bump-interval", "Change the current period's data (new ETags) this often; 0 never.").Default("0s").Duration()
		frozen     = kingpin.Flag("clock", "Freeze the simulator's clock at this RFC 3339 time (for reproducible data); default the real clock.").String()
		startAt    = kingpin.Flag("clock-start", "Start the simulator's clock at this RFC 3339 time and let it run with real time (for end-to-end tests at a fixed date).").String()
		gzipped    = kingpin.Flag("gzip", "Compress the EA routes' answers for clients that accept gzip, as a front end may.").Bool()
		latency    = kingpin.Flag("data-latency-days", "Serve usage, marketplace and reservation data only up to this many whole days before today, like Azure's delay; 0 serves today's partial data.").Default("0").Int()
		mode       = kingpin.Flag("mode", "ea: the EA Reporting API over HTTP; arm: Azure Resource Manager, Entra ID and the EA routes over HTTPS.").Default("ea").Enum("ea", "arm")
		af         armFlags
	)
	af.register(kingpin.CommandLine)
	kingpin.HelpFlag.Short('h')
	kingpin.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	now, err := clock(*frozen, *startAt, time.Now)
	if err != nil {
		logger.Error("invalid clock", "err", err)
		os.Exit(2)
	}
	if *latency < 0 {
		logger.Error("--data-latency-days must not be negative")
		os.Exit(2)
	}
	sim := simulator.New(simulator.Options{
		Enrollment: *enrollment, Currency: *currency, UsageRowsPerDay: *rows, MonthlySpend: *spend,
		Periods: *periods, PageSize: *pageSize, Scenario: *scenario, Seed: *seed, Now: now,
		DataLatencyDays: *latency, Gzip: *gzipped,
	})
	var handler http.Handler = sim
	var tlsConfig *tls.Config
	if *mode == "arm" {
		arm, tt, err := af.setup(sim, *listen)
		if err != nil {
			logger.Error("setting up the ARM mode", "err", err)
			os.Exit(1)
		}
		handler, tlsConfig = arm, tt.ServerConfig
	}
	if *keyFile != "" {
		if err := os.WriteFile(*keyFile, []byte(sim.APIKey()+"\n"), 0o600); err != nil {
			logger.Error("writing key file", "err", err)
			os.Exit(1)
		}
	} else {
		fmt.Println(sim.APIKey())
	}
	if *bump > 0 {
		go func() {
			for range time.Tick(*bump) {
				sim.Bump()
			}
		}()
	}
	srv := &http.Server{Addr: *listen, Handler: handler, ReadHeaderTimeout: 10 * time.Second, TLSConfig: tlsConfig}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		_ = srv.Close()
	}()
	serve := srv.ListenAndServe
	if tlsConfig != nil {
		logger.Info("serving simulated Azure Resource Manager (and the EA Reporting API) over HTTPS", "address", *listen, "enrollment", *enrollment, "scenario", *scenario)
		serve = func() error { return srv.ListenAndServeTLS("", "") }
	} else {
		logger.Info("serving simulated EA Reporting API", "address", *listen, "enrollment", *enrollment, "scenario", *scenario)
	}
	if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("serving", "err", err)
		os.Exit(1)
	}
}

// clock returns the simulator's clock: frozen at --clock, or starting at
// --clock-start and running from there with real time (so that ETags,
// bumps and a Prometheus scraping along see time pass at a fixed date), or
// nil for the real clock. wallNow is the wall clock.
func clock(frozen, start string, wallNow func() time.Time) (func() time.Time, error) {
	switch {
	case frozen != "" && start != "":
		return nil, errors.New("--clock and --clock-start exclude each other")
	case frozen != "":
		t, err := time.Parse(time.RFC3339, frozen)
		if err != nil {
			return nil, fmt.Errorf("--clock: %w", err)
		}
		return func() time.Time { return t }, nil
	case start != "":
		t, err := time.Parse(time.RFC3339, start)
		if err != nil {
			return nil, fmt.Errorf("--clock-start: %w", err)
		}
		began := wallNow()
		return func() time.Time { return t.Add(wallNow().Sub(began)) }, nil
	}
	return nil, nil
}
