// Package config owns the exporter's configuration file: its types, the
// defaults, strict parsing, and validation that names every problem by its
// YAML path and position. It also resolves each enrollment's credential
// (an API key or a client secret from its file, its environment variable
// or the file itself; a client certificate from its PEM file), keeps
// secrets out of any printed form of the configuration, and warns about
// credentials that have expired or soon will.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	pconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/jwtclaims"
)

// Report names: the keys of the reports section, and the report label.
const (
	BillingPeriods     = billing.ReportBillingPeriods
	BalanceSummary     = billing.ReportBalanceSummary
	UsageDetails       = billing.ReportUsageDetails
	MarketplaceCharges = billing.ReportMarketplaceCharges
	PriceSheet         = billing.ReportPriceSheet
	ReservationDetails = billing.ReportReservationDetails
	ReservationCharges = billing.ReportReservationCharges
)

// ReportNames lists every report in the order the exporter starts them.
var ReportNames = []string{BillingPeriods, BalanceSummary, UsageDetails, MarketplaceCharges, PriceSheet, ReservationDetails, ReservationCharges}

// DefaultReports are the defaults of the reports section.
var DefaultReports = map[string]Report{
	BillingPeriods:     {Enabled: true, Interval: model.Duration(12 * time.Hour)},
	BalanceSummary:     {Enabled: true, Interval: model.Duration(time.Hour)},
	UsageDetails:       {Enabled: true, Interval: model.Duration(4 * time.Hour)},
	MarketplaceCharges: {Enabled: true, Interval: model.Duration(4 * time.Hour)},
	PriceSheet:         {Enabled: false, Interval: model.Duration(24 * time.Hour)},
	ReservationDetails: {Enabled: true, Interval: model.Duration(6 * time.Hour)},
	ReservationCharges: {Enabled: true, Interval: model.Duration(6 * time.Hour)},
}

// Defaults of the enrollment section.
const (
	DefaultBaseURL        = "https://consumption.azure.com"
	DefaultTrackedPeriods = 2
	MaxTrackedPeriods     = 36 // the API serves 36 months at most
)

// UsageDimensions are the labels azure_ea_usage_cost may be broken down by:
// the names of billing.Dimensions, the one table of them.
var UsageDimensions = billing.DimensionNames()

// DefaultUsageDimensions is the default of usage_details.dimensions.
var DefaultUsageDimensions = billing.DefaultDimensions

// MarketplaceDimensions are the usage dimensions a marketplace charge also
// carries; a budget that matches on anything else counts no marketplace cost.
var MarketplaceDimensions = billing.MarketplaceDimensionNames()

// Config is the whole configuration file.
type Config struct {
	Enrollments  []Enrollment `yaml:"enrollments"`
	Reports      Reports      `yaml:"reports"`
	UsageDetails Usage        `yaml:"usage_details"`
	Budgets      []Budget     `yaml:"budgets"`
}

// Sources of an enrollment's data, the values of enrollments[].source.
const (
	SourceEA  = "ea"  // the EA Reporting API, with the enrollment's API key
	SourceARM = "arm" // Azure Resource Manager (Cost Management), with an Entra ID credential
)

// Credentials of a source: arm enrollment, as ARMCredential returns them.
const (
	CredentialClientSecret      = "client_secret"
	CredentialClientCertificate = "client_certificate"
	CredentialWorkloadIdentity  = "workload_identity"
	CredentialManagedIdentity   = "managed_identity"
)

// Cloud is one Azure cloud: its Resource Manager endpoint and its Entra ID
// authority host, the defaults of arm_endpoint and authority_host.
type Cloud struct {
	ARMEndpoint   string
	AuthorityHost string
}

// Clouds are the values of enrollments[].cloud.
var Clouds = map[string]Cloud{
	"public":        {"https://management.azure.com", "https://login.microsoftonline.com/"},
	"us_government": {"https://management.usgovcloudapi.net", "https://login.microsoftonline.us/"},
	"china":         {"https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn/"},
}

// DefaultCloud is the default of enrollments[].cloud.
const DefaultCloud = "public"

// Enrollment is one EA enrollment to read, through the EA Reporting API
// (source: ea, the default) or Azure Resource Manager (source: arm).
type Enrollment struct {
	Number string `yaml:"number"`
	// Source is ea or arm; validation fills in ea when it is left out.
	Source string `yaml:"source,omitempty"`

	// source: ea. Exactly one of the three keys.
	APIKeyFile string         `yaml:"api_key_file,omitempty"`
	APIKey     pconfig.Secret `yaml:"api_key,omitempty"`
	APIKeyEnv  string         `yaml:"api_key_env,omitempty"`
	BaseURL    string         `yaml:"base_url,omitempty"`

	// source: arm. TenantID and ClientID are GUIDs; ClientID may be left
	// out only with ManagedIdentity (the system-assigned identity).
	TenantID string `yaml:"tenant_id,omitempty"`
	ClientID string `yaml:"client_id,omitempty"`
	// Exactly one credential: a client secret from a file or the
	// environment, a PEM file with the certificate and its private key,
	// the federated token of workload identity, or a managed identity.
	ClientSecretFile      string `yaml:"client_secret_file,omitempty"`
	ClientSecretEnv       string `yaml:"client_secret_env,omitempty"`
	ClientCertificateFile string `yaml:"client_certificate_file,omitempty"`
	WorkloadIdentity      bool   `yaml:"workload_identity,omitempty"`
	ManagedIdentity       bool   `yaml:"managed_identity,omitempty"`
	// ClientSecretExpiry is when the client secret expires, as the
	// operator copied it from Entra ID (a secret's expiry cannot be read
	// from the secret): a date (2026-05-01, taken as its start in UTC) or
	// an RFC 3339 time. Optional, and only with client_secret_file or
	// client_secret_env; it feeds the expiry warnings and
	// azure_ea_credential_expiry_timestamp_seconds{kind="client_secret"}.
	// An addition to the contract, which is silent on it.
	ClientSecretExpiry string `yaml:"client_secret_expiry,omitempty"`
	// Cloud is public, us_government or china; validation fills in public
	// for source: arm, and the cloud's ARMEndpoint and AuthorityHost
	// where those are left out.
	Cloud         string `yaml:"cloud,omitempty"`
	ARMEndpoint   string `yaml:"arm_endpoint,omitempty"`
	AuthorityHost string `yaml:"authority_host,omitempty"`
	// ARMAPIVersions overrides the api-version the arm source asks each
	// resource provider for (empty: the source's defaults). An addition to
	// the contract, which is silent on it: the api-versions are the
	// reference's chief uncertainty.
	ARMAPIVersions ARMAPIVersions `yaml:"arm_api_versions,omitempty"`

	// TrackedPeriods is how many of the most recent billing periods to
	// track (the billing_periods key; not to be confused with the report
	// of the same name).
	TrackedPeriods int `yaml:"billing_periods,omitempty"`

	// Resolved when the file is loaded; never printed.
	key          pconfig.Secret
	clientSecret pconfig.Secret
	certPEM      []byte
	certExpiry   time.Time
	secretExpiry time.Time
}

// ARMAPIVersions are api-versions per Azure resource provider.
type ARMAPIVersions struct {
	Billing        string `yaml:"billing,omitempty"`         // Microsoft.Billing: the billing account
	Consumption    string `yaml:"consumption,omitempty"`     // Microsoft.Consumption: balances, reservations
	CostManagement string `yaml:"cost_management,omitempty"` // Microsoft.CostManagement: price sheet, Cost Details
}

// Key returns the enrollment's API key (source: ea) as resolved when the
// file was loaded.
func (e *Enrollment) Key() string { return string(e.key) }

// SourceKind returns the enrollment's source: SourceEA or SourceARM.
func (e *Enrollment) SourceKind() string {
	if e.Source == SourceARM {
		return SourceARM
	}
	return SourceEA
}

// ARMCredential names the credential of a source: arm enrollment
// (CredentialClientSecret, CredentialClientCertificate,
// CredentialWorkloadIdentity or CredentialManagedIdentity); empty for
// source: ea.
func (e *Enrollment) ARMCredential() string {
	switch {
	case e.SourceKind() != SourceARM:
		return ""
	case e.ClientSecretFile != "" || e.ClientSecretEnv != "":
		return CredentialClientSecret
	case e.ClientCertificateFile != "":
		return CredentialClientCertificate
	case e.WorkloadIdentity:
		return CredentialWorkloadIdentity
	case e.ManagedIdentity:
		return CredentialManagedIdentity
	}
	return ""
}

// ClientSecret returns the client secret (source: arm) as read from
// client_secret_file or client_secret_env when the file was loaded.
func (e *Enrollment) ClientSecret() string { return string(e.clientSecret) }

// ClientCertificatePEM returns the PEM file of client_certificate_file as
// read when the configuration was loaded: the certificate (and any chain)
// and its private key.
func (e *Enrollment) ClientCertificatePEM() []byte { return append([]byte(nil), e.certPEM...) }

// CertificateExpiry returns the NotAfter of the client certificate; zero
// without one.
func (e *Enrollment) CertificateExpiry() time.Time { return e.certExpiry }

// SecretExpiry returns client_secret_expiry as a time; zero when it is
// not configured.
func (e *Enrollment) SecretExpiry() time.Time { return e.secretExpiry }

// CredentialExpiry returns the kind of the enrollment's credential, as
// the kind label of azure_ea_credential_expiry_timestamp_seconds has it,
// and its expiry; ok is false when the expiry is not known (an API key
// that is not a JWT, a secret without client_secret_expiry, workload or
// managed identity).
func (e *Enrollment) CredentialExpiry() (kind string, exp time.Time, ok bool) {
	switch e.ARMCredential() {
	case "":
		exp, ok = jwtclaims.Expiry(e.Key())
		return billing.CredentialEAAPIKey, exp, ok
	case CredentialClientSecret:
		return billing.CredentialClientSecret, e.secretExpiry, !e.secretExpiry.IsZero()
	case CredentialClientCertificate:
		return billing.CredentialClientCert, e.certExpiry, !e.certExpiry.IsZero()
	}
	return "", time.Time{}, false
}

// CredentialDigest is a digest (SHA-256, hex) of the credential material
// resolved at load: the API key, the client secret, the certificate file.
// It changes when a rotated key, secret or certificate is loaded, so a
// reload can tell that the source needs the new one without holding the
// secret itself.
func (e *Enrollment) CredentialDigest() string {
	h := sha256.New()
	for _, b := range [][]byte{[]byte(e.key), []byte(e.clientSecret), e.certPEM} {
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// String renders the enrollment with its secrets left out, so that a
// %v in a log line cannot print them.
func (e Enrollment) String() string {
	type plain Enrollment // without this method
	p := plain(e)
	for _, s := range []*pconfig.Secret{&p.APIKey, &p.key, &p.clientSecret} {
		if *s != "" {
			*s = "<secret>"
		}
	}
	p.certPEM = nil
	return fmt.Sprintf("%+v", p)
}

// Report configures the polling of one report.
type Report struct {
	Enabled  bool           `yaml:"enabled"`
	Interval model.Duration `yaml:"interval"`
}

// reportYAML tells an absent key from a zero one.
type reportYAML struct {
	Enabled  *bool   `yaml:"enabled"`
	Interval *string `yaml:"interval"`
	// AllowShortInterval lets the interval go below MinInterval: for
	// tests and demos against a local server. An addition to the
	// contract.
	AllowShortInterval *bool `yaml:"allow_short_interval"`
}

// Reports is the reports section.
type Reports struct {
	BillingPeriods     reportYAML `yaml:"billing_periods"`
	BalanceSummary     reportYAML `yaml:"balance_summary"`
	UsageDetails       reportYAML `yaml:"usage_details"`
	MarketplaceCharges reportYAML `yaml:"marketplace_charges"`
	PriceSheet         reportYAML `yaml:"price_sheet"`
	ReservationDetails reportYAML `yaml:"reservation_details"`
	ReservationCharges reportYAML `yaml:"reservation_charges"`

	resolved map[string]Report
}

func (r *Reports) raw() map[string]*reportYAML {
	return map[string]*reportYAML{
		BillingPeriods: &r.BillingPeriods, BalanceSummary: &r.BalanceSummary, UsageDetails: &r.UsageDetails,
		MarketplaceCharges: &r.MarketplaceCharges, PriceSheet: &r.PriceSheet,
		ReservationDetails: &r.ReservationDetails, ReservationCharges: &r.ReservationCharges,
	}
}

// Get returns the effective settings of a report, defaults applied.
func (r *Reports) Get(name string) Report {
	if rep, ok := r.resolved[name]; ok {
		return rep
	}
	return DefaultReports[name]
}

// MinInterval is the shortest interval a report may be polled at unless
// its allow_short_interval is true. Every refresh is a request (a usage
// download is many): "interval: 1ms", a mistyped 1m, made about 1500
// requests a second.
const MinInterval = time.Minute

// RecommendedInterval is, per report, the shortest interval worth polling
// at: EA cost data is refreshed a few times a day at most (usage typically
// every 4 to 8 hours), billing periods change once a month and the price
// sheet once a billing period. A shorter interval only adds requests (and
// the risk of throttling) without fresher data, so it is warned about.
var RecommendedInterval = map[string]time.Duration{
	BillingPeriods:     time.Hour,
	BalanceSummary:     5 * time.Minute,
	UsageDetails:       5 * time.Minute,
	MarketplaceCharges: 5 * time.Minute,
	PriceSheet:         time.Hour,
	ReservationDetails: 5 * time.Minute,
	ReservationCharges: 5 * time.Minute,
}

// Usage is the usage_details section.
type Usage struct {
	Dimensions []string          `yaml:"dimensions"`
	Tags       map[string]string `yaml:"tags"`
	// MaxSeries bounds the label sets of azure_ea_usage_cost per enrollment
	// and billing period; past it the smallest are folded into "other".
	MaxSeries int `yaml:"max_series,omitempty"`
	// Source is how a source: ea enrollment reads usage details: json
	// (the paged API, the default), csv_download (one synchronous CSV) or
	// csv_report (submit a report, poll it, then read the CSV blob).
	// source: arm always reads the Cost Details report.
	Source string `yaml:"source,omitempty"`
}

// Values of usage_details.source.
const (
	UsageSourceJSON        = "json"
	UsageSourceCSVDownload = "csv_download"
	UsageSourceCSVReport   = "csv_report"
)

// UsageSources lists the values of usage_details.source.
var UsageSources = []string{UsageSourceJSON, UsageSourceCSVDownload, UsageSourceCSVReport}

// DefaultMaxSeries is the default of usage_details.max_series.
const DefaultMaxSeries = 50000

// TagLabels returns the configured tags as (tag key, label name) pairs,
// sorted by label name (then tag key) so that label order is stable.
func (u *Usage) TagLabels() [][2]string {
	out := make([][2]string, 0, len(u.Tags))
	for k, l := range u.Tags {
		out = append(out, [2]string{k, l})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][1] != out[j][1] {
			return out[i][1] < out[j][1]
		}
		return out[i][0] < out[j][0] // the same label twice: a stable order for the error
	})
	return out
}

// Budget is a spending limit per billing period.
type Budget struct {
	Name       string            `yaml:"name"`
	Enrollment string            `yaml:"enrollment"`
	Amount     float64           `yaml:"amount"`
	Match      map[string]string `yaml:"match"`
}

// ParseOptions are what a configuration is resolved against besides the
// file itself.
type ParseOptions struct {
	// Getenv resolves api_key_env and client_secret_env; os.Getenv when nil.
	Getenv func(string) string
	// Now is the time credential expiry is judged at; time.Now when nil.
	Now func() time.Time
}

func (o ParseOptions) withDefaults() ParseOptions {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Load reads, parses and validates the file at path, and resolves the
// credentials. The error, if any, is a Problems listing everything that
// is wrong, in file order. Warnings are things that work but should not
// be left as they are.
func Load(path string) (cfg *Config, warnings []string, err error) {
	return LoadWithOptions(path, ParseOptions{})
}

// LoadWithOptions is Load with the environment and the clock given.
func LoadWithOptions(path string, o ParseOptions) (cfg *Config, warnings []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseWithOptions(b, o)
}

// Parse parses and validates a configuration; getenv resolves api_key_env
// and client_secret_env.
func Parse(b []byte, getenv func(string) string) (*Config, []string, error) {
	return ParseWithOptions(b, ParseOptions{Getenv: getenv})
}

// ParseWithOptions parses and validates a configuration.
func ParseWithOptions(b []byte, o ParseOptions) (*Config, []string, error) {
	o = o.withDefaults()
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, Problems{syntaxProblem(b, err)}
	}
	var more yaml.Node
	switch err := dec.Decode(&more); {
	case err == nil:
		return nil, nil, Problems{&Problem{Line: more.Line, Column: more.Column,
			Msg: "a second YAML document (after ---): the configuration is one document"}}
	case !errors.Is(err, io.EOF):
		return nil, nil, Problems{syntaxProblem(b, err)}
	}

	cfg := &Config{}
	errs := decodeStrict(&root, cfg)
	// Validate what did decode too, so that one run reports every problem;
	// a path already reported as undecodable is not reported again.
	reported := map[string]bool{}
	for _, e := range errs {
		reported[e.Path] = true
	}
	v := &validator{idx: newIndex(&root), getenv: o.Getenv, now: o.Now()}
	cfg.validate(v)
	for _, e := range v.errs {
		if !reported[e.Path] {
			errs = append(errs, e)
		}
	}
	sortProblems(errs)
	sortProblems(v.warns)
	warnings := make([]string, len(v.warns))
	for i, w := range v.warns {
		warnings[i] = w.Error()
	}
	if len(errs) > 0 {
		p := make(Problems, len(errs))
		for i, e := range errs {
			p[i] = e
		}
		return nil, warnings, p
	}
	return cfg, warnings, nil
}

// String renders the configuration as YAML with every secret replaced by
// <secret>, for the status page and logs.
func (c *Config) String() string {
	b, err := yaml.Marshal(c.redacted())
	if err != nil {
		return fmt.Sprintf("<config: %v>", err)
	}
	return string(b)
}

func (c *Config) redacted() any {
	type report struct {
		Enabled            bool   `yaml:"enabled"`
		Interval           string `yaml:"interval"`
		AllowShortInterval bool   `yaml:"allow_short_interval,omitempty"`
	}
	reports := map[string]report{}
	for n, raw := range c.Reports.raw() {
		r := c.Reports.Get(n)
		reports[n] = report{r.Enabled, r.Interval.String(), raw.AllowShortInterval != nil && *raw.AllowShortInterval}
	}
	ens := make([]Enrollment, len(c.Enrollments))
	for i, e := range c.Enrollments {
		e.key, e.clientSecret, e.certPEM = "", "", nil
		if e.APIKey != "" {
			e.APIKey = "<secret>"
		}
		ens[i] = e
	}
	return struct {
		Enrollments  []Enrollment      `yaml:"enrollments"`
		Reports      map[string]report `yaml:"reports"`
		UsageDetails Usage             `yaml:"usage_details"`
		Budgets      []Budget          `yaml:"budgets"`
	}{ens, reports, c.UsageDetails, c.Budgets}
}
