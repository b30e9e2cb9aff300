package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// testNow is the clock of every test that judges an expiry.
var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// parse parses at testNow.
func parse(y string, getenv map[string]string) (*Config, []string, error) {
	return ParseWithOptions([]byte(y), ParseOptions{Getenv: env(getenv), Now: func() time.Time { return testNow }})
}

// jwt returns a look-alike EA key (unsigned) with the given claims.
func jwt(claims map[string]any) string {
	enc := base64.RawURLEncoding
	b, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString(b) + ".c2ln"
}

// key is an EA key that expires at exp.
func key(exp time.Time) string { return jwt(map[string]any{"exp": exp.Unix()}) }

// goodKey expires far from testNow.
var goodKey = key(testNow.Add(150 * 24 * time.Hour))

// ea is a one-enrollment configuration with a good key, plus extra YAML.
func ea(extra string) string {
	return "enrollments: [{number: '1', api_key: '" + goodKey + "'}]\n" + extra
}

func TestGoodFile(t *testing.T) {
	b, err := os.ReadFile("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err := parse(string(b), map[string]string{"TEST_EA_KEY": " " + goodKey + "\n"})
	if err != nil {
		t.Fatal(err)
	}
	// The one warning: the 30s interval is allowed, but below the floor.
	if len(warnings) != 1 || warnings[0] != "reports.usage_details.interval (line 9, column 30): 30s is below the 1m floor, allowed by allow_short_interval: do not point this at Azure" {
		t.Errorf("warnings: %q", warnings)
	}
	e0, e1 := cfg.Enrollments[0], cfg.Enrollments[1]
	if !strings.HasPrefix(e0.Key(), "eyJ") || e0.BaseURL != DefaultBaseURL || e0.TrackedPeriods != DefaultTrackedPeriods || e0.SourceKind() != SourceEA {
		t.Errorf("enrollment 0 defaults: %v", e0)
	}
	if e1.Key() != goodKey || e1.BaseURL != "http://127.0.0.1:9999/" || e1.TrackedPeriods != 6 {
		t.Errorf("enrollment 1: %v", e1)
	}
	for name, want := range map[string]Report{
		BillingPeriods:     {true, model.Duration(12 * time.Hour)},
		UsageDetails:       {true, model.Duration(30 * time.Second)},
		PriceSheet:         {true, model.Duration(24 * time.Hour)},
		ReservationCharges: {false, model.Duration(6 * time.Hour)},
	} {
		if got := cfg.Reports.Get(name); got != want {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
	if strings.Join(cfg.UsageDetails.Dimensions, ",") != "department,meter_id" || cfg.UsageDetails.MaxSeries != 10 || cfg.UsageDetails.Source != UsageSourceJSON {
		t.Errorf("usage: %+v", cfg.UsageDetails)
	}
	if tl := cfg.UsageDetails.TagLabels(); len(tl) != 2 || tl[0] != [2]string{"CostCenter", "tag_cost_center"} {
		t.Errorf("tag labels %v", tl)
	}
	kind, exp, ok := e0.CredentialExpiry()
	if kind != billing.CredentialEAAPIKey || !ok || exp.Year() != 2100 {
		t.Errorf("credential expiry %s %v %v", kind, exp, ok)
	}
}

func TestDefaults(t *testing.T) {
	cfg, _, err := Parse([]byte("enrollments: [{number: '1', api_key: k}]"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ReportNames {
		if cfg.Reports.Get(n) != DefaultReports[n] {
			t.Errorf("%s: %+v", n, cfg.Reports.Get(n))
		}
	}
	if strings.Join(cfg.UsageDetails.Dimensions, ",") != strings.Join(DefaultUsageDimensions, ",") || cfg.UsageDetails.MaxSeries != DefaultMaxSeries {
		t.Errorf("usage defaults %+v", cfg.UsageDetails)
	}
	if e := cfg.Enrollments[0]; e.Source != SourceEA || e.SourceKind() != SourceEA || e.ARMCredential() != "" {
		t.Errorf("source default %v", e)
	}
	// An explicit empty list means no dimensions: one series per period.
	cfg, _, err = Parse([]byte("enrollments: [{number: '1', api_key: k}]\nusage_details: {dimensions: []}"), env(nil))
	if err != nil || len(cfg.UsageDetails.Dimensions) != 0 {
		t.Errorf("empty dimensions: %v %v", cfg.UsageDetails.Dimensions, err)
	}
	// Every default interval is above its recommended minimum.
	for _, n := range ReportNames {
		if d := time.Duration(DefaultReports[n].Interval); d < RecommendedInterval[n] || d < MinInterval {
			t.Errorf("%s: default %s is below the recommended %s", n, d, RecommendedInterval[n])
		}
	}
}

// checkProblems asserts that err lists exactly want, in this order.
func checkProblems(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	problems, ok := err.(Problems)
	if !ok {
		t.Fatalf("error %T is not Problems", err)
	}
	var got []string
	for _, p := range problems {
		if _, ok := p.(*Problem); !ok {
			t.Errorf("problem %T is not a *Problem", p)
		}
		got = append(got, p.Error())
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
}

// checkWarnings asserts that warnings has one for each of want, in order
// (each a prefix).
func checkWarnings(t *testing.T, warnings []string, want []string) {
	t.Helper()
	if len(warnings) != len(want) {
		t.Fatalf("got %d warnings, want %d:\n%s", len(warnings), len(want), strings.Join(warnings, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(warnings[i], want[i]) {
			t.Errorf("warning %d:\n got %s\nwant %s...", i, warnings[i], want[i])
		}
	}
}

func TestBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"empty", ``, []string{"enrollments: at least one enrollment is required"}},
		{"comments only", "# nothing\n", []string{"enrollments: at least one enrollment is required"}},
		{"not a mapping", "- a\n- b", []string{"enrollments: at least one enrollment is required",
			"line 1, column 1: want a mapping of enrollments:, reports:, usage_details: and budgets: at the top level, got a list"}},
		{"no enrollments", "enrollments: []", []string{"enrollments (line 1, column 14): at least one enrollment is required"}},
		{"no key", "enrollments: [{number: '1'}]", []string{"enrollments[0] (line 1, column 15): exactly one of api_key_file, api_key, api_key_env is required"}},
		{"two keys", "enrollments: [{number: '1', api_key: a, api_key_env: B}]", []string{"enrollments[0] (line 1, column 15): exactly one of api_key_file, api_key, api_key_env is required"}},
		{"unknown key", "enrollments: [{number: '1', api_key: a, apikey: b}]", []string{"enrollments[0].apikey (line 1, column 41): unknown key (did you mean api_key?)"}},
		{"unknown key, nothing near", "enrollments: [{number: '1', api_key: a, colour: b}]", []string{"enrollments[0].colour (line 1, column 41): unknown key"}},
		{"unknown top key", "enrollment: []", []string{"enrollments: at least one enrollment is required",
			"enrollment (line 1, column 1): unknown key (did you mean enrollments?)"}},
		{"duplicate key", "enrollments: [{number: '1', api_key: a}]\nbudgets: []\nbudgets: []", []string{"budgets (line 3, column 1): key given twice (first on line 2)"}},
		{"duplicate tag", ea("usage_details: {tags: {a: x, a: y}}"), []string{`usage_details.tags["a"] (line 2, column 30): key given twice (first on line 2)`}},
		{"wrong type", "enrollments: [{number: '1', api_key: a, billing_periods: many}]", []string{`enrollments[0].billing_periods (line 1, column 58): "many" is not a number`}},
		{"string wanted", "enrollments: [{number: [1], api_key: a}]", []string{"enrollments[0].number (line 1, column 24): want a string, got a list"}},
		{"list expected", "enrollments: {number: '1'}", []string{"enrollments (line 1, column 14): want a list, got a mapping"}},
		{"dimensions not a list", ea("usage_details: {dimensions: department}"), []string{`usage_details.dimensions (line 2, column 29): want a list, got "department"`}},
		{"tags not a mapping", ea("usage_details: {tags: [a]}"), []string{"usage_details.tags (line 2, column 23): want a mapping, got a list"}},
		{"number", "enrollments: [{number: 'E-1', api_key: a}, {api_key: b}]", []string{
			`enrollments[0].number (line 1, column 24): "E-1" is not an enrollment number (digits only)`,
			"enrollments[1].number (line 1, column 44): required"}},
		{"duplicate enrollment", "enrollments: [{number: '1', api_key: a}, {number: '1', api_key: b}]", []string{`enrollments[1].number (line 1, column 51): "1" is already configured as enrollments[0]`}},
		{"env unset", "enrollments: [{number: '1', api_key_env: NOT_SET}]", []string{"enrollments[0].api_key_env (line 1, column 42): environment variable NOT_SET is not set or empty"}},
		{"key file missing", "enrollments: [{number: '1', api_key_file: /nonexistent/key}]", []string{"enrollments[0].api_key_file (line 1, column 43): /nonexistent/key: no such file or directory"}},
		{"key file is a directory", "enrollments: [{number: '1', api_key_file: /}]", []string{"enrollments[0].api_key_file (line 1, column 43): / is a directory"}},
		{"base url", "enrollments: [{number: '1', api_key: a, base_url: 'consumption.azure.com'}]", []string{`enrollments[0].base_url (line 1, column 51): "consumption.azure.com" is not an absolute http or https URL`}},
		{"periods", "enrollments: [{number: '1', api_key: a, billing_periods: 37}]", []string{"enrollments[0].billing_periods (line 1, column 58): 37 is out of range 1..36"}},
		{"interval", "enrollments: [{number: '1', api_key: a}]\nreports: {usage_details: {interval: soon}, balance_summary: {interval: 0s}, nope: {}}", []string{
			`reports.usage_details.interval (line 2, column 37): "soon" is not a duration (like 30s, 4h, 1d)`,
			`reports.balance_summary.interval (line 2, column 72): "0s" must be positive`,
			"reports.nope (line 2, column 77): unknown key"}},
		{"negative interval", ea("reports: {usage_details: {interval: -5m}}"), []string{`reports.usage_details.interval (line 2, column 37): "-5m" must be positive`}},
		{"enabled type", "enrollments: [{number: '1', api_key: a}]\nreports: {usage_details: {enabled: sometimes}}", []string{
			`reports.usage_details.enabled (line 2, column 36): "sometimes" is not true or false`}},
		{"dimensions", "enrollments: [{number: '1', api_key: a}]\nusage_details: {dimensions: [department, colour, department]}", []string{
			`usage_details.dimensions[1] (line 2, column 42): unknown dimension "colour"`,
			`usage_details.dimensions[2] (line 2, column 50): "department" is listed twice`}},
		{"tags", "enrollments: [{number: '1', api_key: a}]\nusage_details: {tags: {a: 'bad label', b: billing_period, c: department, d: x, e: x}}", []string{
			`usage_details.tags["a"] (line 2, column 27): "bad label" is not a valid label name`,
			`usage_details.tags["b"] (line 2, column 43): label "billing_period" is reserved`,
			`usage_details.tags["c"] (line 2, column 62): label "department" is reserved`,
			`usage_details.tags["e"] (line 2, column 83): label "x" is already used by usage_details.tags["d"]`}},
		{"max series", "enrollments: [{number: '1', api_key: a}]\nusage_details: {max_series: -5}", []string{"usage_details.max_series (line 2, column 29): -5 must be positive"}},
		{"usage source", ea("usage_details: {source: xml}"), []string{`usage_details.source (line 2, column 25): "xml" is not a usage source (json, csv_download, csv_report)`}},
		{"budgets", "enrollments: [{number: '1', api_key: a}]\nbudgets: [{name: a, enrollment: '2', amount: 0, match: {resource_group: x, colour: y}}, {name: a, enrollment: '1', amount: 1}, {enrollment: '1', amount: 1}, {name: d, amount: .nan}]", []string{
			`budgets[0].enrollment (line 2, column 33): "2" is not a configured enrollment (configured: "1")`,
			"budgets[0].amount (line 2, column 46): 0 must be positive",
			`budgets[0].match.resource_group (line 2, column 57): "resource_group" is not one of usage_details.dimensions`,
			"budgets[0].match.colour (line 2, column 76): not a usage dimension or configured tag label",
			`budgets[1].name (line 2, column 96): "a" is already used by budgets[0]`,
			"budgets[2].name (line 2, column 128): required",
			"budgets[3].enrollment (line 2, column 158): required",
			"budgets[3].amount (line 2, column 176): must be a finite number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(tc.yaml, nil)
			checkProblems(t, err, tc.want)
		})
	}
}

// TestNumbers: a number YAML cannot hold is out of range, not "not a number".
func TestNumbers(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"huge float periods", "enrollments: [{number: '1', api_key: a, billing_periods: 1e400}]", "enrollments[0].billing_periods (line 1, column 58): 1e400 is out of range"},
		{"huge int periods", "enrollments: [{number: '1', api_key: a, billing_periods: 99999999999999999999}]", "enrollments[0].billing_periods (line 1, column 58): 99999999999999999999 is out of range"},
		{"fraction", "enrollments: [{number: '1', api_key: a, billing_periods: 2.5}]", "enrollments[0].billing_periods (line 1, column 58): 2.5 is not a whole number"},
		{"huge amount", ea("budgets: [{name: a, enrollment: '1', amount: 1e400}]"), "budgets[0].amount (line 2, column 46): 1e400 is out of range"},
		{"infinite amount", ea("budgets: [{name: a, enrollment: '1', amount: .inf}]"), "budgets[0].amount (line 2, column 46): must be a finite number"},
		{"huge max series", ea("usage_details: {max_series: 1e400}"), "usage_details.max_series (line 2, column 29): 1e400 is out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(tc.yaml, nil)
			checkProblems(t, err, []string{tc.want})
		})
	}
	// Whole numbers in any YAML notation are fine.
	cfg, _, err := parse("enrollments: [{number: '1', api_key: a, billing_periods: 0x10}]\nbudgets: [{name: a, enrollment: '1', amount: 1_000.5}]", nil)
	if err != nil || cfg.Enrollments[0].TrackedPeriods != 16 || cfg.Budgets[0].Amount != 1000.5 {
		t.Errorf("%v %v", cfg, err)
	}
}

// TestSyntaxErrors: a syntax error points at the line at fault, not at the
// start of the block around it.
func TestSyntaxErrors(t *testing.T) {
	const head = "enrollments:\n  - number: \"1\"\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unclosed flow", "enrollments: [", "line 1: not valid YAML: "},
		{"tab indent", "enrollments:\n\t- number: \"1\"\n", "line 2, column 1: tab used for indentation; YAML allows only spaces"},
		{"tab in a nested block", head + "    api_key: x\nreports:\n  usage_details:\n    interval: 1h\n\tenabled: true\n", "line 7, column 1: tab used for indentation; YAML allows only spaces"},
		{"tab after spaces", head + "  \tapi_key: x\n", "line 3, column 3: tab used for indentation; YAML allows only spaces"},
		{"over-indented key", head + "     api_key: x\n", "line 3: not valid YAML: did not find expected key (is this line indented like the keys it belongs with?)"},
		{"under-indented key", head + "    api_key: x\nreports:\n  usage_details:\n    interval: 1h\n   enabled: true\n", "line 7: not valid YAML: did not find expected key"},
		{"misaligned item", head + "    api_key: x\n - number: \"2\"\n", "line 4: not valid YAML: did not find expected key"},
		{"item and key", head + "    api_key: x\nreports:\n  - usage_details\n  b: 1\n", "line 6: not valid YAML: did not find expected '-' indicator"},
		{"unclosed mapping", head + "    api_key: x\nreports:\n  usage_details: {interval: 1h\n  balance_summary: {}\n", "line 5: not valid YAML: did not find expected ',' or '}' (a { mapping is not closed)"},
		{"first line", "enrollments: a: b\n", "line 1: not valid YAML: mapping values are not allowed in this context"},
		{"unclosed quote", head + "    api_key: 'x\nreports: {}\n", "line 3: not valid YAML: found unexpected end of stream (a quote is not closed)"},
		{"at sign", head + "    api_key: x\n\n\nbudgets: @x\n", "line 6: not valid YAML: found character that cannot start any token"},
		{"unknown anchor", head + "    api_key: x\nbudgets: [*b]\n", "line 4: not valid YAML: unknown anchor 'b' referenced"},
		{"second document", head + "    api_key: x\n---\nbudgets: []\n", "line 4, column 1: a second YAML document (after ---): the configuration is one document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(tc.yaml, nil)
			checkProblems(t, err, []string{tc.want})
		})
	}
	// A tab that YAML allows (after a value's indentation) is no problem.
	if _, _, err := parse("enrollments:\n  - number: \"1\"\n    api_key:\tx\n", nil); err != nil {
		t.Errorf("tab as separator: %v", err)
	}
}

// TestFileOrder: problems found by decoding and by validation come out in
// the order of the file.
func TestFileOrder(t *testing.T) {
	y := `budgets:
  - name: a
    enrollment: "9"
    amount: 1
enrollments:
  - number: "1"
    api_key: a
    colour: red
  - number: x
    api_key: b
reports:
  usage_details: { interval: 1ms }
`
	_, _, err := parse(y, nil)
	checkProblems(t, err, []string{
		`budgets[0].enrollment (line 3, column 17): "9" is not a configured enrollment`,
		"enrollments[0].colour (line 8, column 5): unknown key",
		`enrollments[1].number (line 9, column 13): "x" is not an enrollment number`,
		"reports.usage_details.interval (line 12, column 30): 1ms is below the 1m floor",
	})
}

func TestIntervals(t *testing.T) {
	for _, tc := range []struct {
		name, reports string
		errs, warns   []string
	}{
		{"defaults", "{}", nil, nil},
		{"floor", "{usage_details: {interval: 1ms}}", []string{
			"reports.usage_details.interval (line 2, column 37): 1ms is below the 1m floor: each refresh is a request to the API (a usage download is many); set allow_short_interval: true in reports.usage_details to poll this often on purpose"}, nil},
		{"floor, disabled report", "{price_sheet: {enabled: false, interval: 30s}}", []string{"reports.price_sheet.interval (line 2, column 51): 30s is below the 1m floor"}, nil},
		{"allowed", "{usage_details: {interval: 100ms, allow_short_interval: true}}", nil, []string{
			"reports.usage_details.interval (line 2, column 37): 100ms is below the 1m floor, allowed by allow_short_interval: do not point this at Azure"}},
		{"allowed above the floor", "{usage_details: {interval: 2m, allow_short_interval: true}}", nil, nil},
		{"at the floor", "{balance_summary: {interval: 1m}}", nil, []string{
			"reports.balance_summary.interval (line 2, column 39): 1m is shorter than the data changes: EA cost data is refreshed a few times a day at most, so polling balance_summary more often than every 5m adds requests"}},
		{"at the recommendation", "{balance_summary: {interval: 5m}, billing_periods: {interval: 1h}, price_sheet: {enabled: true, interval: 1h}}", nil, nil},
		{"below the recommendation", "{billing_periods: {interval: 30m}, price_sheet: {enabled: true, interval: 59m}, reservation_charges: {interval: 4m}}", nil, []string{
			"reports.billing_periods.interval (line 2, column 39): 30m is shorter than the data changes",
			"reports.price_sheet.interval (line 2, column 84): 59m is shorter than the data changes",
			"reports.reservation_charges.interval (line 2, column 122): 4m is shorter than the data changes"}},
		{"below the recommendation, disabled", "{price_sheet: {interval: 10m}}", nil, nil},
		{"allow is a bool", "{usage_details: {interval: 1s, allow_short_interval: yes please}}", []string{
			"reports.usage_details.interval (line 2, column 37): 1s is below the 1m floor",
			`reports.usage_details.allow_short_interval (line 2, column 63): "yes please" is not true or false`,
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := parse(ea("reports: "+tc.reports), nil)
			if tc.errs == nil && err != nil {
				t.Fatal(err)
			}
			if tc.errs != nil {
				checkProblems(t, err, tc.errs)
			}
			checkWarnings(t, warnings, tc.warns)
		})
	}
}

func TestDisabledReportWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		want        []string
	}{
		{"billing periods", "reports: {billing_periods: {enabled: false}}", []string{
			"reports.billing_periods.enabled (line 2, column 38): billing_periods is disabled: azure_ea_billing_period_current and the billing period start and end series are not exported, so alert rules and dashboard panels built on them go empty"}},
		{"balance summary", "reports: {balance_summary: {enabled: false}}", []string{
			"reports.balance_summary.enabled (line 2, column 38): balance_summary is disabled: azure_ea_enrollment_info (the currency) and the azure_ea_balance_* series are not exported"}},
		{"usage without budgets", "reports: {usage_details: {enabled: false}}", nil},
		{"usage with budgets", "reports: {usage_details: {enabled: false}}\nbudgets: [{name: a, enrollment: '1', amount: 1}]", []string{
			"reports.usage_details.enabled (line 2, column 36): usage_details is disabled: azure_ea_budget_spent of the configured budgets counts marketplace charges only"}},
		{"usage and marketplace with budgets", "reports: {usage_details: {enabled: false}, marketplace_charges: {enabled: false}}\nbudgets: [{name: a, enrollment: '1', amount: 1}]", []string{
			"reports.usage_details.enabled (line 2, column 36): usage_details and marketplace_charges are disabled: azure_ea_budget_spent of the configured budgets is not exported"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := parse(ea(tc.extra), nil)
			if err != nil {
				t.Fatal(err)
			}
			checkWarnings(t, warnings, tc.want)
		})
	}
}

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct {
		url, err, warn string
	}{
		{url: "https://consumption.azure.com"},
		{url: "https://consumption.azure.com/"},
		{url: "https://consumption.azure.com:8443"},
		{url: "http://127.0.0.1:9999/"},
		{url: "http://localhost:9999"},
		{url: "http://[::1]:9999"},
		{url: "http://proxy.example", warn: "plain http sends the API key unencrypted"},
		{url: "https://consumption.azure.com/v3/enrollments", err: `"https://consumption.azure.com/v3/enrollments" must be a scheme and host[:port] only, like https://consumption.azure.com; remove the path "/v3/enrollments"`},
		{url: "https://consumption.azure.com//", err: `remove the path "//"`},
		{url: "https://consumption.azure.com/?x=1", err: "remove a query"},
		{url: "https://consumption.azure.com?", err: "remove a query"},
		{url: "https://consumption.azure.com/#top", err: "remove a fragment"},
		{url: "https://user:pw@consumption.azure.com", err: "remove user information"},
		{url: "ftp://consumption.azure.com", err: "is not an absolute http or https URL"},
		{url: "https://", err: "is not an absolute http or https URL"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, warnings, err := parse("enrollments: [{number: '1', api_key: '"+goodKey+"', base_url: '"+tc.url+"'}]", nil)
			if tc.err == "" && err != nil {
				t.Fatal(err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), "enrollments[0].base_url (line 1, column ") || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("err = %v, want %s", err, tc.err)
			}
			if tc.warn == "" && len(warnings) != 0 || tc.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.warn)) {
				t.Errorf("warnings %q, want %q", warnings, tc.warn)
			}
		})
	}
}

// testFiles writes files into a temporary directory.
type testFiles struct {
	t   *testing.T
	dir string
}

func newFiles(t *testing.T) *testFiles { return &testFiles{t, t.TempDir()} }

func (f *testFiles) write(name string, b []byte, mode os.FileMode) string {
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, b, mode); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // whatever the umask
		f.t.Fatal(err)
	}
	return p
}

// certPEM returns a self-signed certificate valid from notBefore to
// notAfter with its key, in PEM, the key encoded as keyType says.
func certPEM(t *testing.T, notBefore, notAfter time.Time, keyType string) []byte {
	t.Helper()
	var (
		signer   any
		pub      any
		keyBlock *pem.Block
	)
	switch keyType {
	case "RSA PRIVATE KEY", "PKCS8 RSA":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		signer, pub = k, &k.PublicKey
		if keyType == "RSA PRIVATE KEY" {
			keyBlock = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
		} else {
			b, _ := x509.MarshalPKCS8PrivateKey(k)
			keyBlock = &pem.Block{Type: "PRIVATE KEY", Bytes: b}
		}
	default:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		signer, pub = k, &k.PublicKey
		if keyType == "EC PRIVATE KEY" {
			b, _ := x509.MarshalECPrivateKey(k)
			keyBlock = &pem.Block{Type: "EC PRIVATE KEY", Bytes: b}
		} else {
			b, _ := x509.MarshalPKCS8PrivateKey(k)
			keyBlock = &pem.Block{Type: "PRIVATE KEY", Bytes: b}
		}
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "azure_ea_exporter"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(keyBlock)...)
}

const (
	tenant = "00000000-0000-0000-0000-000000000000"
	client = "11111111-1111-1111-1111-111111111111"
)

// arm is a one-enrollment source: arm configuration with the given keys.
func arm(keys string) string {
	return "enrollments:\n  - number: \"1234567\"\n    source: arm\n" + keys
}

func TestARM(t *testing.T) {
	f := newFiles(t)
	secretFile := f.write("arm.secret", []byte("s3cret-from-file\n"), 0o600)
	certExp := testNow.Add(300 * 24 * time.Hour).Truncate(time.Second)
	pemBytes := certPEM(t, testNow.Add(-time.Hour), certExp, "PKCS8 EC")
	certFile := f.write("arm.pem", pemBytes, 0o400)
	ids := "    tenant_id: " + tenant + "\n    client_id: " + client + "\n"

	t.Run("client secret file", func(t *testing.T) {
		cfg, warnings, err := parse(arm(ids+"    client_secret_file: "+secretFile+"\n    client_secret_expiry: 2027-05-01\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		checkWarnings(t, warnings, nil)
		e := cfg.Enrollments[0]
		if e.SourceKind() != SourceARM || e.ClientSecret() != "s3cret-from-file" || e.ARMCredential() != CredentialClientSecret || e.Key() != "" {
			t.Errorf("%v", e)
		}
		want := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
		if !e.SecretExpiry().Equal(want) {
			t.Errorf("secret expiry %v", e.SecretExpiry())
		}
		if kind, exp, ok := e.CredentialExpiry(); kind != billing.CredentialClientSecret || !ok || !exp.Equal(want) {
			t.Errorf("credential expiry %s %v %v", kind, exp, ok)
		}
		// The public cloud's endpoints are the defaults.
		if e.Cloud != "public" || e.ARMEndpoint != "https://management.azure.com" || e.AuthorityHost != "https://login.microsoftonline.com/" || e.BaseURL != "" {
			t.Errorf("defaults %v", e)
		}
	})
	t.Run("client secret env, RFC 3339 expiry, china", func(t *testing.T) {
		cfg, warnings, err := parse(arm(ids+"    client_secret_env: ARM_SECRET\n    client_secret_expiry: \"2027-05-01T10:30:00+02:00\"\n    cloud: china\n"), map[string]string{"ARM_SECRET": " s3cret-from-env "})
		if err != nil {
			t.Fatal(err)
		}
		checkWarnings(t, warnings, nil)
		e := cfg.Enrollments[0]
		if e.ClientSecret() != "s3cret-from-env" || !e.SecretExpiry().Equal(time.Date(2027, 5, 1, 8, 30, 0, 0, time.UTC)) {
			t.Errorf("%v", e)
		}
		if e.ARMEndpoint != "https://management.chinacloudapi.cn" || e.AuthorityHost != "https://login.chinacloudapi.cn/" {
			t.Errorf("china endpoints %v", e)
		}
	})
	t.Run("client certificate", func(t *testing.T) {
		cfg, warnings, err := parse(arm(ids+"    client_certificate_file: "+certFile+"\n    cloud: us_government\n    arm_endpoint: http://127.0.0.1:8443\n    authority_host: https://127.0.0.1:8444/\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		checkWarnings(t, warnings, nil)
		e := cfg.Enrollments[0]
		if string(e.ClientCertificatePEM()) != string(pemBytes) || !e.CertificateExpiry().Equal(certExp) || e.ARMCredential() != CredentialClientCertificate {
			t.Errorf("certificate %v", e.CertificateExpiry())
		}
		if kind, exp, ok := e.CredentialExpiry(); kind != billing.CredentialClientCert || !ok || !exp.Equal(certExp) {
			t.Errorf("credential expiry %s %v %v", kind, exp, ok)
		}
		if e.ARMEndpoint != "http://127.0.0.1:8443" || e.AuthorityHost != "https://127.0.0.1:8444/" {
			t.Errorf("overrides %v", e)
		}
	})
	for _, kt := range []string{"RSA PRIVATE KEY", "PKCS8 RSA", "EC PRIVATE KEY", "PKCS8 EC"} {
		t.Run("key "+kt, func(t *testing.T) {
			p := f.write("k.pem", certPEM(t, testNow.Add(-time.Hour), certExp, kt), 0o600)
			if _, _, err := parse(arm(ids+"    client_certificate_file: "+p+"\n"), nil); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("certificate with its chain", func(t *testing.T) {
		ca := certPEM(t, testNow.Add(-time.Hour), testNow.Add(time.Hour), "PKCS8 EC")
		caCert := ca[:strings.Index(string(ca), "-----BEGIN PRIVATE KEY")]
		// The key first, then another certificate, then the key's own.
		leaf := certPEM(t, testNow.Add(-time.Hour), certExp, "EC PRIVATE KEY")
		i := strings.Index(string(leaf), "-----BEGIN EC PRIVATE KEY")
		p := f.write("chain.pem", append(append(append([]byte{}, leaf[i:]...), caCert...), leaf[:i]...), 0o600)
		cfg, warnings, err := parse(arm(ids+"    client_certificate_file: "+p+"\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		// The leaf's expiry, not the other certificate's (which would warn).
		checkWarnings(t, warnings, nil)
		if !cfg.Enrollments[0].CertificateExpiry().Equal(certExp) {
			t.Errorf("expiry %v", cfg.Enrollments[0].CertificateExpiry())
		}
	})
	t.Run("workload identity", func(t *testing.T) {
		cfg, warnings, err := parse(arm(ids+"    workload_identity: true\n"), map[string]string{"AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/token"})
		if err != nil {
			t.Fatal(err)
		}
		checkWarnings(t, warnings, nil)
		if e := cfg.Enrollments[0]; e.ARMCredential() != CredentialWorkloadIdentity {
			t.Errorf("%v", e)
		} else if kind, _, ok := e.CredentialExpiry(); kind != "" || ok {
			t.Errorf("credential expiry %s %v", kind, ok)
		}
	})
	t.Run("system-assigned managed identity", func(t *testing.T) {
		cfg, warnings, err := parse(arm("    tenant_id: "+tenant+"\n    managed_identity: true\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		checkWarnings(t, warnings, nil)
		if e := cfg.Enrollments[0]; e.ARMCredential() != CredentialManagedIdentity || e.ClientID != "" {
			t.Errorf("%v", e)
		}
	})
	t.Run("user-assigned managed identity", func(t *testing.T) {
		cfg, _, err := parse(arm(ids+"    managed_identity: true\n"), nil)
		if err != nil || cfg.Enrollments[0].ClientID != client {
			t.Fatal(err)
		}
	})
	t.Run("ea and arm, usage source", func(t *testing.T) {
		y := "enrollments:\n  - {number: '1', api_key: '" + goodKey + "'}\n  - {number: '2', source: arm, tenant_id: " + tenant + ", managed_identity: true}\nusage_details: {source: csv_report}\n"
		cfg, warnings, err := parse(y, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkWarnings(t, warnings, nil)
		if cfg.UsageDetails.Source != UsageSourceCSVReport || cfg.Enrollments[0].SourceKind() != SourceEA || cfg.Enrollments[1].SourceKind() != SourceARM {
			t.Errorf("%+v", cfg)
		}
	})
}

func TestARMErrors(t *testing.T) {
	f := newFiles(t)
	secretFile := f.write("arm.secret", []byte("s3cret"), 0o600)
	emptyFile := f.write("empty", []byte(" \n"), 0o600)
	good := certPEM(t, testNow.Add(-time.Hour), testNow.Add(300*24*time.Hour), "PKCS8 EC")
	cut := strings.Index(string(good), "-----BEGIN PRIVATE KEY")
	certOnly := f.write("cert-only.pem", good[:cut], 0o600)
	keyOnly := f.write("key-only.pem", good[cut:], 0o600)
	other := certPEM(t, testNow.Add(-time.Hour), testNow.Add(300*24*time.Hour), "PKCS8 EC")
	mismatched := f.write("mismatched.pem", append(append([]byte{}, good[:cut]...), other[strings.Index(string(other), "-----BEGIN PRIVATE KEY"):]...), 0o600)
	encrypted := f.write("encrypted.pem", append(append([]byte{}, good[:cut]...), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"...), 0o600)
	goodCert := f.write("ok.pem", good, 0o600)
	garbage := f.write("garbage.pem", []byte("not a PEM file\n"), 0o600)
	badCert := f.write("bad-cert.pem", append([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), good[cut:]...), 0o600)
	ids := "    tenant_id: " + tenant + "\n    client_id: " + client + "\n"
	secret := "    client_secret_file: " + secretFile + "\n"

	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"no credential", arm(ids), []string{"enrollments[0] (line 2, column 5): exactly one of client_secret_file, client_secret_env, client_certificate_file, workload_identity: true, managed_identity: true is required"}},
		{"identity false", arm(ids + "    workload_identity: false\n"), []string{"enrollments[0] (line 2, column 5): exactly one of client_secret_file"}},
		{"two credentials", arm(ids + secret + "    managed_identity: true\n"), []string{
			"enrollments[0] (line 2, column 5): exactly one of client_secret_file, client_secret_env, client_certificate_file, workload_identity: true, managed_identity: true is required (got client_secret_file and managed_identity)"}},
		{"no tenant", arm("    client_id: " + client + "\n" + secret), []string{"enrollments[0].tenant_id (line 2, column 5): required for source: arm"}},
		{"bad tenant", arm("    tenant_id: contoso.onmicrosoft.com\n    client_id: " + client + "\n" + secret), []string{
			`enrollments[0].tenant_id (line 4, column 16): "contoso.onmicrosoft.com" is not a GUID (like 00000000-0000-0000-0000-000000000000)`}},
		{"no client id", arm("    tenant_id: " + tenant + "\n" + secret), []string{"enrollments[0].client_id (line 2, column 5): required for source: arm"}},
		{"no client id for workload identity", arm("    tenant_id: " + tenant + "\n    workload_identity: true\n"), []string{"enrollments[0].client_id (line 2, column 5): required for source: arm"}},
		{"bad client id", arm("    tenant_id: " + tenant + "\n    client_id: 1111\n" + secret), []string{`enrollments[0].client_id (line 5, column 16): "1111" is not a GUID`}},
		{"ea keys", arm(ids + secret + "    api_key: x\n    base_url: https://consumption.azure.com\n"), []string{
			"enrollments[0].api_key (line 7, column 5): api_key is only for source: ea (an EA API key); this enrollment is source: arm",
			"enrollments[0].base_url (line 8, column 5): base_url is only for source: ea (arm_endpoint overrides the Resource Manager endpoint); this enrollment is source: arm"}},
		{"arm keys in ea", "enrollments:\n  - number: '1'\n    api_key: '" + goodKey + "'\n    tenant_id: " + tenant + "\n    workload_identity: false\n    cloud: public\n", []string{
			"enrollments[0].tenant_id (line 4, column 5): tenant_id is only for source: arm (this enrollment is source: ea, the EA Reporting API)",
			"enrollments[0].workload_identity (line 5, column 5): workload_identity is only for source: arm",
			"enrollments[0].cloud (line 6, column 5): cloud is only for source: arm"}},
		{"arm keys in explicit ea", "enrollments: [{number: '1', source: ea, api_key: '" + goodKey + "', client_secret_env: X}]", []string{
			"enrollments[0].client_secret_env (line 1, column 120): client_secret_env is only for source: arm"}},
		{"bad source", "enrollments: [{number: '1', source: azure, api_key: a}]", []string{`enrollments[0].source (line 1, column 37): "azure" is not a source (ea or arm)`}},
		{"bad cloud", arm(ids + secret + "    cloud: germany\n"), []string{`enrollments[0].cloud (line 7, column 12): "germany" is not a cloud (china, public, us_government)`}},
		{"http endpoint", arm(ids + secret + "    arm_endpoint: http://management.example\n"), []string{
			`enrollments[0].arm_endpoint (line 7, column 19): "http://management.example": plain http would send the credential and its tokens unencrypted; use https (http is accepted for loopback test servers only)`}},
		{"authority with a path", arm(ids + secret + "    authority_host: https://login.microsoftonline.com/" + tenant + "\n"), []string{
			`enrollments[0].authority_host (line 7, column 21): "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000" must be a scheme and host[:port] only`}},
		{"secret expiry with a certificate", arm(ids + "    client_certificate_file: " + goodCert + "\n    client_secret_expiry: 2027-01-01\n"), []string{
			"enrollments[0].client_secret_expiry (line 7, column 5): only with client_secret_file or client_secret_env (a certificate's expiry is read from the certificate)"}},
		{"bad secret expiry", arm(ids + secret + "    client_secret_expiry: next year\n"), []string{
			`enrollments[0].client_secret_expiry (line 7, column 27): "next year" is not a date or time (like 2026-05-01 or 2026-05-01T12:00:00Z)`}},
		{"secret env unset", arm(ids + "    client_secret_env: ARM_SECRET\n"), []string{"enrollments[0].client_secret_env (line 6, column 24): environment variable ARM_SECRET is not set or empty"}},
		{"secret file missing", arm(ids + "    client_secret_file: /nonexistent/secret\n"), []string{"enrollments[0].client_secret_file (line 6, column 25): /nonexistent/secret: no such file or directory"}},
		{"secret file empty", arm(ids + "    client_secret_file: " + emptyFile + "\n"), []string{"enrollments[0].client_secret_file (line 6, column 25): " + emptyFile + " is empty"}},
		{"certificate missing", arm(ids + "    client_certificate_file: /nonexistent/cert.pem\n"), []string{"enrollments[0].client_certificate_file (line 6, column 30): /nonexistent/cert.pem: no such file or directory"}},
		{"certificate empty", arm(ids + "    client_certificate_file: " + emptyFile + "\n"), []string{"enrollments[0].client_certificate_file (line 6, column 30): " + emptyFile + " is empty"}},
		{"not PEM", arm(ids + "    client_certificate_file: " + garbage + "\n"), []string{"enrollments[0].client_certificate_file (line 6, column 30): " + garbage + " holds no PEM certificate or private key"}},
		{"no private key", arm(ids + "    client_certificate_file: " + certOnly + "\n"), []string{"enrollments[0].client_certificate_file (line 6, column 30): " + certOnly + " holds no private key"}},
		{"no certificate", arm(ids + "    client_certificate_file: " + keyOnly + "\n"), []string{"enrollments[0].client_certificate_file (line 6, column 30): " + keyOnly + " holds no certificate"}},
		{"mismatched key", arm(ids + "    client_certificate_file: " + mismatched + "\n"), []string{"enrollments[0].client_certificate_file (line 6, column 30): " + mismatched + ": no certificate matches the private key"}},
		{"encrypted key", arm(ids + "    client_certificate_file: " + encrypted + "\n"), []string{"enrollments[0].client_certificate_file (line 6, column 30): " + encrypted + ": the private key is encrypted"}},
		{"bad certificate", arm(ids + "    client_certificate_file: " + badCert + "\n"), []string{"enrollments[0].client_certificate_file (line 6, column 30): " + badCert + ": certificate: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(tc.yaml, nil)
			checkProblems(t, err, tc.want)
		})
	}
}

func TestCredentialWarnings(t *testing.T) {
	f := newFiles(t)
	secretFile := f.write("arm.secret", []byte("s3cret"), 0o600)
	cert := func(name string, notBefore, notAfter time.Time) string {
		return f.write(name, certPEM(t, notBefore, notAfter, "PKCS8 EC"), 0o600)
	}
	day := 24 * time.Hour
	ids := "    tenant_id: " + tenant + "\n    client_id: " + client + "\n"
	eaKey := func(k string) string { return "enrollments: [{number: '1', api_key: '" + k + "'}]" }
	for _, tc := range []struct {
		name, yaml string
		env        map[string]string
		want       []string
	}{
		{"key not a JWT", eaKey("plain-key"), nil, []string{
			"enrollments[0].api_key (line 1, column 38): expiry unknown: the key is not a JWT, azure_ea_api_key_expiry_timestamp_seconds will be absent"}},
		{"key without exp", eaKey(jwt(map[string]any{"iss": "ea.microsoftazure.com"})), nil, []string{
			"enrollments[0].api_key (line 1, column 38): expiry unknown: the key has no exp claim, azure_ea_api_key_expiry_timestamp_seconds will be absent"}},
		{"key expired", eaKey(key(testNow.Add(-3 * day))), nil, []string{
			"enrollments[0].api_key (line 1, column 38): the API key expired on 2026-11-25 12:00 UTC (3 days ago) and will be refused; generate a new key in the Azure EA portal"}},
		{"key expires soon", eaKey(key(testNow.Add(5*day + time.Hour))), nil, []string{
			"enrollments[0].api_key (line 1, column 38): the API key expires on 2026-12-03 13:00 UTC (in 5 days); generate a new key in the Azure EA portal"}},
		{"key expires in hours", eaKey(key(testNow.Add(5 * time.Hour))), nil, []string{
			"enrollments[0].api_key (line 1, column 38): the API key expires on 2026-11-28 17:00 UTC (in 5 hours)"}},
		{"key expires within the warning", eaKey(key(testNow.Add(ExpiryWarning - time.Minute))), nil, []string{"enrollments[0].api_key (line 1, column 38): the API key expires on"}},
		{"key expires after the warning", eaKey(key(testNow.Add(ExpiryWarning + time.Minute))), nil, nil},
		{"env key expired", "enrollments: [{number: '1', api_key_env: K}]", map[string]string{"K": key(testNow.Add(-time.Minute))}, []string{
			"enrollments[0].api_key_env (line 1, column 42): the API key expired on 2026-11-28 11:59 UTC (a minute or less ago)"}},
		{"certificate expired", arm(ids + "    client_certificate_file: " + cert("old.pem", testNow.Add(-400*day), testNow.Add(-2*day)) + "\n"), nil, []string{
			"enrollments[0].client_certificate_file (line 6, column 30): the certificate expired on 2026-11-26 12:00 UTC (2 days ago) and will be refused; upload a new certificate to the app registration in Entra ID"}},
		{"certificate expires soon", arm(ids + "    client_certificate_file: " + cert("soon.pem", testNow.Add(-400*day), testNow.Add(10*day)) + "\n"), nil, []string{
			"enrollments[0].client_certificate_file (line 6, column 30): the certificate expires on 2026-12-08 12:00 UTC (in 10 days)"}},
		{"certificate not yet valid", arm(ids + "    client_certificate_file: " + cert("future.pem", testNow.Add(day), testNow.Add(400*day)) + "\n"), nil, []string{
			"enrollments[0].client_certificate_file (line 6, column 30): the certificate is not valid before 2026-11-29 12:00 UTC"}},
		{"secret expired", arm(ids + "    client_secret_file: " + secretFile + "\n    client_secret_expiry: 2026-11-01\n"), nil, []string{
			"enrollments[0].client_secret_expiry (line 7, column 27): the client secret expired on 2026-11-01 00:00 UTC (27 days ago) and will be refused; add a new secret to the app registration in Entra ID"}},
		{"secret expires soon", arm(ids + "    client_secret_env: S\n    client_secret_expiry: 2026-12-01T00:00:00Z\n"), map[string]string{"S": "s"}, []string{
			"enrollments[0].client_secret_expiry (line 7, column 27): the client secret expires on 2026-12-01 00:00 UTC (in 2 days)"}},
		{"secret expiry unknown", arm(ids + "    client_secret_file: " + secretFile + "\n"), nil, []string{
			"enrollments[0].client_secret_file (line 6, column 25): expiry unknown: a secret's expiry cannot be read from the secret; set client_secret_expiry"}},
		{"workload identity without its token", arm(ids + "    workload_identity: true\n"), nil, []string{
			"enrollments[0].workload_identity (line 6, column 24): AZURE_FEDERATED_TOKEN_FILE is not set"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, warnings, err := parse(tc.yaml, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			checkWarnings(t, warnings, tc.want)
		})
	}
}

// TestClock: expiry is judged at the clock given, time.Now by default.
func TestClock(t *testing.T) {
	y := []byte("enrollments: [{number: '1', api_key: '" + key(time.Now().Add(-time.Hour)) + "'}]")
	if _, warnings, _ := Parse(y, env(nil)); len(warnings) != 1 || !strings.Contains(warnings[0], "expired") {
		t.Errorf("now: %q", warnings)
	}
	past := func() time.Time { return time.Now().Add(-30 * 24 * time.Hour) }
	if _, warnings, _ := ParseWithOptions(y, ParseOptions{Now: past}); len(warnings) != 0 {
		t.Errorf("a month ago: %q", warnings)
	}
}

func TestFilePermissions(t *testing.T) {
	f := newFiles(t)
	pemBytes := certPEM(t, testNow.Add(-time.Hour), testNow.Add(300*24*time.Hour), "PKCS8 EC")
	ids := "    tenant_id: " + tenant + "\n    client_id: " + client + "\n"
	for _, tc := range []struct {
		mode os.FileMode
		want string
	}{
		{0o600, ""}, {0o400, ""}, {0o440, ""}, {0o640, ""}, {0o660, ""},
		{0o644, "is readable by others (mode 0644); use 0600, 0400 or 0440"},
		{0o604, "is readable by others (mode 0604)"},
		{0o602, "is writable by others (mode 0602)"},
	} {
		for _, kind := range []struct{ name, yaml, content string }{
			{"api_key_file", "enrollments: [{number: '1', api_key_file: %s}]", goodKey},
			{"client_secret_file", arm(ids + "    client_secret_expiry: 2027-06-01\n    client_secret_file: %s\n"), "s3cret"},
			{"client_certificate_file", arm(ids + "    client_certificate_file: %s\n"), string(pemBytes)},
		} {
			t.Run(fmt.Sprintf("%s %04o", kind.name, tc.mode), func(t *testing.T) {
				p := f.write(kind.name, []byte(kind.content), tc.mode)
				_, warnings, err := parse(fmt.Sprintf(kind.yaml, p), nil)
				if err != nil {
					t.Fatal(err)
				}
				if tc.want == "" {
					checkWarnings(t, warnings, nil)
					return
				}
				if len(warnings) != 1 || !strings.Contains(warnings[0], "."+kind.name+" (line ") || !strings.Contains(warnings[0], p+" "+tc.want) {
					t.Errorf("warnings %q, want %q", warnings, tc.want)
				}
			})
		}
	}
}

func TestUsageSource(t *testing.T) {
	for _, s := range UsageSources {
		cfg, warnings, err := parse(ea("usage_details: {source: "+s+"}"), nil)
		if err != nil || cfg.UsageDetails.Source != s || len(warnings) != 0 {
			t.Errorf("%s: %v %q", s, err, warnings)
		}
	}
	// Only arm enrollments: a CSV source has no effect.
	_, warnings, err := parse("enrollments: [{number: '2', source: arm, tenant_id: "+tenant+", managed_identity: true}]\nusage_details: {source: csv_download}", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkWarnings(t, warnings, []string{"usage_details.source (line 2, column 25): csv_download has no effect: it applies to source: ea enrollments, and source: arm always reads the Cost Details report"})
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "100.key")
	first, second := key(testNow.Add(100*24*time.Hour)), key(testNow.Add(200*24*time.Hour))
	if err := os.WriteFile(keyPath, []byte(first+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	y := "enrollments: [{number: '100', api_key_file: " + keyPath + "}]"
	cfg, warnings, err := parse(y, nil)
	if err != nil || cfg.Enrollments[0].Key() != first || len(warnings) != 0 {
		t.Fatalf("%v %v %v", cfg, warnings, err)
	}
	digest := cfg.Enrollments[0].CredentialDigest()
	// Rotation: the file is read again on every load.
	if err := os.WriteFile(keyPath, []byte(second), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err = parse(y, nil)
	if err != nil || cfg.Enrollments[0].Key() != second {
		t.Fatalf("%v %v", cfg, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "is readable by others (mode 0644)") {
		t.Errorf("warnings %v", warnings)
	}
	if cfg.Enrollments[0].CredentialDigest() == digest {
		t.Error("the credential digest did not change with the key")
	}
	if err := os.WriteFile(keyPath, []byte("  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err = parse(y, nil); err == nil || !strings.Contains(err.Error(), "api_key_file (line 1, column 45): "+keyPath+" is empty") {
		t.Errorf("empty key file: %v", err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	f := newFiles(t)
	keyPath := f.write("k", []byte("file-secret-value"), 0o600)
	secretPath := f.write("s", []byte("arm-file-secret-value"), 0o600)
	pemBytes := certPEM(t, testNow.Add(-time.Hour), testNow.Add(300*24*time.Hour), "PKCS8 EC")
	certPath := f.write("c.pem", pemBytes, 0o600)
	y := "enrollments: [{number: '1', api_key: inline-secret-value}, {number: '2', api_key_file: " + keyPath + "}, {number: '3', api_key_env: E}, " +
		"{number: '4', source: arm, tenant_id: " + tenant + ", client_id: " + client + ", client_secret_file: " + secretPath + "}, " +
		"{number: '5', source: arm, tenant_id: " + tenant + ", client_id: " + client + ", client_secret_env: S}, " +
		"{number: '6', source: arm, tenant_id: " + tenant + ", client_id: " + client + ", client_certificate_file: " + certPath + "}]"
	cfg, _, err := parse(y, map[string]string{"E": "env-secret-value", "S": "arm-env-secret-value"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Enrollments[3].ClientSecret() != "arm-file-secret-value" || cfg.Enrollments[4].ClientSecret() != "arm-env-secret-value" {
		t.Fatal("secrets not resolved")
	}
	out := cfg.String()
	var printed []string
	for i := range cfg.Enrollments {
		printed = append(printed, fmt.Sprintf("%v|%+v|%s", cfg.Enrollments[i], &cfg.Enrollments[i], cfg.Enrollments[i]))
	}
	all := out + strings.Join(printed, "\n")
	keyBlock := string(pemBytes[strings.Index(string(pemBytes), "-----BEGIN PRIVATE KEY"):])
	for _, s := range []string{"inline-secret-value", "file-secret-value", "env-secret-value", "arm-file-secret-value", "arm-env-secret-value", "PRIVATE KEY", keyBlock[30:60]} {
		if strings.Contains(all, s) {
			t.Errorf("printed %q:\n%s", s, all)
		}
	}
	for _, s := range []string{"api_key: <secret>", "api_key_file: " + keyPath, "api_key_env: E", "client_secret_file: " + secretPath, "client_secret_env: S", "client_certificate_file: " + certPath} {
		if !strings.Contains(out, s) {
			t.Errorf("printed config lacks %q:\n%s", s, out)
		}
	}
	// The digest of the credentials tells them apart without showing them.
	digests := map[string]bool{}
	for i := range cfg.Enrollments {
		d := cfg.Enrollments[i].CredentialDigest()
		if len(d) != 64 {
			t.Errorf("digest %q", d)
		}
		digests[d] = true
	}
	if len(digests) != len(cfg.Enrollments) {
		t.Errorf("%d distinct digests of %d enrollments", len(digests), len(cfg.Enrollments))
	}
	// Printing the configuration does not clear what it holds.
	if cfg.Enrollments[0].Key() != "inline-secret-value" || cfg.Enrollments[3].ClientSecret() == "" || len(cfg.Enrollments[5].ClientCertificatePEM()) == 0 {
		t.Error("printing cleared a secret")
	}
}

func TestPrintedReports(t *testing.T) {
	cfg, _, err := parse(ea("reports: {usage_details: {interval: 2s, allow_short_interval: true}}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out := cfg.String(); !strings.Contains(out, "interval: 2s\n        allow_short_interval: true") || !strings.Contains(out, "source: json") {
		t.Errorf("printed:\n%s", out)
	}
	// The printed configuration loads as it is (secrets aside).
	back, _, err := parse(strings.Replace(cfg.String(), "<secret>", goodKey, 1), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, cfg.String())
	}
	if !reflect.DeepEqual(back.Reports.Get(UsageDetails), cfg.Reports.Get(UsageDetails)) {
		t.Errorf("round trip %+v", back.Reports.Get(UsageDetails))
	}
}

func TestPlainHTTPWarning(t *testing.T) {
	_, warnings, err := parse("enrollments: [{number: '1', api_key: '"+goodKey+"', base_url: 'http://proxy.example'}]", nil)
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "plain http sends the API key unencrypted") {
		t.Errorf("%v %v", warnings, err)
	}
}

// TestExampleConfig keeps config.example.yml loadable: it documents every option.
func TestExampleConfig(t *testing.T) {
	b, err := os.ReadFile("../config.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "100.key")
	_ = os.WriteFile(keyPath, []byte("k"), 0o600)
	secretPath := filepath.Join(dir, "arm.secret")
	_ = os.WriteFile(secretPath, []byte("s3cret"), 0o600)
	b = []byte(strings.ReplaceAll(string(b), "/etc/azure_ea_exporter/100.key", keyPath))
	b = []byte(strings.ReplaceAll(string(b), "/etc/azure_ea_exporter/arm.secret", secretPath))
	cfg, _, err := Parse(b, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Enrollments) != 2 || cfg.Enrollments[1].SourceKind() != SourceARM || cfg.Enrollments[1].ClientSecret() != "s3cret" {
		t.Errorf("example enrollments: %+v", cfg.Enrollments)
	}
	if len(cfg.Budgets) != 2 || cfg.Reports.Get(PriceSheet).Enabled || cfg.UsageDetails.Tags["CostCenter"] != "tag_cost_center" {
		t.Errorf("example: %+v", cfg)
	}
	// Every report and every top-level section appears in the example.
	for _, k := range append([]string{"enrollments:", "reports:", "usage_details:", "budgets:", "max_series:", "api_key_env:", "api_key:", "base_url:", "billing_periods:",
		"source: arm", "tenant_id:", "client_id:", "client_secret_file:", "client_secret_env:", "client_secret_expiry:", "client_certificate_file:",
		"workload_identity:", "managed_identity:", "cloud:", "arm_endpoint:", "authority_host:", "allow_short_interval", "source: json"}, ReportNames...) {
		if !strings.Contains(string(b), k) {
			t.Errorf("config.example.yml does not mention %s", k)
		}
	}
	for _, d := range UsageDimensions {
		if !strings.Contains(string(b), d) {
			t.Errorf("config.example.yml does not list dimension %s", d)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, _, err := Load("/nonexistent/azure_ea_exporter.yml"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadWithOptions(t *testing.T) {
	f := newFiles(t)
	p := f.write("c.yml", []byte("enrollments: [{number: '1', api_key_env: K}]"), 0o600)
	cfg, warnings, err := LoadWithOptions(p, ParseOptions{Getenv: env(map[string]string{"K": goodKey}), Now: func() time.Time { return testNow }})
	if err != nil || cfg.Enrollments[0].Key() != goodKey || len(warnings) != 0 {
		t.Errorf("%v %q %v", cfg, warnings, err)
	}
}

func TestProblemError(t *testing.T) {
	for _, tc := range []struct {
		p    Problem
		want string
	}{
		{Problem{Path: "a.b", Line: 3, Column: 13, Msg: "m"}, "a.b (line 3, column 13): m"},
		{Problem{Path: "a.b", Line: 3, Msg: "m"}, "a.b (line 3): m"},
		{Problem{Path: "a.b", Msg: "m"}, "a.b: m"},
		{Problem{Line: 3, Msg: "m"}, "line 3: m"},
		{Problem{Msg: "m"}, "m"},
	} {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/good.yml", "../config.example.yml"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte("enrollments: [{number: '1', api_key: a}]\nbudgets: [{name: x, enrollment: '1', amount: 1}]"))
	f.Add([]byte(arm("    tenant_id: " + tenant + "\n    managed_identity: true\n")))
	f.Add([]byte("enrollments:\n\t- number: 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, _, err := Parse(b, env(nil))
		if err == nil && len(cfg.Enrollments) == 0 {
			t.Fatal("accepted a configuration without enrollments")
		}
		if err == nil {
			_ = cfg.String()
		}
	})
}

func TestARMAPIVersions(t *testing.T) {
	base := "    tenant_id: " + tenant + "\n    managed_identity: true\n"
	cfg, _, err := parse(arm(base+"    arm_api_versions: { consumption: 2026-06-01, cost_management: 2025-03-01-preview }\n"), nil)
	if err != nil || cfg.Enrollments[0].ARMAPIVersions.Consumption != "2026-06-01" || cfg.Enrollments[0].ARMAPIVersions.CostManagement != "2025-03-01-preview" {
		t.Errorf("%+v %v", cfg, err)
	}
	_, _, err = parse(arm(base+"    arm_api_versions: { billing: latest }\n"), nil)
	if err == nil || !strings.Contains(err.Error(), `enrollments[0].arm_api_versions.billing (line 6, column 34): "latest" is not an api-version`) {
		t.Errorf("err = %v", err)
	}
	_, _, err = parse("enrollments: [{number: '1', api_key: '"+goodKey+"', arm_api_versions: { billing: 2024-04-01 }}]", nil)
	if err == nil || !strings.Contains(err.Error(), "arm_api_versions is only for source: arm") {
		t.Errorf("err = %v", err)
	}
}
