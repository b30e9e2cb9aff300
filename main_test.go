package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/testproc"
)

var update = flag.Bool("update", false, "rewrite testdata/e2e-output.txt")

// buildBinaries builds the exporter and the simulator once per test run.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "azure_ea_exporter_e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, pkg := range []struct{ out, path string }{{"azure_ea_exporter", "."}, {"ea-simulator", "./cmd/ea-simulator"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, pkg.out), pkg.path)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", pkg.path, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startProc starts one of the binaries built for the test run.
func startProc(t *testing.T, name string, args ...string) *testproc.Proc {
	t.Helper()
	return testproc.Start(t, "", filepath.Join(binDir, name), args...)
}

func waitHTTP(t *testing.T, url string, want int) {
	t.Helper()
	testproc.WaitHTTP(t, url, want, time.Now().Add(30*time.Second))
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// e2eClock is the instant the end-to-end tests' simulator is frozen at.
const e2eClock = "2026-11-28T12:00:00Z"

// e2eEnv starts the simulator (frozen clock) and the exporter against it.
func e2eEnv(t *testing.T) (exporterURL, dir, configPath string, exp *testproc.Proc) {
	t.Helper()
	dir = t.TempDir()
	simAddr := testproc.FreeAddr(t)
	keyFile := filepath.Join(dir, "100.key")
	startProc(t, "ea-simulator", "--listen-address", simAddr, "--key-file", keyFile, "--clock", e2eClock,
		"--rows-per-day", "6", "--seed", "42", "--periods", "4")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(keyFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("simulator wrote no key")
		}
		time.Sleep(20 * time.Millisecond)
	}
	configPath = filepath.Join(dir, "azure_ea_exporter.yml")
	cfg := fmt.Sprintf(`enrollments:
  - number: "100"
    api_key_file: %s
    base_url: http://%s
reports:
  price_sheet: { enabled: true }
usage_details:
  dimensions: [department, meter_category]
  tags: { env: tag_env }
budgets:
  - { name: platform, enrollment: "100", amount: 50000, match: { department: Platform } }
`, keyFile, simAddr)
	if err := os.WriteFile(configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testproc.FreeAddr(t)
	// The exporter's clock starts where the simulator's stands: the golden
	// output must not depend on the day the test runs.
	exp = startProc(t, "azure_ea_exporter", "--config.file", configPath, "--web.listen-address", addr, "--log.level", "debug", "--testing.clock-start", e2eClock)
	exporterURL = "http://" + addr
	waitHTTP(t, exporterURL+"/-/ready", 200)
	return exporterURL, dir, configPath, exp
}

// volatile metrics change from run to run; the golden file leaves them out.
var volatile = []string{
	"azure_ea_last_success_timestamp_seconds", "azure_ea_last_change_timestamp_seconds", "azure_ea_refresh_duration_seconds",
	"azure_ea_exporter_config_last_reload_success_timestamp_seconds", "azure_ea_exporter_build_info",
	"go_", "process_", "promhttp_",
}

func stable(exposition string) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(exposition))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
lines:
	for sc.Scan() {
		l := sc.Text()
		name := l
		if strings.HasPrefix(l, "# ") {
			f := strings.Fields(l)
			if len(f) > 2 {
				name = f[2]
			}
		}
		for _, v := range volatile {
			if strings.HasPrefix(name, v) {
				continue lines
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

func TestEndToEnd(t *testing.T) {
	url, _, _, _ := e2eEnv(t)
	code, body := get(t, url+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	got := stable(body)
	golden := "testdata/e2e-output.txt"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("/metrics differs from %s (run go test -run TestEndToEnd -update . to accept):\n%s", golden, lineDiff(string(want), got))
	}

	t.Run("promtool check metrics", func(t *testing.T) {
		promtool, err := exec.LookPath("promtool")
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("promtool not installed; .ci/run installs Debian's prometheus package")
			}
			t.Skip("promtool not installed (apt-get install prometheus)")
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})

	t.Run("pages", func(t *testing.T) {
		for path, want := range map[string]string{
			"/":          `href="./metrics"`,
			"/status":    "reservation_charges",
			"/config":    "api_key_file:",
			"/-/healthy": "Healthy",
			"/-/ready":   "Ready",
		} {
			code, body := get(t, url+path)
			if code != 200 || !strings.Contains(body, want) {
				t.Errorf("%s: %d, want %q in\n%.500s", path, code, want, body)
			}
		}
		code, _ := get(t, url+"/-/reload")
		if code != http.StatusMethodNotAllowed {
			t.Errorf("GET /-/reload: %d", code)
		}
	})
}

func TestKeyNeverServedOrLogged(t *testing.T) {
	url, dir, _, exp := e2eEnv(t)
	key, _ := os.ReadFile(filepath.Join(dir, "100.key"))
	k := strings.TrimSpace(string(key))
	for _, path := range []string{"/", "/metrics", "/status", "/config"} {
		_, body := get(t, url+path)
		if strings.Contains(body, k) {
			t.Errorf("%s serves the API key", path)
		}
	}
	if strings.Contains(exp.Output(), k) {
		t.Error("the log contains the API key")
	}
}

func TestReloadAndShutdown(t *testing.T) {
	url, _, configPath, exp := e2eEnv(t)
	reloads := func() string {
		_, body := get(t, url+"/metrics")
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "azure_ea_exporter_config_last_reload_successful ") {
				return strings.TrimPrefix(l, "azure_ea_exporter_config_last_reload_successful ")
			}
		}
		return ""
	}
	if reloads() != "1" {
		t.Fatal("not loaded")
	}
	good, _ := os.ReadFile(configPath)
	// A broken file: the reload fails, the running configuration stays.
	if err := os.WriteFile(configPath, []byte("enrollments: [{number: x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(b), "enrollments[0] (line 1, column 15): exactly one of api_key_file, api_key, api_key_env is required") {
		t.Errorf("bad reload: %d %s", resp.StatusCode, b)
	}
	if reloads() != "0" {
		t.Error("reload failure not exported")
	}
	if _, body := get(t, url+"/metrics"); !strings.Contains(body, `azure_ea_balance_ending{billing_period="202611",enrollment="100"}`) {
		t.Error("the running configuration was dropped")
	}
	// SIGHUP with the good file back.
	if err := os.WriteFile(configPath, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := exp.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for reloads() != "1" {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// SIGTERM: a clean exit.
	if err := exp.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- exp.Cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("no exit within 15s of SIGTERM")
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	_ = os.WriteFile(good, []byte("enrollments: [{number: '1', api_key: k}]\n"), 0o600)
	bad := filepath.Join(dir, "bad.yml")
	_ = os.WriteFile(bad, []byte("enrollments: [{number: '1'}]\nreports: {usage: {}}\n"), 0o600)
	for _, tc := range []struct {
		file string
		code int
		want []string
	}{
		{good, 0, []string{"configuration is valid"}},
		{bad, 1, []string{"2 problem(s)", "enrollments[0] (line 1, column 15): exactly one of api_key_file, api_key, api_key_env is required", "reports.usage (line 2, column 11): unknown key"}},
		{filepath.Join(dir, "missing.yml"), 1, []string{"no such file or directory"}},
	} {
		cmd := exec.Command(filepath.Join(binDir, "azure_ea_exporter"), "--config.check", "--config.file", tc.file)
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.file, cmd.ProcessState.ExitCode(), tc.code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.file, w, out)
			}
		}
	}
}

func TestFlags(t *testing.T) {
	out, err := exec.Command(filepath.Join(binDir, "azure_ea_exporter"), "--help").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	// kingpin prints boolean flags as --[no-]name.
	for _, f := range []string{"--config.file=", "config.check ", "demo ", "--web.listen-address=", "--web.config.file=", "web.systemd-socket ",
		"--web.telemetry-path=", "web.disable-exporter-metrics ", "--log.level=", "--log.format=", "version ", ":10168", "azure_ea_exporter.yml"} {
		if !strings.Contains(string(out), f) {
			t.Errorf("--help lacks %s", f)
		}
	}
	out, err = exec.Command(filepath.Join(binDir, "azure_ea_exporter"), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "azure_ea_exporter, version") {
		t.Errorf("--version: %v %s", err, out)
	}
}

// TestDemo runs the quick start's first command, as a new user would.
func TestDemo(t *testing.T) {
	addr := testproc.FreeAddr(t)
	p := startProc(t, "azure_ea_exporter", "--demo", "--web.listen-address", addr)
	waitHTTP(t, "http://"+addr+"/-/ready", 200)
	_, body := get(t, "http://"+addr+"/metrics")
	for _, want := range []string{`azure_ea_up{enrollment="100",report="usage_details"} 1`, `azure_ea_enrollment_info{currency="EUR",enrollment="200"} 1`, "azure_ea_usage_cost{"} {
		if !strings.Contains(body, want) {
			t.Errorf("demo /metrics lacks %s", want)
		}
	}
	if !strings.Contains(p.Output(), "DEMO MODE") {
		t.Error("demo mode is not logged")
	}
}

func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	wset, gset := map[string]bool{}, map[string]bool{}
	for _, l := range wl {
		wset[l] = true
	}
	for _, l := range gl {
		gset[l] = true
	}
	var b strings.Builder
	n := 0
	for _, l := range wl {
		if !gset[l] && n < 40 {
			fmt.Fprintf(&b, "- %s\n", l)
			n++
		}
	}
	for _, l := range gl {
		if !wset[l] && n < 80 {
			fmt.Fprintf(&b, "+ %s\n", l)
			n++
		}
	}
	return b.String()
}

// TestTLSAndBasicAuth serves /metrics over TLS with basic auth through
// --web.config.file (exporter-toolkit), end to end.
func TestTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	writeTestFile(t, filepath.Join(dir, "cert.pem"), certPEM)
	writeTestFile(t, filepath.Join(dir, "key.pem"), keyPEM)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dir, "web.yml"), []byte(fmt.Sprintf(`tls_server_config:
  cert_file: %s
  key_file: %s
basic_auth_users:
  prometheus: %s
`, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), hash)))
	addr := testproc.FreeAddr(t)
	startProc(t, "azure_ea_exporter", "--demo", "--web.listen-address", addr, "--web.config.file", filepath.Join(dir, "web.yml"))

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}}
	url := "https://" + addr + "/metrics"
	do := func(user, pass string) (int, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := do("prometheus", "s3cret")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no TLS answer: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := do("prometheus", "s3cret"); code != 200 || !strings.Contains(body, "azure_ea_up") {
		t.Errorf("with credentials: %d", code)
	}
	if code, _ := do("", ""); code != 401 {
		t.Errorf("without credentials: %d", code)
	}
	if code, _ := do("prometheus", "wrong"); code != 401 {
		t.Errorf("wrong password: %d", code)
	}
	// Plain HTTP to the TLS port is refused.
	if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP served the metrics")
		}
	}
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// selfSigned makes a certificate for localhost and 127.0.0.1.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
