// Package sources opens the data source an enrollment's configuration
// names: the EA Reporting API (source: ea) or Azure Resource Manager
// (source: arm). It is the one place that knows every source package; the
// collector receives the Open function and sees only billing.Source.
package sources

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
)

// Options are the HTTP settings shared by every source. Zero values take
// each client's defaults.
type Options struct {
	// HTTPClient for every request; each client's default when nil.
	HTTPClient     *http.Client
	Retry          eaclient.Retry
	RequestTimeout time.Duration
	UserAgent      string
	// Limits of a response (zero: the client's defaults).
	MaxBodyBytes int64
	MaxPages     int
}

// Open returns the source of one enrollment. observe is called once per
// HTTP request with the configured report name and the status code.
func (o Options) Open(e *config.Enrollment, observe func(report, code string), logger *slog.Logger) (billing.Source, error) {
	switch kind := sourceKind(e); kind {
	case "ea":
		return eaclient.NewSource(eaclient.Config{
			BaseURL: e.BaseURL, Enrollment: e.Number, APIKey: e.Key(),
			HTTPClient: o.HTTPClient, Retry: o.Retry, RequestTimeout: o.RequestTimeout,
			MaxBodyBytes: o.MaxBodyBytes, MaxPages: o.MaxPages,
			UserAgent: o.UserAgent, Logger: logger, ObserveRequest: observe,
		})
	default:
		return nil, fmt.Errorf("enrollment %s: source %q is not available in this build", e.Number, kind)
	}
}

func sourceKind(e *config.Enrollment) string { return e.SourceKind() }
