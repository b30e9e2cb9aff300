package config

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SafeConfig holds the running configuration and reloads it: from the file,
// or, in demo mode, from a function. A reload that fails keeps the running
// configuration. Reload status is exported like blackbox_exporter's.
type SafeConfig struct {
	mu     sync.RWMutex
	cfg    *Config
	load   func() (*Config, []string, error)
	apply  func(*Config) error
	logger *slog.Logger

	reloadOK   prometheus.Gauge
	reloadTime prometheus.Gauge
}

// NewSafeConfig returns a SafeConfig that loads with load and hands every
// good configuration to apply. It registers the reload gauges with reg.
func NewSafeConfig(load func() (*Config, []string, error), apply func(*Config) error, reg prometheus.Registerer, logger *slog.Logger) *SafeConfig {
	s := &SafeConfig{
		load: load, apply: apply, logger: logger,
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "azure_ea_exporter_config_last_reload_successful",
			Help: "1 when the last configuration reload succeeded, else 0.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "azure_ea_exporter_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully.",
		}),
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
	if err != nil {
		s.reloadOK.Set(0)
		s.logger.Error("configuration not loaded; keeping the running one", "err", err)
		return err
	}
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
	s.reloadOK.Set(1)
	s.reloadTime.SetToCurrentTime()
	s.logger.Info("configuration loaded", "enrollments", len(cfg.Enrollments), "at", time.Now().UTC().Format(time.RFC3339))
	return nil
}

// Get returns the running configuration (nil before the first load).
func (s *SafeConfig) Get() *Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cfg
}
