package config

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// validator collects the problems and warnings of validation, each placed
// at its node in the file.
type validator struct {
	idx    *index
	getenv func(string) string
	now    time.Time
	errs   []*Problem
	warns  []*Problem
}

// errorf reports a problem with the value at path (or, when the file does
// not have it, at its nearest ancestor).
func (v *validator) errorf(path, format string, a ...any) {
	l, c := v.idx.pos(path)
	v.errs = append(v.errs, &Problem{Path: path, Line: l, Column: c, Msg: fmt.Sprintf(format, a...)})
}

// keyErrorf reports a problem with the key at path itself.
func (v *validator) keyErrorf(path, format string, a ...any) {
	l, c := v.idx.keyPos(path)
	v.errs = append(v.errs, &Problem{Path: path, Line: l, Column: c, Msg: fmt.Sprintf(format, a...)})
}

func (v *validator) warnf(path, format string, a ...any) {
	l, c := v.idx.pos(path)
	v.warns = append(v.warns, &Problem{Path: path, Line: l, Column: c, Msg: fmt.Sprintf(format, a...)})
}

var (
	enrollmentPattern = regexp.MustCompile(`^[0-9]{1,12}$`)
	labelPattern      = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	apiVersionPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$`)
	guidPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// reservedLabels are labels the exporter sets itself.
var reservedLabels = map[string]bool{"enrollment": true, "billing_period": true, "unit": true, "report": true, "budget": true, "code": true}

// Keys of one source only.
var (
	eaOnlyKeys  = []string{"api_key_file", "api_key", "api_key_env", "base_url"}
	armOnlyKeys = []string{"tenant_id", "client_id", "client_secret_file", "client_secret_env", "client_certificate_file",
		"workload_identity", "managed_identity", "client_secret_expiry", "cloud", "arm_endpoint", "authority_host", "arm_api_versions"}
)

// set tells which keys of an enrollment are given: in the file, or (for an
// enrollment that came through an alias) by a non-zero value.
func (e *Enrollment) set(key string) bool {
	switch key {
	case "api_key_file":
		return e.APIKeyFile != ""
	case "api_key":
		return e.APIKey != ""
	case "api_key_env":
		return e.APIKeyEnv != ""
	case "base_url":
		return e.BaseURL != ""
	case "tenant_id":
		return e.TenantID != ""
	case "client_id":
		return e.ClientID != ""
	case "client_secret_file":
		return e.ClientSecretFile != ""
	case "client_secret_env":
		return e.ClientSecretEnv != ""
	case "client_certificate_file":
		return e.ClientCertificateFile != ""
	case "workload_identity":
		return e.WorkloadIdentity
	case "managed_identity":
		return e.ManagedIdentity
	case "client_secret_expiry":
		return e.ClientSecretExpiry != ""
	case "cloud":
		return e.Cloud != ""
	case "arm_endpoint":
		return e.ARMEndpoint != ""
	case "authority_host":
		return e.AuthorityHost != ""
	case "arm_api_versions":
		return e.ARMAPIVersions != (ARMAPIVersions{})
	}
	return false
}

func (c *Config) validate(v *validator) {
	if len(c.Enrollments) == 0 {
		v.errorf("enrollments", "at least one enrollment is required")
	}
	numbers := map[string]int{}
	for i := range c.Enrollments {
		e := &c.Enrollments[i]
		p := fmt.Sprintf("enrollments[%d]", i)
		switch {
		case e.Number == "":
			v.errorf(p+".number", "required")
		case !enrollmentPattern.MatchString(e.Number):
			v.errorf(p+".number", "%q is not an enrollment number (digits only)", e.Number)
		default:
			if j, dup := numbers[e.Number]; dup {
				v.errorf(p+".number", "%q is already configured as enrollments[%d]", e.Number, j)
			}
			numbers[e.Number] = i
		}
		switch e.Source {
		case "", SourceEA:
			e.Source = SourceEA
			v.enrollmentEA(e, p)
		case SourceARM:
			v.enrollmentARM(e, p)
		default:
			v.errorf(p+".source", "%q is not a source (ea or arm)", e.Source)
		}
		switch {
		case e.TrackedPeriods == 0:
			e.TrackedPeriods = DefaultTrackedPeriods
		case e.TrackedPeriods < 0 || e.TrackedPeriods > MaxTrackedPeriods:
			v.errorf(p+".billing_periods", "%d is out of range 1..%d", e.TrackedPeriods, MaxTrackedPeriods)
		}
	}

	c.validateReports(v)

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
			v.errorf(p, "unknown dimension %q (one of %s)", d, strings.Join(UsageDimensions, ", "))
		case labels[d] != "":
			v.errorf(p, "%q is listed twice", d)
		default:
			labels[d] = p
		}
	}
	for _, tl := range u.TagLabels() {
		tag, label := tl[0], tl[1]
		p := fmt.Sprintf("usage_details.tags[%q]", tag)
		switch {
		case tag == "":
			v.keyErrorf(p, "empty tag key")
		case !labelPattern.MatchString(label):
			v.errorf(p, "%q is not a valid label name", label)
		case reservedLabels[label] || known[label] || strings.HasPrefix(label, "__"):
			v.errorf(p, "label %q is reserved for the exporter's own labels", label)
		case labels[label] != "":
			v.errorf(p, "label %q is already used by %s", label, labels[label])
		default:
			labels[label] = p
		}
	}
	switch {
	case u.MaxSeries == 0:
		u.MaxSeries = DefaultMaxSeries
	case u.MaxSeries < 0:
		v.errorf("usage_details.max_series", "%d must be positive", u.MaxSeries)
	}
	switch u.Source {
	case "":
		u.Source = UsageSourceJSON
	case UsageSourceJSON, UsageSourceCSVDownload, UsageSourceCSVReport:
		if u.Source != UsageSourceJSON && !c.hasSource(SourceEA) && len(c.Enrollments) > 0 {
			v.warnf("usage_details.source", "%s has no effect: it applies to source: ea enrollments, and source: arm always reads the Cost Details report", u.Source)
		}
	default:
		v.errorf("usage_details.source", "%q is not a usage source (%s)", u.Source, strings.Join(UsageSources, ", "))
	}

	c.validateBudgets(v, numbers, labels, known)
}

func (c *Config) hasSource(kind string) bool {
	for i := range c.Enrollments {
		if c.Enrollments[i].Source == kind {
			return true
		}
	}
	return false
}

// enrollmentEA validates a source: ea enrollment and resolves its key.
func (v *validator) enrollmentEA(e *Enrollment, p string) {
	for _, k := range armOnlyKeys {
		if v.idx.has(p+"."+k) || e.set(k) {
			v.keyErrorf(p+"."+k, "%s is only for source: arm (this enrollment is source: ea, the EA Reporting API)", k)
		}
	}
	sources := 0
	for _, set := range []bool{e.APIKeyFile != "", e.APIKey != "", e.APIKeyEnv != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		v.errorf(p, "exactly one of api_key_file, api_key, api_key_env is required")
	} else {
		field, key, warning, err := resolveKey(e, v.getenv)
		switch {
		case err != nil:
			v.errorf(p+"."+field, "%s", err)
		default:
			e.key = key
			v.checkKey(p+"."+field, string(key))
		}
		if warning != "" {
			v.warnf(p+"."+field, "%s", warning)
		}
	}
	if e.BaseURL == "" {
		e.BaseURL = DefaultBaseURL
	} else if msg, plain := checkEndpoint(e.BaseURL); msg != "" {
		v.errorf(p+".base_url", "%s", msg)
	} else if plain {
		v.warnf(p+".base_url", "plain http sends the API key unencrypted")
	}
}

// enrollmentARM validates a source: arm enrollment and resolves its
// credential.
func (v *validator) enrollmentARM(e *Enrollment, p string) {
	for _, k := range eaOnlyKeys {
		if v.idx.has(p+"."+k) || e.set(k) {
			hint := "an EA API key"
			if k == "base_url" {
				hint = "arm_endpoint overrides the Resource Manager endpoint"
			}
			v.keyErrorf(p+"."+k, "%s is only for source: ea (%s); this enrollment is source: arm", k, hint)
		}
	}
	var creds []string
	for _, k := range []string{"client_secret_file", "client_secret_env", "client_certificate_file", "workload_identity", "managed_identity"} {
		if e.set(k) {
			creds = append(creds, k)
		}
	}
	const oneOf = "exactly one of client_secret_file, client_secret_env, client_certificate_file, workload_identity: true, managed_identity: true is required"
	switch len(creds) {
	case 0:
		v.errorf(p, "%s", oneOf)
	case 1:
	default:
		v.errorf(p, "%s (got %s)", oneOf, strings.Join(creds, " and "))
	}
	switch {
	case e.TenantID == "":
		v.errorf(p+".tenant_id", "required for source: arm (the GUID of the Entra ID tenant)")
	case !guidPattern.MatchString(e.TenantID):
		v.errorf(p+".tenant_id", "%q is not a GUID (like 00000000-0000-0000-0000-000000000000)", e.TenantID)
	}
	switch {
	case e.ClientID == "" && e.ManagedIdentity:
		// the system-assigned managed identity
	case e.ClientID == "":
		v.errorf(p+".client_id", "required for source: arm (the application or user-assigned identity's client ID); only managed_identity: true may leave it out, for the system-assigned identity")
	case !guidPattern.MatchString(e.ClientID):
		v.errorf(p+".client_id", "%q is not a GUID (like 00000000-0000-0000-0000-000000000000)", e.ClientID)
	}

	if e.Cloud == "" {
		e.Cloud = DefaultCloud
	}
	cloud, ok := Clouds[e.Cloud]
	if !ok {
		names := make([]string, 0, len(Clouds))
		for n := range Clouds {
			names = append(names, n)
		}
		sort.Strings(names)
		v.errorf(p+".cloud", "%q is not a cloud (%s)", e.Cloud, strings.Join(names, ", "))
	}
	for _, ep := range []struct {
		key string
		val *string
		def string
	}{{"arm_endpoint", &e.ARMEndpoint, cloud.ARMEndpoint}, {"authority_host", &e.AuthorityHost, cloud.AuthorityHost}} {
		if *ep.val == "" {
			*ep.val = ep.def
		} else if msg, plain := checkEndpoint(*ep.val); msg != "" {
			v.errorf(p+"."+ep.key, "%s", msg)
		} else if plain {
			v.errorf(p+"."+ep.key, "%q: plain http would send the credential and its tokens unencrypted; use https (http is accepted for loopback test servers only)", *ep.val)
		}
	}

	for _, av := range []struct{ key, val string }{
		{"billing", e.ARMAPIVersions.Billing}, {"consumption", e.ARMAPIVersions.Consumption}, {"cost_management", e.ARMAPIVersions.CostManagement},
	} {
		if av.val != "" && !apiVersionPattern.MatchString(av.val) {
			v.errorf(p+".arm_api_versions."+av.key, "%q is not an api-version (like 2024-08-01 or 2025-03-01-preview)", av.val)
		}
	}

	if e.ClientSecretExpiry != "" {
		t, err := parseExpiry(e.ClientSecretExpiry)
		switch {
		case e.ClientSecretFile == "" && e.ClientSecretEnv == "":
			v.keyErrorf(p+".client_secret_expiry", "only with client_secret_file or client_secret_env (a certificate's expiry is read from the certificate)")
		case err != nil:
			v.errorf(p+".client_secret_expiry", "%q is not a date or time (like 2026-05-01 or 2026-05-01T12:00:00Z)", e.ClientSecretExpiry)
		default:
			e.secretExpiry = t
		}
	}
	if len(creds) != 1 {
		return
	}
	switch creds[0] {
	case "client_secret_file", "client_secret_env":
		field, secret, warning, err := resolveSecret(e, v.getenv)
		if warning != "" {
			v.warnf(p+"."+field, "%s", warning)
		}
		if err != nil {
			v.errorf(p+"."+field, "%s", err)
			return
		}
		e.clientSecret = secret
		switch {
		case !e.secretExpiry.IsZero():
			v.checkExpiry(p+".client_secret_expiry", "the client secret", e.secretExpiry, "add a new secret to the app registration in Entra ID")
		case e.ClientSecretExpiry == "":
			v.warnf(p+"."+field, "expiry unknown: a secret's expiry cannot be read from the secret; set client_secret_expiry to the expiry Entra ID shows, to be warned before it lapses and to export azure_ea_credential_expiry_timestamp_seconds")
		}
	case "client_certificate_file":
		pemBytes, cert, warning, err := readCertificate(e.ClientCertificateFile)
		if warning != "" {
			v.warnf(p+".client_certificate_file", "%s", warning)
		}
		if err != nil {
			v.errorf(p+".client_certificate_file", "%s", err)
			return
		}
		e.certPEM, e.certExpiry = pemBytes, cert.NotAfter.UTC()
		if v.now.Before(cert.NotBefore) {
			v.warnf(p+".client_certificate_file", "the certificate is not valid before %s", formatTime(cert.NotBefore))
		}
		v.checkExpiry(p+".client_certificate_file", "the certificate", e.certExpiry, "upload a new certificate to the app registration in Entra ID")
	case "workload_identity":
		if v.getenv("AZURE_FEDERATED_TOKEN_FILE") == "" {
			v.warnf(p+".workload_identity", "AZURE_FEDERATED_TOKEN_FILE is not set: workload identity cannot get a token until it is (AKS sets it in pods labelled azure.workload.identity/use: \"true\")")
		}
	}
}

// parseExpiry reads client_secret_expiry: a date (its start, in UTC) or an
// RFC 3339 time (a time without a zone is taken as UTC).
func parseExpiry(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		var t time.Time
		if t, err = time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

// checkEndpoint checks base_url, arm_endpoint or authority_host: an
// absolute http or https URL of a scheme and host[:port] only (a single
// trailing "/" allowed). plain is true for http to a host other than
// loopback.
func checkEndpoint(raw string) (msg string, plain bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http or https URL", raw), false
	}
	var extra []string
	if u.User != nil {
		extra = append(extra, "user information")
	}
	if u.Path != "" && u.Path != "/" {
		extra = append(extra, fmt.Sprintf("the path %q", u.EscapedPath()))
	}
	if u.RawQuery != "" || u.ForceQuery {
		extra = append(extra, "a query")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		extra = append(extra, "a fragment")
	}
	if len(extra) > 0 {
		return fmt.Sprintf("%q must be a scheme and host[:port] only, like %s://%s; remove %s", raw, u.Scheme, u.Host, strings.Join(extra, " and ")), false
	}
	return "", u.Scheme == "http" && !isLoopback(u.Hostname())
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// validateReports resolves the reports section and checks its intervals.
func (c *Config) validateReports(v *validator) {
	c.Reports.resolved = map[string]Report{}
	raws := c.Reports.raw()
	for _, name := range ReportNames {
		r := DefaultReports[name]
		raw := raws[name]
		p := "reports." + name
		if raw.Enabled != nil {
			r.Enabled = *raw.Enabled
		}
		allow := raw.AllowShortInterval != nil && *raw.AllowShortInterval
		if raw.Interval != nil {
			if d, ok := v.interval(p+".interval", *raw.Interval); ok {
				r.Interval = d
			}
		}
		switch d := time.Duration(r.Interval); {
		case d < MinInterval && !allow:
			v.errorf(p+".interval", "%s is below the %s floor: each refresh is a request to the API (a usage download is many); set allow_short_interval: true in reports.%s to poll this often on purpose, as against a local test server", r.Interval, model.Duration(MinInterval), name)
		case d < MinInterval:
			v.warnf(p+".interval", "%s is below the %s floor, allowed by allow_short_interval: do not point this at Azure", r.Interval, model.Duration(MinInterval))
		case d < RecommendedInterval[name] && r.Enabled && !allow:
			v.warnf(p+".interval", "%s is shorter than the data changes: EA cost data is refreshed a few times a day at most, so polling %s more often than every %s adds requests (and the risk of throttling) without fresher data", r.Interval, name, model.Duration(RecommendedInterval[name]))
		}
		c.Reports.resolved[name] = r
	}
	if !c.Reports.Get(BillingPeriods).Enabled {
		v.warnf("reports.billing_periods.enabled", "billing_periods is disabled: azure_ea_billing_period_current and the billing period start and end series are not exported, so alert rules and dashboard panels built on them go empty")
	}
	if !c.Reports.Get(BalanceSummary).Enabled {
		v.warnf("reports.balance_summary.enabled", "balance_summary is disabled: azure_ea_enrollment_info (the currency) and the azure_ea_balance_* series are not exported, so dashboards show no currency or balance")
	}
	if len(c.Budgets) > 0 && !c.Reports.Get(UsageDetails).Enabled {
		if c.Reports.Get(MarketplaceCharges).Enabled {
			v.warnf("reports.usage_details.enabled", "usage_details is disabled: azure_ea_budget_spent of the configured budgets counts marketplace charges only")
		} else {
			v.warnf("reports.usage_details.enabled", "usage_details and marketplace_charges are disabled: azure_ea_budget_spent of the configured budgets is not exported")
		}
	}
}

// interval parses a report's interval.
func (v *validator) interval(path, s string) (model.Duration, bool) {
	d, err := model.ParseDuration(s)
	switch {
	case err == nil && d > 0:
		return d, true
	case err == nil:
		v.errorf(path, "%q must be positive", s)
	case strings.HasPrefix(s, "-"):
		if _, err := model.ParseDuration(s[1:]); err == nil {
			v.errorf(path, "%q must be positive", s)
			break
		}
		fallthrough
	default:
		v.errorf(path, "%q is not a duration (like 30s, 4h, 1d)", s)
	}
	return 0, false
}

func (c *Config) validateBudgets(v *validator, numbers map[string]int, labels map[string]string, known map[string]bool) {
	configured := make([]string, 0, len(numbers))
	for n := range numbers {
		configured = append(configured, fmt.Sprintf("%q", n))
	}
	sort.Strings(configured)
	names := map[string]int{}
	for i, b := range c.Budgets {
		p := fmt.Sprintf("budgets[%d]", i)
		if b.Name == "" {
			v.errorf(p+".name", "required")
		} else if j, dup := names[b.Name]; dup {
			v.errorf(p+".name", "%q is already used by budgets[%d]", b.Name, j)
		} else {
			names[b.Name] = i
		}
		if b.Enrollment == "" {
			v.errorf(p+".enrollment", "required (the number of a configured enrollment)")
		} else if _, ok := numbers[b.Enrollment]; !ok {
			v.errorf(p+".enrollment", "%q is not a configured enrollment (configured: %s)", b.Enrollment, strings.Join(configured, ", "))
		}
		switch {
		case math.IsNaN(b.Amount) || math.IsInf(b.Amount, 0):
			v.errorf(p+".amount", "must be a finite number")
		case b.Amount <= 0:
			v.errorf(p+".amount", "%s must be positive", strconv.FormatFloat(b.Amount, 'g', -1, 64))
		}
		keys := make([]string, 0, len(b.Match))
		for k := range b.Match {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if labels[k] == "" && !known[k] {
				v.keyErrorf(p+".match."+k, "not a usage dimension or configured tag label")
			} else if labels[k] == "" {
				v.keyErrorf(p+".match."+k, "%q is not one of usage_details.dimensions, so usage cannot be matched on it", k)
			}
		}
	}
}
