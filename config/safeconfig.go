package config

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SafeConfig holds the running configuration and reloads it: from the file,
// or, in demo mode, from a function. A reload that fails keeps the running
// configuration. Reload status is exported like blackbox_exporter's, and
// kept for the status pages (ReloadStatus).
type SafeConfig struct {
	mu     sync.RWMutex
	cfg    *Config
	status ReloadStatus
	load   func() (*Config, []string, error)
	apply  func(*Config) error
	logger *slog.Logger
	now    func() time.Time

	reloadOK   prometheus.Gauge
	reloadTime prometheus.Gauge
}

// ReloadStatus is the outcome of the configuration loads, for humans.
type ReloadStatus struct {
	// File is the configuration file; "" when the configuration does not
	// come from a file (demo mode).
	File string
	// LastAttempt is when the configuration was last read, well or not.
	LastAttempt time.Time
	// Failed is true when the last attempt failed: the running
	// configuration is the one loaded at LastSuccess.
	Failed bool
	// LastError and LastFailure are the error text and time of the last
	// failed attempt, kept after a later success.
	LastError   string
	LastFailure time.Time
	// LastSuccess is when the running configuration was loaded.
	LastSuccess time.Time
}

// SafeConfigOption sets an optional property of a SafeConfig.
type SafeConfigOption func(*SafeConfig)

// WithFile names the configuration file that load reads, for ReloadStatus.
func WithFile(path string) SafeConfigOption {
	return func(s *SafeConfig) { s.status.File = path }
}

// WithClock sets the clock that times the reloads (time.Now by default).
func WithClock(now func() time.Time) SafeConfigOption {
	return func(s *SafeConfig) {
		if now != nil {
			s.now = now
		}
	}
}

// NewSafeConfig returns a SafeConfig that loads with load and hands every
// good configuration to apply. It registers the reload gauges with reg.
func NewSafeConfig(load func() (*Config, []string, error), apply func(*Config) error, reg prometheus.Registerer, logger *slog.Logger, opts ...SafeConfigOption) *SafeConfig {
	s := &SafeConfig{
		load: load, apply: apply, logger: logger, now: time.Now,
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "azure_ea_exporter_config_last_reload_successful",
			Help: "1 when the last configuration reload succeeded, else 0.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "azure_ea_exporter_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully.",
		}),
	}
	for _, o := range opts {
		o(s)
	}
	reg.MustRegister(s.reloadOK, s.reloadTime)
	return s
}

// Reload loads the configuration and, if it is good, applies it.
func (s *SafeConfig) Reload() error {
	cfg, warnings, err := s.load()
	for _, w := range warnings {
		s.logger.Warn("configuration", "warning", w)
	}
	if err == nil {
		err = s.apply(cfg)
	}
	at := s.now()
	if err != nil {
		s.mu.Lock()
		s.status.LastAttempt, s.status.Failed = at, true
		s.status.LastFailure, s.status.LastError = at, err.Error()
		s.mu.Unlock()
		s.reloadOK.Set(0)
		s.logger.Error("configuration not loaded; keeping the running one", "err", err)
		return err
	}
	s.mu.Lock()
	s.cfg = cfg
	s.status.LastAttempt, s.status.Failed, s.status.LastSuccess = at, false, at
	s.mu.Unlock()
	s.reloadOK.Set(1)
	s.reloadTime.Set(float64(at.UnixNano()) / 1e9)
	s.logger.Info("configuration loaded", "enrollments", len(cfg.Enrollments), "at", at.UTC().Format(time.RFC3339))
	return nil
}

// Get returns the running configuration (nil before the first load).
func (s *SafeConfig) Get() *Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cfg
}

// ReloadStatus returns the outcome of the loads so far.
func (s *SafeConfig) ReloadStatus() ReloadStatus {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.status
}
