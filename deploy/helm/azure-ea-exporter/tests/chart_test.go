// Package tests renders the azure-ea-exporter chart over value sets and
// checks what it renders as the cluster would: every object is decoded
// strictly into the Kubernetes and prometheus-operator Go types (an unknown or
// misspelt field is an error), the pod must meet the "restricted" Pod
// Security Standard, the pieces must fit together (selectors, ports, volumes,
// the Secret's entries, the job the alerts expect), the configuration must
// pass the exporter's own parser, and the rules must pass promtool.
//
// It is a module of its own, so that the exporter's go.mod does not carry
// the Kubernetes types. Run it from this directory: go test ./...
package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

const (
	chartDir = ".."
	repoRoot = "../../../.."
	// The Kubernetes version the chart is rendered for: helm built with
	// `go install` (as CI does) otherwise assumes v1.20, below the chart's
	// kubeVersion.
	kubeVersion = "1.33.0"
	// Prometheus forgets a series not scraped for this long.
	lookback = 5 * time.Minute
)

// goodSets are value sets that must install, with what is particular to each.
var goodSets = []struct {
	file  string
	check func(t *testing.T, r *release)
}{
	{"minimal.yaml", func(t *testing.T, r *release) {
		r.wantKinds(t, "ConfigMap", "Deployment", "Secret", "Service")
	}},
	{"arm.yaml", func(t *testing.T, r *release) {
		r.wantKinds(t, "ConfigMap", "Deployment", "Secret", "Service")
		for _, want := range []string{
			`source: arm`, `client_secret_file: "/etc/azure_ea_exporter/keys/1234567.secret"`, `client_secret_expiry: "2099-06-30"`,
			`client_certificate_file: "/etc/azure_ea_exporter/keys/2345678.pem"`, `workload_identity: true`, `cloud: "us_government"`,
			`managed_identity: true`, `api_key_file: "/etc/azure_ea_exporter/keys/100.key"`,
		} {
			if !strings.Contains(r.configText, want) {
				t.Errorf("the configuration lacks %s:\n%s", want, r.configText)
			}
		}
		if string(r.secret.Data["1234567.secret"]) != "s3cret-value" || !strings.Contains(string(r.secret.Data["2345678.pem"]), "BEGIN CERTIFICATE") {
			t.Errorf("Secret entries %v", r.secret.Data)
		}
		if sa := r.deployment.Spec.Template.Spec.ServiceAccountName; sa != "azure-ea-exporter" || r.deployment.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
			t.Errorf("workload identity: service account %q, labels %v", sa, r.deployment.Spec.Template.Labels)
		}
	}},
	{"full.yaml", func(t *testing.T, r *release) {
		r.wantKinds(t, "ConfigMap", "Deployment", "NetworkPolicy", "PrometheusRule", "Secret", "Service", "ServiceMonitor")
		// The values arrive in the configuration file (keys of the contract).
		var cfg struct {
			Enrollments []struct {
				Number         string `json:"number"`
				BillingPeriods int    `json:"billing_periods"`
				BaseURL        string `json:"base_url"`
			} `json:"enrollments"`
			Reports map[string]struct {
				Enabled  *bool  `json:"enabled"`
				Interval string `json:"interval"`
			} `json:"reports"`
			UsageDetails struct {
				Tags map[string]string `json:"tags"`
			} `json:"usage_details"`
			Budgets []map[string]any `json:"budgets"`
		}
		if err := yaml.Unmarshal([]byte(r.configText), &cfg); err != nil {
			t.Fatal(err)
		}
		if len(cfg.Enrollments) != 2 || cfg.Enrollments[0].BillingPeriods != 3 || cfg.Enrollments[1].BaseURL != "https://consumption.azure.com" ||
			cfg.Reports["price_sheet"].Enabled == nil || !*cfg.Reports["price_sheet"].Enabled || cfg.Reports["usage_details"].Interval != "2h" ||
			cfg.UsageDetails.Tags["CostCenter"] != "tag_cost_center" || len(cfg.Budgets) != 1 || cfg.Budgets[0]["enrollment"] != "100" {
			t.Errorf("configuration does not carry the values:\n%s", r.configText)
		}
		c := r.deployment.Spec.Template.Spec.Containers[0]
		if c.Image != "ghcr.io/azure-ea-exporter/azure_ea_exporter:0.1.0-rc.1" || c.ImagePullPolicy != corev1.PullAlways {
			t.Errorf("image %s, pull policy %s", c.Image, c.ImagePullPolicy)
		}
		if len(r.deployment.Spec.Template.Spec.Tolerations) != 1 || r.deployment.Spec.Template.Spec.Affinity == nil ||
			r.deployment.Spec.Template.Labels["team"] != "finops" || r.deployment.Spec.Template.Annotations["example.com/owner"] != "finops" {
			t.Error("tolerations, affinity, pod labels or annotations lost")
		}
		if r.serviceMonitor == nil || r.prometheusRule == nil ||
			r.serviceMonitor.Labels["release"] != "kube-prometheus-stack" || r.prometheusRule.Labels["release"] != "kube-prometheus-stack" {
			t.Error("serviceMonitor.labels or prometheusRule.labels lost")
		}
	}},
	{"existing-secret.yaml", func(t *testing.T, r *release) {
		r.wantKinds(t, "ConfigMap", "Deployment", "Service")
		var claim string
		for _, v := range r.deployment.Spec.Template.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				claim = v.PersistentVolumeClaim.ClaimName
			}
		}
		if claim != "azure-ea-data" {
			t.Errorf("storage claim %q, want azure-ea-data", claim)
		}
	}},
	{"custom-job.yaml", func(t *testing.T, r *release) {
		r.wantKinds(t, "ConfigMap", "Deployment", "PrometheusRule", "Secret", "Service", "ServiceMonitor")
		if r.serviceMonitor == nil {
			return
		}
		ep := r.serviceMonitor.Spec.Endpoints[0]
		if len(ep.RelabelConfigs) != 2 || ep.RelabelConfigs[1].TargetLabel != "cluster" || len(ep.MetricRelabelConfigs) != 1 {
			t.Errorf("extra relabelings: %+v, metric relabelings: %+v", ep.RelabelConfigs, ep.MetricRelabelConfigs)
		}
	}},
	{"paused.yaml", func(t *testing.T, r *release) {
		r.wantKinds(t, "ConfigMap", "Deployment", "Secret", "Service")
		if r.deployment.Name != "billing" || *r.deployment.Spec.Replicas != 0 || r.service.Spec.Type != corev1.ServiceTypeNodePort {
			t.Errorf("name %s, replicas %d, service type %s", r.deployment.Name, *r.deployment.Spec.Replicas, r.service.Spec.Type)
		}
		for _, a := range r.deployment.Spec.Template.Spec.Containers[0].Args {
			if strings.HasPrefix(a, "--storage.path") {
				t.Errorf("storage disabled, but %s", a)
			}
		}
		if p := r.deployment.Spec.Template.Spec.Containers[0].StartupProbe; p == nil || p.PeriodSeconds != 5 || p.FailureThreshold != 120 {
			t.Errorf("startup probe %+v", p)
		}
	}},
	{"network-policy.yaml", func(t *testing.T, r *release) {
		r.wantKinds(t, "ConfigMap", "Deployment", "NetworkPolicy", "Secret", "Service", "ServiceMonitor")
		if r.networkPolicy == nil {
			return
		}
		np := r.networkPolicy.Spec
		if len(np.Ingress[0].From) != 1 || np.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
			t.Errorf("ingress peers %+v", np.Ingress[0].From)
		}
		if len(np.Egress) != 3 || np.Egress[2].Ports[0].Port.IntValue() != 3128 || np.Egress[1].To[0].IPBlock == nil {
			t.Errorf("egress %+v", np.Egress)
		}
	}},
}

// brokenSets are value sets that must not install, with the message that
// says why. schema: the message with values.schema.json; template: the
// message of the templates' own checks (--skip-schema-validation), which hold
// without the schema, "" when only the schema can tell.
var brokenSets = []struct {
	file             string
	schema, template string
}{
	{"", "enrollments is empty", "enrollments is empty"}, // the chart's defaults
	{"broken-unquoted-number.yaml", "at '/enrollments/0/number': got number, want string", "enrollments[0].number is 1.2345678e+07 (a float64), not a string: quote enrollment numbers"},
	{"broken-missing-key.yaml", "apiKeys.keys has no credential for enrollment 200 (its 200.key)", "apiKeys.keys has no credential for enrollment 200 (its 200.key)"},
	{"broken-arm-no-tenant.yaml", "enrollments[0] (source: arm) has no tenantId", "enrollments[0] (source: arm) has no tenantId"},
	{"broken-arm-workload-identity.yaml", "enrollments[0] uses workloadIdentity, but serviceAccountName is empty", "enrollments[0] uses workloadIdentity, but serviceAccountName is empty"},
	{"broken-no-secret.yaml", "apiKeys.create is false but apiKeys.existingSecret is empty", "apiKeys.create is false but apiKeys.existingSecret is empty"},
	{"broken-two-replicas.yaml", "replicaCount is 2, but the exporter runs as one replica", "install one release per set of enrollments"},
	{"broken-duplicate-enrollment.yaml", `enrollments[1].number "100" is listed twice`, `enrollments[1].number "100" is listed twice`},
	{"broken-unquoted-budget-enrollment.yaml", "at '/budgets/0/enrollment': got number, want string", "budgets[0].enrollment is 100 (a float64), not a string"},
	{"broken-typo.yaml", "additional properties 'enable' not allowed", ""},
}

func TestGoodValueSets(t *testing.T) {
	for _, set := range goodSets {
		t.Run(strings.TrimSuffix(set.file, ".yaml"), func(t *testing.T) {
			file := filepath.Join("values", set.file)
			out, errOut, err := helm(t, "lint", "--strict", "--kube-version", kubeVersion, chartDir, "-f", file)
			if err != nil || !strings.Contains(out, "0 chart(s) failed") {
				t.Errorf("helm lint --strict: %v\n%s%s", err, out, errOut)
			}
			r := renderRelease(t, file)
			checkRelease(t, r)
			set.check(t, r)
		})
	}
}

func TestBrokenValueSetsAreRefused(t *testing.T) {
	for _, set := range brokenSets {
		name := strings.TrimSuffix(strings.TrimPrefix(set.file, "broken-"), ".yaml")
		if name == "" {
			name = "defaults"
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"template", "ea", chartDir, "--kube-version", kubeVersion}
			if set.file != "" {
				args = append(args, "-f", filepath.Join("values", set.file))
			}
			for _, c := range []struct{ flag, want string }{{"", set.schema}, {"--skip-schema-validation", set.template}} {
				if c.want == "" {
					continue
				}
				a := args
				if c.flag != "" {
					a = append(slices.Clone(args), c.flag)
				}
				out, errOut, err := helm(t, a...)
				if err == nil {
					t.Errorf("helm %s rendered a broken release:\n%s", strings.Join(a, " "), out)
					continue
				}
				if !strings.Contains(errOut, c.want) {
					t.Errorf("helm %s: the error does not say %q:\n%s", strings.Join(a, " "), c.want, errOut)
				}
			}
		})
	}
}

// TestDefaultScrapeIntervalInsideLookback: at 5m (the old default) every
// scrape that came a little late made the series vanish for a moment.
func TestDefaultScrapeIntervalInsideLookback(t *testing.T) {
	v := chartValues(t, "")
	interval, err := model.ParseDuration(v.ServiceMonitor.Interval)
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(interval) > 2*time.Minute {
		t.Errorf("serviceMonitor.interval defaults to %s: keep it at 2m or less, well inside Prometheus' %s lookback", interval, lookback)
	}
	if v.ServiceMonitor.Job != "azure_ea" {
		t.Errorf("serviceMonitor.job defaults to %q; the bundled rules expect azure_ea", v.ServiceMonitor.Job)
	}
}

// TestRulesFollowTheJob: the rules of the chart's PrometheusRule select the
// job that the ServiceMonitor gives the targets, and with the default job
// they are the bundled rules unchanged.
func TestRulesFollowTheJob(t *testing.T) {
	base := []string{"--set-string", "enrollments[0].number=1,apiKeys.keys.1=k", "--set", "serviceMonitor.enabled=true,prometheusRule.enabled=true"}
	def := renderRelease(t, "", base...)
	b, err := os.ReadFile(filepath.Join(repoRoot, "rules", "azure_ea.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var bundled monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(b, &bundled); err != nil {
		t.Fatalf("rules/azure_ea.rules.yml as a PrometheusRule spec: %v", err)
	}
	if !reflect.DeepEqual(def.prometheusRule.Spec, bundled) {
		t.Error("with the default job, the PrometheusRule's groups differ from rules/azure_ea.rules.yml (cp rules/azure_ea.rules.yml deploy/helm/azure-ea-exporter/files/)")
	}
	other := renderRelease(t, "", append(base, "--set", "serviceMonitor.job=ea-billing")...)
	if got := jobMatchers(other.prometheusRule.Spec); len(got) == 0 || !reflect.DeepEqual(slices.Compact(got), []string{`job="ea-billing"`}) {
		t.Errorf("with serviceMonitor.job=ea-billing, the rules match %v", got)
	}
}

// TestNotes: what the chart says after an install is true.
func TestNotes(t *testing.T) {
	for _, c := range []struct {
		args      []string
		want, not []string
	}{
		{[]string{"-f", "values/minimal.yaml"},
			[]string{"reads 1 enrollment(s): 12345678", "/status", `entries "<number>.key" of the Secret ea-azure-ea-exporter-keys`, "helm upgrade", `with job_name "azure_ea"`},
			[]string{"401", "every report will fail"}},
		{[]string{"-f", "values/existing-secret.yaml", "--set", "serviceMonitor.enabled=true"},
			[]string{"12345678, 87654321", "Secret ea-api-keys", "rollout restart deployment/ea-azure-ea-exporter", `every 1m as job "azure_ea"`},
			[]string{"401"}},
	} {
		notes := renderNotes(t, c.args...)
		for _, w := range c.want {
			if !strings.Contains(notes, w) {
				t.Errorf("NOTES.txt (%v) does not say %q:\n%s", c.args, w, notes)
			}
		}
		for _, n := range c.not {
			if strings.Contains(notes, n) {
				t.Errorf("NOTES.txt (%v) says %q:\n%s", c.args, n, notes)
			}
		}
	}
}

// release is a rendered chart, decoded.
type release struct {
	values   values
	manifest string
	kinds    []string

	deployment     *appsv1.Deployment
	service        *corev1.Service
	configMap      *corev1.ConfigMap
	secret         *corev1.Secret
	networkPolicy  *networkingv1.NetworkPolicy
	serviceMonitor *monitoringv1.ServiceMonitor
	prometheusRule *monitoringv1.PrometheusRule
	ruleSpecJSON   []byte // the PrometheusRule's spec as rendered

	configText string
}

func (r *release) wantKinds(t *testing.T, kinds ...string) {
	t.Helper()
	if !reflect.DeepEqual(r.kinds, kinds) {
		t.Errorf("rendered %v, want %v", r.kinds, kinds)
	}
}

// values: what the checks need of the chart's values.
type values struct {
	ReplicaCount     int    `json:"replicaCount"`
	FullnameOverride string `json:"fullnameOverride"`
	Image            struct {
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
	} `json:"image"`
	Enrollments []struct {
		Number     string `json:"number"`
		Source     string `json:"source"`
		Credential string `json:"credential"`
	} `json:"enrollments"`
	APIKeys struct {
		Create         bool              `json:"create"`
		Keys           map[string]string `json:"keys"`
		ExistingSecret string            `json:"existingSecret"`
	} `json:"apiKeys"`
	Storage struct {
		Enabled       bool   `json:"enabled"`
		ExistingClaim string `json:"existingClaim"`
	} `json:"storage"`
	ExtraArgs []string `json:"extraArgs"`
	Service   struct {
		Port int `json:"port"`
	} `json:"service"`
	ServiceMonitor struct {
		Enabled       bool   `json:"enabled"`
		Job           string `json:"job"`
		Interval      string `json:"interval"`
		ScrapeTimeout string `json:"scrapeTimeout"`
	} `json:"serviceMonitor"`
	PrometheusRule struct {
		Enabled bool `json:"enabled"`
	} `json:"prometheusRule"`
	NetworkPolicy struct {
		Enabled bool `json:"enabled"`
	} `json:"networkPolicy"`
}

// chartValues returns the chart's values.yaml merged with a values file, as
// helm merges them (maps merge, everything else replaces).
func chartValues(t *testing.T, file string, sets ...map[string]any) values {
	t.Helper()
	merged := readYAMLMap(t, filepath.Join(chartDir, "values.yaml"))
	if file != "" {
		merged = merge(merged, readYAMLMap(t, file))
	}
	for _, s := range sets {
		merged = merge(merged, s)
	}
	b, _ := json.Marshal(merged)
	var v values
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("values: %v", err)
	}
	return v
}

func readYAMLMap(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

func merge(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// setArgs turns the --set/--set-string arguments of a test into a values map
// (only the simple dotted keys and [0] indexes that the tests use).
func setArgs(t *testing.T, args []string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for i := 0; i < len(args); i++ {
		if args[i] != "--set" && args[i] != "--set-string" {
			continue
		}
		i++
		for _, kv := range strings.Split(args[i], ",") {
			k, v, _ := strings.Cut(kv, "=")
			var val any = v
			if args[i-1] == "--set" && (v == "true" || v == "false") {
				val = v == "true"
			}
			setPath(out, strings.Split(k, "."), val)
		}
	}
	return out
}

func setPath(m map[string]any, path []string, v any) {
	key, idx, isList := strings.Cut(path[0], "[")
	if isList { // key[0]
		if idx != "0]" {
			panic("setArgs handles [0] only")
		}
		l, _ := m[key].([]any)
		if len(l) == 0 {
			l = []any{map[string]any{}}
		}
		m[key] = l
		setPath(l[0].(map[string]any), path[1:], v)
		return
	}
	if len(path) == 1 {
		m[key] = v
		return
	}
	sub, _ := m[key].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
		m[key] = sub
	}
	setPath(sub, path[1:], v)
}

// renderRelease renders the chart as release "ea" and decodes every object
// strictly into its Go type.
func renderRelease(t *testing.T, file string, extra ...string) *release {
	t.Helper()
	args := []string{"template", "ea", chartDir, "--kube-version", kubeVersion}
	if file != "" {
		args = append(args, "-f", file)
	}
	args = append(args, extra...)
	out, errOut, err := helm(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	r := &release{values: chartValues(t, file, setArgs(t, extra)), manifest: out}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(out)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("splitting the manifest: %v", err)
		}
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			t.Fatalf("document is not YAML without duplicate keys: %v\n%s", err, doc)
		}
		if string(j) == "null" {
			continue
		}
		var tm metav1.TypeMeta
		if err := json.Unmarshal(j, &tm); err != nil {
			t.Fatal(err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			obj = once(t, &r.deployment)
		case "v1 Service":
			obj = once(t, &r.service)
		case "v1 ConfigMap":
			obj = once(t, &r.configMap)
		case "v1 Secret":
			obj = once(t, &r.secret)
		case "networking.k8s.io/v1 NetworkPolicy":
			obj = once(t, &r.networkPolicy)
		case "monitoring.coreos.com/v1 ServiceMonitor":
			obj = once(t, &r.serviceMonitor)
		case "monitoring.coreos.com/v1 PrometheusRule":
			obj = once(t, &r.prometheusRule)
			var raw struct {
				Spec json.RawMessage `json:"spec"`
			}
			_ = json.Unmarshal(j, &raw)
			r.ruleSpecJSON = raw.Spec
		default:
			t.Fatalf("unexpected object %s %s:\n%s", tm.APIVersion, tm.Kind, doc)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("%s does not decode strictly into its Go type: %v\n%s", tm.Kind, err, doc)
		}
		r.kinds = append(r.kinds, tm.Kind)
	}
	sort.Strings(r.kinds)
	return r
}

// once allocates *p and fails if the kind was rendered before.
func once[T any](t *testing.T, p **T) *T {
	t.Helper()
	if *p != nil {
		t.Fatalf("two objects of type %T", *p)
	}
	*p = new(T)
	return *p
}

// checkRelease checks what must hold for every value set.
func checkRelease(t *testing.T, r *release) {
	t.Helper()
	v := r.values
	if r.deployment == nil || r.service == nil || r.configMap == nil {
		t.Fatalf("a Deployment, a Service and a ConfigMap are always rendered; got %v", r.kinds)
	}
	for _, m := range r.objects() {
		if errs := validation.IsDNS1123Subdomain(m.Name); len(errs) > 0 {
			t.Errorf("name %q: %v", m.Name, errs)
		}
		for k, val := range m.Labels {
			if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(val)...); len(errs) > 0 {
				t.Errorf("%s: label %s=%s: %v", m.Name, k, val, errs)
			}
		}
	}
	if errs := validation.IsDNS1035Label(r.service.Name); len(errs) > 0 {
		t.Errorf("Service name %q: %v", r.service.Name, errs)
	}

	// The Deployment: one pod at most, replaced, never doubled.
	d := r.deployment
	spec := d.Spec.Template.Spec
	if d.Spec.Replicas == nil || *d.Spec.Replicas > 1 || int(*d.Spec.Replicas) != v.ReplicaCount {
		t.Errorf("replicas %v, values %d", d.Spec.Replicas, v.ReplicaCount)
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("strategy %q: a rolling update runs two pollers and cannot move a ReadWriteOnce claim; want Recreate", d.Spec.Strategy.Type)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector, d.Spec.Template.Labels)
	}
	if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
		t.Error("enableServiceLinks is not false")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken is not false")
	}
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}
	if res := policy.AggregateCheckResults(ev.EvaluatePod(restricted, &d.Spec.Template.ObjectMeta, &spec)); !res.Allowed {
		t.Errorf("the pod does not meet the restricted Pod Security Standard: %v %v", res.ForbiddenReasons, res.ForbiddenDetails)
	}

	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != int32(v.Service.Port) {
		t.Errorf("container port http %d, service.port %d", ports["http"], v.Service.Port)
	}
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("no %s probe", name)
			continue
		}
		if _, ok := ports[p.HTTPGet.Port.String()]; !ok {
			t.Errorf("%s probe on port %s, which the container does not name", name, p.HTTPGet.Port.String())
		}
		want := map[string]string{"startup": "/-/healthy", "liveness": "/-/healthy", "readiness": "/-/ready"}[name]
		if p.HTTPGet.Path != want {
			t.Errorf("%s probe on %s, want %s", name, p.HTTPGet.Path, want)
		}
	}
	if c.StartupProbe != nil && time.Duration(c.StartupProbe.PeriodSeconds*c.StartupProbe.FailureThreshold)*time.Second < 2*time.Minute {
		t.Errorf("the startup probe gives up after %ds", c.StartupProbe.PeriodSeconds*c.StartupProbe.FailureThreshold)
	}

	// Arguments: the chart's, then extraArgs verbatim.
	wantArgs := []string{"--config.file=/etc/azure_ea_exporter/azure_ea_exporter.yml", fmt.Sprintf("--web.listen-address=:%d", v.Service.Port)}
	if v.Storage.Enabled {
		wantArgs = append(wantArgs, "--storage.path=/var/lib/azure_ea_exporter")
	}
	wantArgs = append(wantArgs, v.ExtraArgs...)
	if !reflect.DeepEqual(c.Args, wantArgs) {
		t.Errorf("args %q, want %q", c.Args, wantArgs)
	}
	tag := v.Image.Tag
	if tag == "" {
		tag = chartAppVersion(t)
	}
	if c.Image != v.Image.Repository+":"+tag {
		t.Errorf("image %s", c.Image)
	}

	// Volumes: every mount has its volume; the keys come from the Secret the
	// chart renders or the one named; the configuration from the ConfigMap.
	volumes := map[string]corev1.Volume{}
	for _, vol := range spec.Volumes {
		volumes[vol.Name] = vol
	}
	for _, m := range c.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("mount %s has no volume", m.Name)
		}
	}
	keys := volumes["keys"].Secret
	switch {
	case keys == nil:
		t.Error("no keys volume from a Secret")
	case r.secret != nil && keys.SecretName != r.secret.Name:
		t.Errorf("keys volume from Secret %s, the chart renders %s", keys.SecretName, r.secret.Name)
	case r.secret == nil && keys.SecretName != v.APIKeys.ExistingSecret:
		t.Errorf("keys volume from Secret %q, which the chart neither renders nor was given (apiKeys.existingSecret %q)", keys.SecretName, v.APIKeys.ExistingSecret)
	case keys.DefaultMode == nil || *keys.DefaultMode != 0o400:
		t.Errorf("key files mode %v, want 0400", keys.DefaultMode)
	}
	if cm := volumes["config"].ConfigMap; cm == nil || cm.Name != r.configMap.Name {
		t.Errorf("config volume %+v, ConfigMap %s", volumes["config"], r.configMap.Name)
	}
	if _, ok := volumes["storage"]; ok != v.Storage.Enabled {
		t.Errorf("storage volume %v, storage.enabled %v", ok, v.Storage.Enabled)
	}

	// The Secret: one valid entry per enrollment, the key given.
	keyFiles := map[string][]byte{}
	if r.secret != nil {
		for k, val := range r.secret.Data {
			if errs := validation.IsConfigMapKey(k); len(errs) > 0 {
				t.Errorf("Secret entry %q: %v", k, errs)
			}
			keyFiles[k] = val
		}
	}
	entries := 0
	for _, e := range v.Enrollments {
		// The entry of the enrollment's credential: none for workload and
		// managed identities.
		var name string
		switch {
		case e.Source != "arm":
			name = e.Number + ".key"
		case e.Credential == "" || e.Credential == "clientSecret":
			name = e.Number + ".secret"
		case e.Credential == "clientCertificate":
			name = e.Number + ".pem"
		default:
			continue
		}
		entries++
		if r.secret == nil {
			keyFiles[name] = []byte("a key from the existing Secret")
			continue
		}
		if got := string(keyFiles[name]); got == "" || got != v.APIKeys.Keys[e.Number] {
			t.Errorf("Secret entry %s = %q, want the credential of enrollment %s", name, got, e.Number)
		}
	}
	if r.secret != nil && len(r.secret.Data) != entries {
		t.Errorf("Secret entries %d, credentials %d", len(r.secret.Data), entries)
	}

	// The configuration passes the exporter's own parser, with the key files
	// where the chart mounts them.
	r.configText = r.configMap.Data["azure_ea_exporter.yml"]
	keyDir := t.TempDir()
	for k, val := range keyFiles {
		if err := os.WriteFile(filepath.Join(keyDir, k), val, 0o400); err != nil {
			t.Fatal(err)
		}
	}
	cfg, _, err := config.Parse([]byte(strings.ReplaceAll(r.configText, "/etc/azure_ea_exporter/keys", keyDir)), func(string) string { return "" })
	if err != nil {
		t.Errorf("the exporter rejects the rendered configuration: %v\n%s", err, r.configText)
	} else {
		var got, want []string
		for _, e := range cfg.Enrollments {
			got = append(got, e.Number)
		}
		for _, e := range v.Enrollments {
			want = append(want, e.Number)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("configured enrollments %q, values %q", got, want)
		}
	}

	// The Service selects the pod and targets its port.
	if !labels.SelectorFromSet(r.service.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("the Service's selector %v does not select the pod %v", r.service.Spec.Selector, d.Spec.Template.Labels)
	}
	if len(r.service.Spec.Ports) != 1 || r.service.Spec.Ports[0].TargetPort != intstr.FromString("http") || r.service.Spec.Ports[0].Name != "http" {
		t.Errorf("service ports %+v", r.service.Spec.Ports)
	}

	// The ServiceMonitor selects the Service, scrapes well inside the
	// lookback and gives the targets the job the rules expect.
	if (r.serviceMonitor != nil) != v.ServiceMonitor.Enabled {
		t.Errorf("ServiceMonitor rendered %v, enabled %v", r.serviceMonitor != nil, v.ServiceMonitor.Enabled)
	}
	if sm := r.serviceMonitor; sm != nil {
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(r.service.Labels)) {
			t.Errorf("the ServiceMonitor's selector does not select the Service's labels %v", r.service.Labels)
		}
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != r.service.Spec.Ports[0].Name {
			t.Fatalf("endpoints %+v", sm.Spec.Endpoints)
		}
		ep := sm.Spec.Endpoints[0]
		interval, err1 := model.ParseDuration(string(ep.Interval))
		timeout, err2 := model.ParseDuration(string(ep.ScrapeTimeout))
		if err := errors.Join(err1, err2); err != nil {
			t.Error(err)
		}
		if time.Duration(interval) >= lookback || timeout > interval {
			t.Errorf("interval %s, timeout %s: keep the interval inside the %s lookback and the timeout within the interval", interval, timeout, lookback)
		}
		if got := smJob(ep); got != v.ServiceMonitor.Job {
			t.Errorf("the ServiceMonitor gives its targets job %q, want %q (prometheus-operator would name the job after the Service, %q)", got, v.ServiceMonitor.Job, r.service.Name)
		}
	}

	// The PrometheusRule: valid for promtool, and its rules select the job.
	if (r.prometheusRule != nil) != v.PrometheusRule.Enabled {
		t.Errorf("PrometheusRule rendered %v, enabled %v", r.prometheusRule != nil, v.PrometheusRule.Enabled)
	}
	if pr := r.prometheusRule; pr != nil {
		promtoolCheck(t, r.ruleSpecJSON)
		up := regexp.MustCompile(`\bup\s*\{[^}]*` + regexp.QuoteMeta(fmt.Sprintf("job=%q", v.ServiceMonitor.Job)))
		found := false
		for _, g := range pr.Spec.Groups {
			for _, rule := range g.Rules {
				found = found || up.MatchString(rule.Expr.String())
			}
		}
		if !found {
			t.Errorf("no rule reads up{job=%q}: nothing alerts when the exporter is down", v.ServiceMonitor.Job)
		}
		for _, m := range jobMatchers(pr.Spec) {
			if m != fmt.Sprintf("job=%q", v.ServiceMonitor.Job) {
				t.Errorf("a rule matches %s, but the targets' job is %q", m, v.ServiceMonitor.Job)
			}
		}
	}

	// The NetworkPolicy: the pod, Prometheus in, DNS and HTTPS out.
	if (r.networkPolicy != nil) != v.NetworkPolicy.Enabled {
		t.Errorf("NetworkPolicy rendered %v, enabled %v", r.networkPolicy != nil, v.NetworkPolicy.Enabled)
	}
	if np := r.networkPolicy; np != nil {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Error("the NetworkPolicy does not select the pod")
		}
		if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
			t.Errorf("policy types %v", np.Spec.PolicyTypes)
		}
		if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].Ports) != 1 || np.Spec.Ingress[0].Ports[0].Port.String() != "http" {
			t.Errorf("ingress %+v: want the http port only", np.Spec.Ingress)
		}
		allowed := map[string]bool{}
		for _, e := range np.Spec.Egress {
			for _, p := range e.Ports {
				allowed[fmt.Sprintf("%s/%s", *p.Protocol, p.Port.String())] = true
			}
		}
		for _, want := range []string{"UDP/53", "TCP/53", "TCP/443"} {
			if !allowed[want] {
				t.Errorf("egress does not allow %s", want)
			}
		}
	}
}

func (r *release) objects() []metav1.ObjectMeta {
	var out []metav1.ObjectMeta
	if r.deployment != nil {
		out = append(out, r.deployment.ObjectMeta, r.deployment.Spec.Template.ObjectMeta)
	}
	if r.service != nil {
		out = append(out, r.service.ObjectMeta)
	}
	if r.configMap != nil {
		out = append(out, r.configMap.ObjectMeta)
	}
	if r.secret != nil {
		out = append(out, r.secret.ObjectMeta)
	}
	if r.networkPolicy != nil {
		out = append(out, r.networkPolicy.ObjectMeta)
	}
	if r.serviceMonitor != nil {
		out = append(out, r.serviceMonitor.ObjectMeta)
	}
	if r.prometheusRule != nil {
		out = append(out, r.prometheusRule.ObjectMeta)
	}
	for i := range out {
		if out[i].Name == "" && out[i].Labels != nil { // the pod template has no name
			out[i].Name = "pod-template"
		}
	}
	return out
}

// smJob is the job label prometheus-operator's scrape configuration gives
// the endpoint's targets: the Service's name, unless a relabeling of the
// endpoint (applied after the operator's own) replaces it with a constant.
func smJob(ep monitoringv1.Endpoint) string {
	job := "<the Service's name>"
	for _, rc := range ep.RelabelConfigs {
		action := strings.ToLower(rc.Action)
		if rc.TargetLabel == "job" && (action == "" || action == "replace") && len(rc.SourceLabels) == 0 &&
			(rc.Regex == "" || rc.Regex == "(.*)") && rc.Replacement != nil && !strings.Contains(*rc.Replacement, "$") {
			job = *rc.Replacement
		}
	}
	return job
}

var jobMatcher = regexp.MustCompile(`\bjob\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"`)

// jobMatchers returns every job matcher of the rules, as job="x", sorted.
func jobMatchers(spec monitoringv1.PrometheusRuleSpec) []string {
	var out []string
	for _, g := range spec.Groups {
		for _, r := range g.Rules {
			for _, m := range jobMatcher.FindAllString(r.Expr.String(), -1) {
				out = append(out, strings.Join(strings.Fields(m), ""))
			}
		}
	}
	sort.Strings(out)
	return out
}

// promtoolCheck runs `promtool check rules` on a PrometheusRule's spec, which
// is a Prometheus rules file.
func promtoolCheck(t *testing.T, specJSON []byte) {
	t.Helper()
	bin := tool(t, "promtool", "apt-get install prometheus")
	if bin == "" {
		return
	}
	y, err := yaml.JSONToYAML(specJSON)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(f, y, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the PrometheusRule's spec: %v\n%s", err, out)
	}
}

// installDryRun runs `helm install --dry-run=server` of the chart as release
// "ea" in namespace "billing" against a fake API server: the chart's lookups
// see what the fake holds. It returns the NOTES.
func installDryRun(t *testing.T, api *fakeAPI, args ...string) (notes, errOut string, err error) {
	t.Helper()
	a := append([]string{"install", "ea", chartDir, "--dry-run=server", "--disable-openapi-validation",
		"--namespace", "billing", "--kubeconfig", api.kubeconfig()}, args...)
	out, errOut, err := helm(t, a...)
	if len(api.unknown) > 0 {
		t.Logf("requests the fake API server does not know: %q", api.unknown)
	}
	if err != nil {
		return "", errOut, err
	}
	_, notes, ok := strings.Cut(out, "NOTES:\n")
	if !ok {
		t.Fatalf("no NOTES in:\n%s", out)
	}
	return notes, errOut, nil
}

// renderNotes renders NOTES.txt as an install would.
func renderNotes(t *testing.T, args ...string) string {
	t.Helper()
	notes, errOut, err := installDryRun(t, newFakeAPI(t), args...)
	if err != nil {
		t.Fatalf("helm install --dry-run=server %v: %v\n%s", args, err, errOut)
	}
	return notes
}

// TestExistingSecretIsLookedUp: where the chart can see the cluster, a named
// Secret that is missing, or lacks an enrollment's entry, fails the install
// (the pod would wait in ContainerCreating, or crash-loop). Where it cannot
// (helm template, a client-side dry run), the install goes on.
func TestExistingSecretIsLookedUp(t *testing.T) {
	existing := []string{"-f", "values/existing-secret.yaml"}
	secret := func(entries ...string) map[string]any {
		data := map[string]any{}
		for _, e := range entries {
			data[e] = "a2V5" // "key"
		}
		return map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata": map[string]any{"name": "ea-api-keys", "namespace": "billing"}, "data": data}
	}
	rootCA := map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "kube-root-ca.crt", "namespace": "billing"}, "data": map[string]any{"ca.crt": "-"}}

	for _, c := range []struct {
		name    string
		objects map[string]map[string]any // resource/name -> object
		want    string                    // the error; "" for success
	}{
		{"lookups see nothing", nil, ""},
		{"missing Secret", map[string]map[string]any{"configmaps/kube-root-ca.crt": rootCA},
			`apiKeys.existingSecret: there is no Secret "ea-api-keys" in namespace "billing"`},
		{"missing entry", map[string]map[string]any{"configmaps/kube-root-ca.crt": rootCA, "secrets/ea-api-keys": secret("12345678.key")},
			`apiKeys.existingSecret: Secret "ea-api-keys" has no entry "87654321.key" (the credential of enrollment 87654321)`},
		{"complete Secret", map[string]map[string]any{"configmaps/kube-root-ca.crt": rootCA, "secrets/ea-api-keys": secret("12345678.key", "87654321.key")}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t)
			for k, obj := range c.objects {
				resource, name, _ := strings.Cut(k, "/")
				api.add("billing", resource, name, obj)
			}
			_, errOut, err := installDryRun(t, api, existing...)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("install failed: %v\n%s", err, errOut)
			case c.want != "" && err == nil:
				t.Errorf("install succeeded; want %q", c.want)
			case c.want != "" && !strings.Contains(errOut, c.want):
				t.Errorf("the error does not say %q:\n%s", c.want, errOut)
			}
		})
	}
}

func chartAppVersion(t *testing.T) string {
	t.Helper()
	var c struct {
		AppVersion string `json:"appVersion"`
	}
	b, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.AppVersion
}

// helm runs helm with no cluster to talk to: lookups find nothing, as in
// `helm template`.
func helm(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(tool(t, "helm", "go install helm.sh/helm/v3/cmd/helm@v3.22.0"), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "KUBECONFIG="+os.DevNull, "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// tool finds a program: skipped without it, except in CI, which installs it.
func tool(t *testing.T, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (%s); CI must have it", name, install)
	}
	t.Skipf("%s is not installed (%s)", name, install)
	return ""
}
