// Package sources opens the data source an enrollment's configuration
// names: the EA Reporting API (source: ea) or Azure Resource Manager
// (source: arm). It is the one place that knows every source package; the
// collector receives Open and sees only billing.Source.
package sources

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/armclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
)

// Options are the HTTP settings shared by every source. Zero values take
// each client's defaults.
type Options struct {
	// HTTPClient for every request (an arm source's token requests too);
	// each client's default when nil.
	HTTPClient *http.Client
	// Retry bounds the retries of one request.
	Retry          eaclient.Retry
	RequestTimeout time.Duration
	UserAgent      string
	// Limits of a response (zero: the client's defaults).
	MaxBodyBytes int64
	MaxPages     int
	// Now is the billing calendar's clock, for a source that computes its
	// billing periods itself (arm); time.Now when nil.
	Now func() time.Time
}

// Open returns the source of enrollment e of cfg, reporting its requests
// and quotas to obs. An ea enrollment reads usage details as
// usage_details.source says (json, csv_download or csv_report); an arm
// enrollment always reads the Cost Details report.
func (o Options) Open(cfg *config.Config, e *config.Enrollment, obs billing.Observer, logger *slog.Logger) (billing.Source, error) {
	usageSource := config.UsageSourceJSON
	if cfg != nil && cfg.UsageDetails.Source != "" {
		usageSource = cfg.UsageDetails.Source
	}
	switch kind := e.SourceKind(); kind {
	case config.SourceEA:
		ec := eaclient.Config{
			BaseURL: e.BaseURL, Enrollment: e.Number, APIKey: e.Key(),
			HTTPClient: o.HTTPClient, Retry: o.Retry, RequestTimeout: o.RequestTimeout,
			MaxBodyBytes: o.MaxBodyBytes, MaxPages: o.MaxPages,
			UserAgent: o.UserAgent, Logger: logger, UsageSource: usageSource,
		}
		if obs != nil {
			ec.ObserveRequest = obs.Request
		}
		return eaclient.NewSource(ec)
	case config.SourceARM:
		cred, err := armclient.NewCredential(armclient.CredentialOptions{
			TenantID: e.TenantID, ClientID: e.ClientID,
			ClientSecret: e.ClientSecret(), SecretExpiry: e.SecretExpiry(),
			CertificatePEM:   e.ClientCertificatePEM(),
			WorkloadIdentity: e.WorkloadIdentity, ManagedIdentity: e.ManagedIdentity,
			Cloud: e.Cloud, AuthorityHost: e.AuthorityHost, HTTPClient: o.HTTPClient,
		})
		if err != nil {
			return nil, fmt.Errorf("enrollment %s: %w", e.Number, err)
		}
		ac := armclient.Config{
			BillingAccount: e.Number, Cloud: e.Cloud, Endpoint: e.ARMEndpoint, Credential: cred,
			APIVersions: armclient.APIVersions{
				Billing: e.ARMAPIVersions.Billing, Consumption: e.ARMAPIVersions.Consumption, CostManagement: e.ARMAPIVersions.CostManagement,
			},
			HTTPClient: o.HTTPClient, Retry: armclient.Retry(o.Retry), RequestTimeout: o.RequestTimeout,
			MaxBodyBytes: o.MaxBodyBytes, MaxPages: o.MaxPages,
			UserAgent: o.UserAgent, Logger: logger, Now: o.Now,
		}
		if obs != nil {
			ac.Observe, ac.RateLimit = obs.Request, obs.Remaining
		}
		return armclient.New(ac)
	default:
		return nil, fmt.Errorf("enrollment %s: unknown source %q", e.Number, kind)
	}
}
