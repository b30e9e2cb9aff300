package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is the least of a Kubernetes API server that `helm install
// --dry-run=server` needs: version and discovery, the release storage (no
// release yet), and GETs of single objects, which find only the objects
// given. It lets the tests see what the chart's lookups see in a cluster.
type fakeAPI struct {
	*httptest.Server
	t       *testing.T
	mu      sync.Mutex
	objects map[string]any // "/api/v1/namespaces/ns/secrets/name" -> object
	unknown []string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, objects: map[string]any{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// add makes an object of the core group visible: kind is the plural resource.
func (f *fakeAPI) add(namespace, resource, name string, obj map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[fmt.Sprintf("/api/v1/namespaces/%s/%s/%s", namespace, resource, name)] = obj
}

// kubeconfig writes a kubeconfig that points at the fake server.
func (f *fakeAPI) kubeconfig() string {
	p := filepath.Join(f.t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: %q } }]
users: [{ name: fake, user: { token: fake } }]
contexts: [{ name: fake, context: { cluster: fake, user: fake } }]
current-context: fake
`, f.URL)
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		f.t.Fatal(err)
	}
	return p
}

var discovery = map[string]any{
	"/version": map[string]any{"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"},
	"/api":     map[string]any{"kind": "APIVersions", "versions": []string{"v1"}},
	"/apis": map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{
		group("apps", "v1"), group("networking.k8s.io", "v1"), group("monitoring.coreos.com", "v1"),
	}},
	"/api/v1": resources("v1",
		res("configmaps", "ConfigMap"), res("secrets", "Secret"), res("services", "Service")),
	"/apis/apps/v1":                  resources("apps/v1", res("deployments", "Deployment")),
	"/apis/networking.k8s.io/v1":     resources("networking.k8s.io/v1", res("networkpolicies", "NetworkPolicy")),
	"/apis/monitoring.coreos.com/v1": resources("monitoring.coreos.com/v1", res("servicemonitors", "ServiceMonitor"), res("prometheusrules", "PrometheusRule")),
}

func group(name, version string) map[string]any {
	gv := map[string]any{"groupVersion": name + "/" + version, "version": version}
	return map[string]any{"name": name, "versions": []any{gv}, "preferredVersion": gv}
}

func res(plural, kind string) map[string]any {
	return map[string]any{"name": plural, "singularName": strings.ToLower(kind), "namespaced": true, "kind": kind,
		"verbs": []string{"create", "delete", "get", "list", "patch", "update", "watch"}}
}

func resources(gv string, rs ...map[string]any) map[string]any {
	return map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": rs}
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	reply := func(code int, v any) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Method != http.MethodGet {
		f.note(r)
		reply(http.StatusMethodNotAllowed, status(http.StatusMethodNotAllowed, "MethodNotAllowed", r.URL.Path))
		return
	}
	if d, ok := discovery[r.URL.Path]; ok {
		reply(http.StatusOK, d)
		return
	}
	f.mu.Lock()
	obj, ok := f.objects[r.URL.Path]
	f.mu.Unlock()
	if ok {
		reply(http.StatusOK, obj)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if i := slices.Index(parts, "namespaces"); i >= 0 && len(parts)-i == 3 {
		// A list: helm's release storage looks for releases of the name. None.
		kind := map[string]string{"secrets": "SecretList", "configmaps": "ConfigMapList"}[parts[i+2]]
		if kind == "" {
			kind = "List"
		}
		reply(http.StatusOK, map[string]any{"kind": kind, "apiVersion": "v1", "metadata": map[string]any{"resourceVersion": "1"}, "items": []any{}})
		return
	} else if i < 0 || len(parts)-i != 4 {
		f.note(r) // not a single namespaced object: a request the fake does not know
	}
	reply(http.StatusNotFound, status(http.StatusNotFound, "NotFound", r.URL.Path))
}

func (f *fakeAPI) note(r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unknown = append(f.unknown, r.Method+" "+r.URL.String())
}

func status(code int, reason, msg string) map[string]any {
	return map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": msg + " not found", "reason": reason, "code": code}
}
