package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestGoodFile(t *testing.T) {
	b, err := os.ReadFile("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err := Parse(b, env(map[string]string{"TEST_EA_KEY": " env-key\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	e0, e1 := cfg.Enrollments[0], cfg.Enrollments[1]
	if e0.Key() != "inline-key" || e0.BaseURL != DefaultBaseURL || e0.BillingPeriods != DefaultBillingPeriods {
		t.Errorf("enrollment 0 defaults: %+v", e0)
	}
	if e1.Key() != "env-key" || e1.BaseURL != "http://127.0.0.1:9999/" || e1.BillingPeriods != 6 {
		t.Errorf("enrollment 1: %+v", e1)
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
	if strings.Join(cfg.UsageDetails.Dimensions, ",") != "department,meter_id" || cfg.UsageDetails.MaxSeries != 10 {
		t.Errorf("usage: %+v", cfg.UsageDetails)
	}
	if tl := cfg.UsageDetails.TagLabels(); len(tl) != 2 || tl[0] != [2]string{"CostCenter", "tag_cost_center"} {
		t.Errorf("tag labels %v", tl)
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
	// An explicit empty list means no dimensions: one series per period.
	cfg, _, err = Parse([]byte("enrollments: [{number: '1', api_key: k}]\nusage_details: {dimensions: []}"), env(nil))
	if err != nil || len(cfg.UsageDetails.Dimensions) != 0 {
		t.Errorf("empty dimensions: %v %v", cfg.UsageDetails.Dimensions, err)
	}
}

func TestBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"empty", ``, []string{"enrollments: at least one enrollment is required"}},
		{"not yaml", "enrollments: [", []string{"not valid YAML: "}},
		{"not a mapping", "- a\n- b", []string{"top level: want a mapping, got a list", "enrollments: at least one enrollment is required"}},
		{"no key", "enrollments: [{number: '1'}]", []string{"enrollments[0]: exactly one of api_key_file, api_key, api_key_env is required"}},
		{"two keys", "enrollments: [{number: '1', api_key: a, api_key_env: B}]", []string{"enrollments[0]: exactly one of api_key_file, api_key, api_key_env is required"}},
		{"unknown key", "enrollments: [{number: '1', api_key: a, apikey: b}]", []string{"enrollments[0].apikey: unknown key (line 1)"}},
		{"unknown top key", "enrollment: []", []string{"enrollment: unknown key (line 1)", "enrollments: at least one enrollment is required"}},
		{"duplicate key", "enrollments: [{number: '1', api_key: a}]\nbudgets: []\nbudgets: []", []string{"budgets: key given twice (line 3)"}},
		{"wrong type", "enrollments: [{number: '1', api_key: a, billing_periods: many}]", []string{"enrollments[0].billing_periods: cannot unmarshal !!str `many` into int (line 1)"}},
		{"list expected", "enrollments: {number: '1'}", []string{"enrollments: want a list, got a mapping"}},
		{"number", "enrollments: [{number: 'E-1', api_key: a}, {api_key: b}]", []string{
			`enrollments[0].number: "E-1" is not an enrollment number (digits only)`, "enrollments[1].number: required"}},
		{"duplicate enrollment", "enrollments: [{number: '1', api_key: a}, {number: '1', api_key: b}]", []string{`enrollments[1].number: "1" is already configured as enrollments[0]`}},
		{"env unset", "enrollments: [{number: '1', api_key_env: NOT_SET}]", []string{"enrollments[0].api_key_env: environment variable NOT_SET is not set or empty"}},
		{"key file missing", "enrollments: [{number: '1', api_key_file: /nonexistent/key}]", []string{"enrollments[0].api_key_file: /nonexistent/key: no such file or directory"}},
		{"base url", "enrollments: [{number: '1', api_key: a, base_url: 'consumption.azure.com'}]", []string{`enrollments[0].base_url: "consumption.azure.com" is not an absolute http or https URL`}},
		{"periods", "enrollments: [{number: '1', api_key: a, billing_periods: 37}]", []string{"enrollments[0].billing_periods: 37 is out of range 1..36"}},
		{"interval", "enrollments: [{number: '1', api_key: a}]\nreports: {usage_details: {interval: soon}, balance_summary: {interval: 0s}, nope: {}}", []string{
			"reports.nope: unknown key (line 2)", `reports.usage_details.interval: "soon" is not a duration (like 30s, 4h, 1d)`, "reports.balance_summary.interval: must be positive"}},
		{"enabled type", "enrollments: [{number: '1', api_key: a}]\nreports: {usage_details: {enabled: sometimes}}", []string{
			"reports.usage_details.enabled: cannot unmarshal !!str `sometimes` into bool (line 2)"}},
		{"dimensions", "enrollments: [{number: '1', api_key: a}]\nusage_details: {dimensions: [department, colour, department]}", []string{
			`usage_details.dimensions[1]: unknown dimension "colour"`, `usage_details.dimensions[2]: "department" is listed twice`}},
		{"tags", "enrollments: [{number: '1', api_key: a}]\nusage_details: {tags: {a: 'bad label', b: billing_period, c: department, d: x, e: x}}", []string{
			`usage_details.tags["a"]: "bad label" is not a valid label name`,
			`usage_details.tags["b"]: label "billing_period" is reserved`,
			`usage_details.tags["c"]: label "department" is reserved`,
			`usage_details.tags["e"]: label "x" is already used by usage_details.tags["d"]`}},
		{"max series", "enrollments: [{number: '1', api_key: a}]\nusage_details: {max_series: -5}", []string{"usage_details.max_series: must be positive"}},
		{"budgets", "enrollments: [{number: '1', api_key: a}]\nbudgets: [{name: a, enrollment: '2', amount: 0, match: {resource_group: x, colour: y}}, {name: a, enrollment: '1', amount: 1}, {enrollment: '1', amount: 1}]", []string{
			`budgets[0].enrollment: "2" is not a configured enrollment`, "budgets[0].amount: must be positive",
			"budgets[0].match.colour: not a usage dimension or configured tag label",
			`budgets[0].match.resource_group: "resource_group" is not one of usage_details.dimensions`,
			`budgets[1].name: "a" is already used by budgets[0]`, "budgets[2].name: required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tc.yaml), env(nil))
			if err == nil {
				t.Fatal("no error")
			}
			var problems Problems
			if !asProblems(err, &problems) {
				t.Fatalf("error %T is not Problems", err)
			}
			if len(problems) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(problems), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%s", w, err)
				}
			}
		})
	}
}

func asProblems(err error, p *Problems) bool {
	pp, ok := err.(Problems)
	*p = pp
	return ok
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "100.key")
	if err := os.WriteFile(key, []byte("first-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	y := []byte("enrollments: [{number: '100', api_key_file: " + key + "}]")
	cfg, warnings, err := Parse(y, env(nil))
	if err != nil || cfg.Enrollments[0].Key() != "first-key" || len(warnings) != 0 {
		t.Fatalf("%v %v %v", cfg, warnings, err)
	}
	// Rotation: the file is read again on every load.
	if err := os.WriteFile(key, []byte("second-key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err = Parse(y, env(nil))
	if err != nil || cfg.Enrollments[0].Key() != "second-key" {
		t.Fatalf("%v %v", cfg, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "is readable by others (mode 0644)") {
		t.Errorf("warnings %v", warnings)
	}
	if err := os.WriteFile(key, []byte("  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err = Parse(y, env(nil)); err == nil || !strings.Contains(err.Error(), "api_key_file: "+key+" is empty") {
		t.Errorf("empty key file: %v", err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	_ = os.WriteFile(key, []byte("file-secret-value"), 0o600)
	y := []byte("enrollments: [{number: '1', api_key: inline-secret-value}, {number: '2', api_key_file: " + key + "}, {number: '3', api_key_env: E}]")
	cfg, _, err := Parse(y, env(map[string]string{"E": "env-secret-value"}))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.String()
	for _, s := range []string{"inline-secret-value", "file-secret-value", "env-secret-value"} {
		if strings.Contains(out, s) {
			t.Errorf("config printed a key:\n%s", out)
		}
	}
	if !strings.Contains(out, "api_key: <secret>") || !strings.Contains(out, "api_key_file: "+key) || !strings.Contains(out, "api_key_env: E") {
		t.Errorf("printed config:\n%s", out)
	}
}

func TestPlainHTTPWarning(t *testing.T) {
	_, warnings, err := Parse([]byte("enrollments: [{number: '1', api_key: a, base_url: 'http://proxy.example'}]"), env(nil))
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
	b = []byte(strings.ReplaceAll(string(b), "/etc/azure_ea_exporter/100.key", keyPath))
	cfg, _, err := Parse(b, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Budgets) != 2 || cfg.Reports.Get(PriceSheet).Enabled || cfg.UsageDetails.Tags["CostCenter"] != "tag_cost_center" {
		t.Errorf("example: %+v", cfg)
	}
	// Every report and every top-level section appears in the example.
	for _, k := range append([]string{"enrollments:", "reports:", "usage_details:", "budgets:", "max_series:", "api_key_env:", "api_key:", "base_url:", "billing_periods:"}, ReportNames...) {
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

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/good.yml", "../config.example.yml"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte("enrollments: [{number: '1', api_key: a}]\nbudgets: [{name: x, enrollment: '1', amount: 1}]"))
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
