// Command azure_ea_exporter exports Azure Enterprise Agreement billing data
// (commitment balance, overage, usage and marketplace cost, reservations)
// from the EA Reporting API as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/azure-ea-exporter/azure_ea_exporter/collector"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/demo"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/exposition"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/sources"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/ui"
)

const (
	exporterName = "azure_ea_exporter"
	// defaultAddress: the Prometheus port allocation range 9100-9999 is
	// exhausted; 10168 is outside it and used by no widely deployed exporter.
	defaultAddress = ":10168"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	app := kingpin.New(exporterName, "Prometheus exporter for Azure Enterprise Agreement billing (EA Reporting API).")
	var (
		configFile  = app.Flag("config.file", "Path to the configuration file.").Default(exporterName + ".yml").String()
		configCheck = app.Flag("config.check", "Validate the configuration file, print every problem, and exit 0 (valid) or 1.").Bool()
		demoMode    = app.Flag("demo", "Serve a built-in simulated enrollment; no configuration file or credentials needed.").Bool()
		metricsPath = app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
		noExporter  = app.Flag("web.disable-exporter-metrics", "Exclude the exporter's own Go and process metrics from /metrics.").Bool()
		maxRequests = app.Flag("web.max-requests", "Maximum number of parallel scrape requests; 0 disables the limit.").Default("10").Int()
		clockStart  = app.Flag("testing.clock-start", "Start the exporter's clock (and the demo's) at this RFC 3339 time; it then runs at the real rate. For end-to-end tests at fixed dates.").Hidden().String()
		storagePath = app.Flag("storage.path", "Directory where each report's last data and ETags are kept, so that a restart serves them at once and revalidates instead of downloading again. Empty: keep nothing.").Default("").String()
		toolkit     = kingpinflag.AddFlags(app, defaultAddress)
		logConfig   = &promslog.Config{}
	)
	promslogflag.AddFlags(app, logConfig)
	app.Version(version.Print(exporterName))
	app.HelpFlag.Short('h')
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", exporterName, err)
		return 2
	}
	logger := promslog.New(logConfig)

	if *configCheck {
		return checkConfig(*configFile)
	}

	now := time.Now
	if *clockStart != "" {
		start, err := time.Parse(time.RFC3339, *clockStart)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: --testing.clock-start: %v\n", exporterName, err)
			return 2
		}
		began := time.Now()
		now = func() time.Time { return start.Add(time.Since(began)) }
	}

	logger.Info("Starting "+exporterName, "version", version.Info())
	logger.Info("Build context", "build_context", version.BuildContext())

	load := func() (*config.Config, []string, error) { return config.Load(*configFile) }
	if *demoMode {
		d, err := demo.StartAt(time.Minute, now, logger)
		if err != nil {
			logger.Error("starting demo", "err", err)
			return 1
		}
		defer d.Close()
		load = d.Config
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector(exporterName))
	srcOpts := sources.Options{UserAgent: exporterName + "/" + version.Version}
	exp := collector.New(collector.Options{Logger: logger, Now: now, OpenSource: srcOpts.Open, StoragePath: *storagePath})
	defer exp.Stop()
	billingReg := prometheus.NewRegistry()
	billingReg.MustRegister(exp)
	safeCfg := config.NewSafeConfig(load, exp.Apply, reg, logger)
	if err := safeCfg.Reload(); err != nil {
		logger.Error("cannot start without a valid configuration", "file", *configFile)
		return 1
	}

	// The billing metrics change only when a report refreshes: they are
	// encoded once per change and served from memory. The exporter's own
	// metrics are encoded on every scrape.
	live := prometheus.Gatherers{reg}
	var selfReg *prometheus.Registry
	if !*noExporter {
		selfReg = prometheus.NewRegistry()
		selfReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		live = append(live, selfReg)
	}
	metricsHandler := &exposition.Handler{
		Cached: billingReg, Generation: exp.Generation, Live: live,
		OpenMetrics: true, MaxRequestsInFlight: *maxRequests, Logger: logger,
	}
	var handler http.Handler = metricsHandler
	if selfReg != nil {
		handler = promhttp.InstrumentMetricHandler(selfReg, handler)
	}

	mux := http.NewServeMux()
	mux.Handle(*metricsPath, handler)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !exp.Ready() {
			http.Error(w, "Not ready: some reports have not completed their first refresh", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
			return
		}
		if err := safeCfg.Reload(); err != nil {
			http.Error(w, fmt.Sprintf("failed to reload config: %s", err), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "Configuration reloaded")
	})
	mux.Handle("/status", ui.Status(exp, safeCfg, *demoMode, logger))
	mux.Handle("/config", ui.Config(safeCfg, *demoMode, logger))
	if *metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "Azure EA Exporter",
			Description: "Prometheus exporter for Azure Enterprise Agreement billing",
			Version:     version.Info(),
			Links: []web.LandingLinks{
				{Address: *metricsPath, Text: "Metrics"},
				{Address: "status", Text: "Status", Description: "Every enrollment and report: last refresh, errors, ETags"},
				{Address: "config", Text: "Configuration", Description: "The running configuration, keys redacted"},
			},
		})
		if err != nil {
			logger.Error("landing page", "err", err)
			return 1
		}
		mux.Handle("/", landing)
	}

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				logger.Info("SIGHUP received: reloading the configuration")
				_ = safeCfg.Reload()
			}
		}
	}()

	// Encode new data in the background, not in the next scrape.
	go metricsHandler.Run(ctx, time.Second)

	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(srv, toolkit, logger) }()
	select {
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			logger.Error("serving HTTP", "err", err)
			return 1
		}
	case <-ctx.Done():
		logger.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			logger.Error("shutting down HTTP server", "err", err)
		}
	}
	return 0
}

// checkConfig validates the configuration file and prints every problem.
func checkConfig(path string) int {
	_, warnings, err := config.Load(path)
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	if err != nil {
		var problems config.Problems
		if errors.As(err, &problems) {
			fmt.Fprintf(os.Stderr, "%s: %d problem(s):\n", path, len(problems))
			for _, p := range problems {
				fmt.Fprintf(os.Stderr, "  %s\n", p)
			}
		} else {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
		}
		return 1
	}
	fmt.Printf("%s: configuration is valid\n", path)
	return 0
}
