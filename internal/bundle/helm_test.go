package bundle

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

var chartDir = filepath.Join(Root, "deploy", "helm", "azure-ea-exporter")

// TestChartRulesAreTheBundledRules: the chart carries a copy of the rules
// (a chart cannot read files outside itself); keep it equal.
func TestChartRulesAreTheBundledRules(t *testing.T) {
	a, err := os.ReadFile(RuleFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(chartDir, "files", "azure_ea.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("deploy/helm/azure-ea-exporter/files/azure_ea.rules.yml differs from rules/azure_ea.rules.yml: cp rules/azure_ea.rules.yml deploy/helm/azure-ea-exporter/files/")
	}
}

func helm(t *testing.T, args ...string) string {
	t.Helper()
	bin := lookTool(t, "helm")
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// kubeVersion: helm built with `go install` (as .ci/run does) assumes
// Kubernetes v1.20, below the chart's kubeVersion.
const kubeVersion = "1.33.0"

// TestChartAppVersionIsVERSION: the chart deploys the release it ships with.
func TestChartAppVersionIsVERSION(t *testing.T) {
	version, err := os.ReadFile(filepath.Join(Root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		AppVersion string `yaml:"appVersion"`
	}
	if err := yaml.Unmarshal(b, &chart); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(version)); chart.AppVersion != want {
		t.Errorf("Chart.yaml appVersion %q, VERSION %q: set appVersion (and bump the chart's version)", chart.AppVersion, want)
	}
}

func TestHelmLint(t *testing.T) {
	out := helm(t, "lint", "--strict", chartDir, "--kube-version", kubeVersion,
		"--set-string", "enrollments[0].number=100,apiKeys.keys.100=k", "--set", "serviceMonitor.enabled=true,prometheusRule.enabled=true,networkPolicy.enabled=true")
	if !strings.Contains(out, "0 chart(s) failed") {
		t.Errorf("helm lint:\n%s", out)
	}
}

// TestHelmTemplate renders the chart and checks that the configuration it
// renders passes the exporter's own parser and that the PrometheusRule
// carries the bundled rules. The chart's own tests (a Go module in
// deploy/helm/azure-ea-exporter/tests) check the rest, strictly.
func TestHelmTemplate(t *testing.T) {
	values := filepath.Join(t.TempDir(), "values.yml")
	writeFile(t, values, `
enrollments:
  - number: "100"
    billingPeriods: 3
  - number: "200"
    baseUrl: https://consumption.azure.com
apiKeys:
  keys: { "100": key-one, "200": key-two }
reports:
  price_sheet: { enabled: true }
usageDetails:
  tags: { CostCenter: tag_cost_center }
budgets:
  - { name: platform, enrollment: "100", amount: 50000, match: { department: Platform } }
serviceMonitor: { enabled: true }
prometheusRule: { enabled: true }
`)
	out := helm(t, "template", "ea", chartDir, "--kube-version", kubeVersion, "-f", values)
	docs := map[string]map[string]any{}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			break
		}
		if d != nil {
			docs[d["kind"].(string)] = d
		}
	}
	for _, kind := range []string{"ConfigMap", "Secret", "Deployment", "Service", "ServiceMonitor", "PrometheusRule"} {
		if docs[kind] == nil {
			t.Errorf("no %s rendered", kind)
		}
	}
	if t.Failed() {
		t.Fatal(out)
	}

	// The configuration parses, with the key files where the chart mounts them.
	cfgText := docs["ConfigMap"]["data"].(map[string]any)["azure_ea_exporter.yml"].(string)
	keyDir := t.TempDir()
	for _, n := range []string{"100", "200"} {
		writeFile(t, filepath.Join(keyDir, n+".key"), "k")
	}
	cfg, _, err := config.Parse([]byte(strings.ReplaceAll(cfgText, "/etc/azure_ea_exporter/keys", keyDir)), func(string) string { return "" })
	if err != nil {
		t.Fatalf("rendered configuration:\n%s\n%v", cfgText, err)
	}
	if len(cfg.Enrollments) != 2 || cfg.Enrollments[0].Number != "100" || !cfg.Reports.Get(config.PriceSheet).Enabled || len(cfg.Budgets) != 1 {
		t.Errorf("rendered configuration:\n%s", cfgText)
	}

	secret := docs["Secret"]["data"].(map[string]any)
	if secret["100.key"] != "a2V5LW9uZQ==" || secret["200.key"] != "a2V5LXR3bw==" {
		t.Errorf("secret data %v", secret)
	}

	// The PrometheusRule's groups are the bundled rules' groups.
	var bundled struct {
		Groups []any `yaml:"groups"`
	}
	b, _ := os.ReadFile(RuleFile)
	if err := yaml.Unmarshal(b, &bundled); err != nil {
		t.Fatal(err)
	}
	spec := docs["PrometheusRule"]["spec"].(map[string]any)
	if !reflect.DeepEqual(spec["groups"], bundled.Groups) {
		t.Error("the PrometheusRule's groups differ from rules/azure_ea.rules.yml")
	}
}

func TestHelmExistingSecret(t *testing.T) {
	out := helm(t, "template", "ea", chartDir, "--kube-version", kubeVersion,
		"--set-string", "enrollments[0].number=100", "--set", "apiKeys.existingSecret=my-keys")
	if strings.Contains(out, "kind: Secret") || !strings.Contains(out, `secretName: "my-keys"`) {
		t.Errorf("existingSecret not honoured:\n%s", out)
	}
}
