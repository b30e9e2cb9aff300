// Package config owns the exporter's configuration file: its types, the
// defaults, strict parsing, and validation that names every problem by its
// YAML path. It also resolves each enrollment's API key from its file, its
// environment variable or the file itself, and keeps the key out of any
// printed form of the configuration.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	pconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// Report names: the keys of the reports section, and the report label.
const (
	BillingPeriods     = "billing_periods"
	BalanceSummary     = "balance_summary"
	UsageDetails       = "usage_details"
	MarketplaceCharges = "marketplace_charges"
	PriceSheet         = "price_sheet"
	ReservationDetails = "reservation_details"
	ReservationCharges = "reservation_charges"
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
	DefaultBillingPeriods = 2
	MaxBillingPeriods     = 36 // the API serves 36 months at most
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

// Enrollment is one EA enrollment to read.
type Enrollment struct {
	Number     string         `yaml:"number"`
	APIKeyFile string         `yaml:"api_key_file,omitempty"`
	APIKey     pconfig.Secret `yaml:"api_key,omitempty"`
	APIKeyEnv  string         `yaml:"api_key_env,omitempty"`
	BaseURL    string         `yaml:"base_url,omitempty"`
	// BillingPeriods is how many of the most recent billing periods to track.
	BillingPeriods int `yaml:"billing_periods,omitempty"`

	key pconfig.Secret // resolved from whichever source is configured
}

// Key returns the enrollment's API key as resolved when the file was loaded.
func (e *Enrollment) Key() string { return string(e.key) }

// Report configures the polling of one report.
type Report struct {
	Enabled  bool           `yaml:"enabled"`
	Interval model.Duration `yaml:"interval"`
}

// reportYAML tells an absent key from a zero one.
type reportYAML struct {
	Enabled  *bool   `yaml:"enabled"`
	Interval *string `yaml:"interval"`
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

// Usage is the usage_details section.
type Usage struct {
	Dimensions []string          `yaml:"dimensions"`
	Tags       map[string]string `yaml:"tags"`
	// MaxSeries bounds the label sets of azure_ea_usage_cost per enrollment
	// and billing period; past it the smallest are folded into "other".
	MaxSeries int `yaml:"max_series,omitempty"`
}

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

// Problems is every problem found in a configuration file.
type Problems []error

func (p Problems) Error() string {
	s := make([]string, len(p))
	for i, e := range p {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Load reads, parses and validates the file at path, and resolves the API
// keys. The error, if any, is a Problems listing everything that is wrong.
// Warnings are things that work but should not be left as they are.
func Load(path string) (cfg *Config, warnings []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return Parse(b, os.Getenv)
}

// Parse parses and validates a configuration; getenv resolves api_key_env.
func Parse(b []byte, getenv func(string) string) (*Config, []string, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, errEOF(err)) {
		return nil, nil, Problems{fmt.Errorf("not valid YAML: %s", cleanYAMLError(err))}
	}
	cfg := &Config{}
	errs := decodeStrict(&root, cfg)
	// Validate what did decode too, so that one run reports every problem;
	// a path already reported as undecodable is not reported again.
	reported := map[string]bool{}
	for _, e := range errs {
		reported[pathOf(e)] = true
	}
	warnings, verrs := cfg.validate(getenv)
	for _, e := range verrs {
		if !reported[pathOf(e)] {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, warnings, Problems(errs)
	}
	return cfg, warnings, nil
}

func pathOf(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 {
		return s[:i]
	}
	return s
}

// errEOF lets an empty file through as an empty configuration.
func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return errors.New("not EOF")
}

var (
	enrollmentPattern = regexp.MustCompile(`^[0-9]{1,12}$`)
	labelPattern      = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// reservedLabels are labels the exporter sets itself.
var reservedLabels = map[string]bool{"enrollment": true, "billing_period": true, "unit": true, "report": true, "budget": true, "code": true}

func (c *Config) validate(getenv func(string) string) (warnings []string, errs []error) {
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if len(c.Enrollments) == 0 {
		add("enrollments: at least one enrollment is required")
	}
	numbers := map[string]int{}
	for i := range c.Enrollments {
		e := &c.Enrollments[i]
		p := fmt.Sprintf("enrollments[%d]", i)
		switch {
		case e.Number == "":
			add("%s.number: required", p)
		case !enrollmentPattern.MatchString(e.Number):
			add("%s.number: %q is not an enrollment number (digits only)", p, e.Number)
		default:
			if j, dup := numbers[e.Number]; dup {
				add("%s.number: %q is already configured as enrollments[%d]", p, e.Number, j)
			}
			numbers[e.Number] = i
		}
		sources := 0
		for _, set := range []bool{e.APIKeyFile != "", e.APIKey != "", e.APIKeyEnv != ""} {
			if set {
				sources++
			}
		}
		if sources != 1 {
			add("%s: exactly one of api_key_file, api_key, api_key_env is required", p)
		} else {
			key, warn, err := resolveKey(e, getenv)
			switch {
			case err != nil:
				add("%s.%s", p, err)
			default:
				e.key = pconfig.Secret(key)
			}
			if warn != "" {
				warnings = append(warnings, p+".api_key_file: "+warn)
			}
		}
		if e.BaseURL == "" {
			e.BaseURL = DefaultBaseURL
		} else if u, err := url.Parse(e.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("%s.base_url: %q is not an absolute http or https URL", p, e.BaseURL)
		} else if u.Scheme == "http" && !isLoopback(u.Hostname()) {
			warnings = append(warnings, p+".base_url: plain http sends the API key unencrypted")
		}
		switch {
		case e.BillingPeriods == 0:
			e.BillingPeriods = DefaultBillingPeriods
		case e.BillingPeriods < 0 || e.BillingPeriods > MaxBillingPeriods:
			add("%s.billing_periods: %d is out of range 1..%d", p, e.BillingPeriods, MaxBillingPeriods)
		}
	}

	c.Reports.resolved = map[string]Report{}
	for _, name := range ReportNames {
		r := DefaultReports[name]
		raw := c.Reports.raw()[name]
		if raw.Enabled != nil {
			r.Enabled = *raw.Enabled
		}
		if raw.Interval != nil {
			d, err := model.ParseDuration(*raw.Interval)
			switch {
			case err != nil:
				add("reports.%s.interval: %q is not a duration (like 30s, 4h, 1d)", name, *raw.Interval)
			case d <= 0:
				add("reports.%s.interval: must be positive", name)
			default:
				r.Interval = d
			}
		}
		c.Reports.resolved[name] = r
	}

	u := &c.UsageDetails
	if u.Dimensions == nil {
		u.Dimensions = append([]string(nil), DefaultUsageDimensions...)
	}
	known := map[string]bool{}
	for _, d := range UsageDimensions {
		known[d] = true
	}
	labels := map[string]string{}
	for i, d := range u.Dimensions {
		p := fmt.Sprintf("usage_details.dimensions[%d]", i)
		switch {
		case !known[d]:
			add("%s: unknown dimension %q (one of %s)", p, d, strings.Join(UsageDimensions, ", "))
		case labels[d] != "":
			add("%s: %q is listed twice", p, d)
		default:
			labels[d] = p
		}
	}
	for _, tl := range u.TagLabels() {
		tag, label := tl[0], tl[1]
		p := fmt.Sprintf("usage_details.tags[%q]", tag)
		switch {
		case tag == "":
			add("usage_details.tags: empty tag key")
		case !labelPattern.MatchString(label):
			add("%s: %q is not a valid label name", p, label)
		case reservedLabels[label] || known[label] || strings.HasPrefix(label, "__"):
			add("%s: label %q is reserved for the exporter's own labels", p, label)
		case labels[label] != "":
			add("%s: label %q is already used by %s", p, label, labels[label])
		default:
			labels[label] = p
		}
	}
	switch {
	case u.MaxSeries == 0:
		u.MaxSeries = DefaultMaxSeries
	case u.MaxSeries < 0:
		add("usage_details.max_series: must be positive")
	}

	names := map[string]int{}
	for i, b := range c.Budgets {
		p := fmt.Sprintf("budgets[%d]", i)
		if b.Name == "" {
			add("%s.name: required", p)
		} else if j, dup := names[b.Name]; dup {
			add("%s.name: %q is already used by budgets[%d]", p, b.Name, j)
		} else {
			names[b.Name] = i
		}
		if _, ok := numbers[b.Enrollment]; !ok {
			add("%s.enrollment: %q is not a configured enrollment", p, b.Enrollment)
		}
		if b.Amount <= 0 {
			add("%s.amount: must be positive", p)
		}
		keys := make([]string, 0, len(b.Match))
		for k := range b.Match {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if labels[k] == "" && !known[k] {
				add("%s.match.%s: not a usage dimension or configured tag label", p, k)
			} else if labels[k] == "" {
				add("%s.match.%s: %q is not one of usage_details.dimensions, so usage cannot be matched on it", p, k, k)
			}
		}
	}
	return warnings, errs
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// resolveKey reads the key from its source. Errors are prefixed with the
// key's YAML field.
func resolveKey(e *Enrollment, getenv func(string) string) (key, warning string, err error) {
	switch {
	case e.APIKeyFile != "":
		fi, err := os.Stat(e.APIKeyFile)
		if err != nil {
			return "", "", fmt.Errorf("api_key_file: %w", unwrapPathError(err))
		}
		if fi.Mode().Perm()&0o077 != 0 {
			warning = fmt.Sprintf("%s is readable by others (mode %04o); use 0600 or 0400", e.APIKeyFile, fi.Mode().Perm())
		}
		b, err := os.ReadFile(e.APIKeyFile)
		if err != nil {
			return "", "", fmt.Errorf("api_key_file: %w", unwrapPathError(err))
		}
		key = strings.TrimSpace(string(b))
		if key == "" {
			return "", warning, fmt.Errorf("api_key_file: %s is empty", e.APIKeyFile)
		}
		return key, warning, nil
	case e.APIKeyEnv != "":
		key = strings.TrimSpace(getenv(e.APIKeyEnv))
		if key == "" {
			return "", "", fmt.Errorf("api_key_env: environment variable %s is not set or empty", e.APIKeyEnv)
		}
		return key, "", nil
	default:
		return strings.TrimSpace(string(e.APIKey)), "", nil
	}
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// String renders the configuration as YAML with every key replaced by
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
		Enabled  bool   `yaml:"enabled"`
		Interval string `yaml:"interval"`
	}
	reports := map[string]report{}
	for _, n := range ReportNames {
		r := c.Reports.Get(n)
		reports[n] = report{r.Enabled, r.Interval.String()}
	}
	ens := make([]Enrollment, len(c.Enrollments))
	for i, e := range c.Enrollments {
		e.key = ""
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
