// Command azure_ea_exporter exports Azure Enterprise Agreement billing data
// (commitment balance, overage, usage and marketplace cost, reservations)
// from the EA Reporting API as Prometheus metrics.
package main

import (
	"context"
	_ "embed"
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
	buildversion "github.com/azure-ea-exporter/azure_ea_exporter/internal/version"
)

// versionFile is the release version, for builds that -ldflags did not
// stamp (go build, go run, go install): see internal/version.
//
//go:embed VERSION
var versionFile string

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
	buildversion.Fill(versionFile)
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
		enablePprof = app.Flag("web.enable-pprof", "Serve the Go runtime profiles (net/http/pprof) under /debug/pprof/.").Default("false").Bool()
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

	if *storagePath != "" {
		if err := checkStoragePath(*storagePath); err != nil {
			fmt.Fprintf(os.Stderr, "%s: --storage.path %q: %v\n", exporterName, *storagePath, err)
			return 1
		}
	}

	load := func() (*config.Config, []string, error) { return config.Load(*configFile) }
	loadedFrom := *configFile
	var demoSim *demo.Demo
	if *demoMode {
		d, err := demo.StartAt(time.Minute, now, logger)
		if err != nil {
			logger.Error("starting demo", "err", err)
			return 1
		}
		defer d.Close()
		demoSim = d
		load = d.Config
		loadedFrom = "" // the pages name the demo's built-in configuration
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector(exporterName))
	srcOpts := sources.Options{UserAgent: exporterName + "/" + version.Version, Now: now}
	if demoSim != nil {
		srcOpts.HTTPClient = demoSim.HTTPClient() // trusts the demo's own CA
	}
	exp := collector.New(collector.Options{Logger: logger, Now: now, OpenSource: srcOpts.Open, StoragePath: *storagePath})
	defer exp.Stop()
	billingReg := prometheus.NewRegistry()
	billingReg.MustRegister(exp)
	safeCfg := config.NewSafeConfig(load, exp.Apply, reg, logger, config.WithFile(loadedFrom), config.WithClock(now))
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
	ui.Register(mux, ui.Options{
		Exporter: exp, Config: safeCfg, MetricsPath: *metricsPath,
		Demo: *demoMode, Pprof: *enablePprof, Now: now, Logger: logger,
		Version: buildversion.Short(),
	})

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

// checkStoragePath makes sure that dir is a directory the exporter can
// write, creating it if need be, so that an unusable --storage.path is one
// clear error at start rather than a warning per report and refresh.
func checkStoragePath(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return errors.New("not a directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return fmt.Errorf("not writable: %w", causeOf(err))
	}
	_, err = probe.WriteString("probe\n")
	if cerr := probe.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(probe.Name()); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("not writable: %w", causeOf(err))
	}
	return nil
}

// causeOf is the cause of a file system error without the operation and
// the file name (the probe file's random name says nothing).
func causeOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
