package bundle

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

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

func TestHelmLint(t *testing.T) {
	out := helm(t, "lint", "--strict", chartDir, "--set", "serviceMonitor.enabled=true,prometheusRule.enabled=true")
	if !strings.Contains(out, "0 chart(s) failed") {
		t.Errorf("helm lint:\n%s", out)
	}
}

// TestHelmTemplate renders the chart and checks what it renders: the kinds,
// the security context and probes, the configuration (validated by the
// exporter's own parser), and the PrometheusRule carrying the bundled rules.
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
	out := helm(t, "template", "ea", chartDir, "-f", values)
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
	if len(cfg.Enrollments) != 2 || cfg.Enrollments[0].TrackedPeriods != 3 || !cfg.Reports.Get(config.PriceSheet).Enabled || len(cfg.Budgets) != 1 {
		t.Errorf("rendered configuration:\n%s", cfgText)
	}

	secret := docs["Secret"]["data"].(map[string]any)
	if secret["100.key"] != "a2V5LW9uZQ==" || secret["200.key"] != "a2V5LXR3bw==" {
		t.Errorf("secret data %v", secret)
	}

	dep := out[strings.Index(out, "kind: Deployment"):]
	for _, want := range []string{"runAsNonRoot: true", "readOnlyRootFilesystem: true", "path: /-/healthy", "path: /-/ready",
		"containerPort: 10168", "defaultMode: 0400", "- --config.file=/etc/azure_ea_exporter/azure_ea_exporter.yml", "memory: 128Mi",
		"- --storage.path=/var/lib/azure_ea_exporter", "emptyDir: {}"} {
		if !strings.Contains(dep, want) {
			t.Errorf("Deployment lacks %q", want)
		}
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
	out := helm(t, "template", "ea", chartDir, "--set", "apiKeys.existingSecret=my-keys")
	if strings.Contains(out, "kind: Secret") || !strings.Contains(out, "secretName: my-keys") {
		t.Errorf("existingSecret not honoured:\n%s", out)
	}
}
