package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/testproc"
)

// TestARMEndToEnd runs the exporter binary with a source: arm enrollment
// against ea-simulator --mode arm: Entra ID tokens for a client secret or
// a client certificate through the Azure SDK, ARM over HTTPS trusted
// through SSL_CERT_FILE as an operator would. Every report is up, usage and
// marketplace read from the Cost Details report's CSV blobs; a wrong
// secret is a failure that names the cause.
func TestARMEndToEnd(t *testing.T) {
	const at = "2026-12-01T00:30:00Z"
	dir := t.TempDir()
	simAddr := testproc.FreeAddr(t)
	files := map[string]string{}
	for _, f := range []string{"ca", "secret", "cert", "info", "key"} {
		files[f] = filepath.Join(dir, f)
	}
	startProc(t, "ea-simulator", "--mode", "arm", "--listen-address", simAddr, "--clock-start", at, "--rows-per-day", "5", "--seed", "9",
		"--ca-file", files["ca"], "--client-secret-file", files["secret"], "--client-cert-file", files["cert"], "--arm-info-file", files["info"], "--async-polls=-1", "--key-file", files["key"])
	testproc.WaitFor(t, time.Now().Add(15*time.Second), "the simulator's files", func() bool {
		_, err := os.Stat(files["info"])
		return err == nil
	})
	var info struct {
		TenantID      string `json:"tenant_id"`
		ClientID      string `json:"client_id"`
		ARMEndpoint   string `json:"arm_endpoint"`
		AuthorityHost string `json:"authority_host"`
	}
	b, _ := os.ReadFile(files["info"])
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	// The binary trusts the fake's CA as an operator's would trust a
	// corporate one: through the system pool's SSL_CERT_FILE.
	t.Setenv("SSL_CERT_FILE", files["ca"])
	wrong := filepath.Join(dir, "wrong.secret")
	if err := os.WriteFile(wrong, []byte("not-the-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The same enrollment through the EA Reporting API, which the simulator
	// serves beside ARM: the usage and marketplace cost both sources serve
	// must be equal.
	eaCfg := filepath.Join(dir, "ea.yml")
	if err := os.WriteFile(eaCfg, []byte(fmt.Sprintf("enrollments: [{ number: \"100\", api_key_file: %s, base_url: %q }]\n", files["key"], info.ARMEndpoint)), 0o600); err != nil {
		t.Fatal(err)
	}
	eaAddr := testproc.FreeAddr(t)
	startProc(t, "azure_ea_exporter", "--config.file", eaCfg, "--web.listen-address", eaAddr, "--testing.clock-start", at)
	waitHTTP(t, "http://"+eaAddr+"/-/ready", 200)
	_, eaBody := get(t, "http://"+eaAddr+"/metrics")
	viaEA := parseSamples(eaBody)

	for _, tc := range []struct {
		name, credential string
		up               bool
		wantErr          string
	}{
		{"client secret", "client_secret_file: " + files["secret"], true, ""},
		{"client certificate", "client_certificate_file: " + files["cert"], true, ""},
		{"wrong secret", "client_secret_file: " + wrong, false, "AADSTS7000215"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "azure_ea_exporter.yml")
			y := fmt.Sprintf(`enrollments:
  - number: "100"
    source: arm
    tenant_id: %q
    client_id: %q
    %s
    arm_endpoint: %q
    authority_host: %q
reports: { price_sheet: { enabled: true } }
`, info.TenantID, info.ClientID, tc.credential, info.ARMEndpoint, info.AuthorityHost)
			if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
				t.Fatal(err)
			}
			addr := testproc.FreeAddr(t)
			exp := startProc(t, "azure_ea_exporter", "--config.file", cfg, "--web.listen-address", addr, "--testing.clock-start", at)
			url := "http://" + addr
			waitHTTP(t, url+"/-/ready", 200)
			_, body := get(t, url+"/metrics")
			m := parseSamples(body)
			for _, r := range []string{"billing_periods", "balance_summary", "usage_details", "marketplace_charges", "price_sheet", "reservation_details", "reservation_charges"} {
				v, ok := m[`azure_ea_up{enrollment="100",report="`+r+`"}`]
				if !ok || (v == 1) != tc.up {
					t.Errorf("%s: up %v (served %v), want up %v", r, v, ok, tc.up)
				}
			}
			_, status := get(t, url+"/status")
			if tc.up {
				compared := 0
				for k, v := range viaEA {
					if strings.HasPrefix(k, "azure_ea_usage_cost{") || strings.HasPrefix(k, "azure_ea_marketplace_cost{") {
						if got, ok := m[k]; !ok || math.Abs(got-v) > 1e-6*math.Max(1, math.Abs(v)) {
							t.Errorf("%s: EA %v, ARM %v (served %v)", k, v, got, ok)
						}
						compared++
					}
				}
				if compared < 20 || countPrefix(m, "azure_ea_usage_cost{", "") != countPrefix(viaEA, "azure_ea_usage_cost{", "") {
					t.Errorf("usage series: ARM %d, EA %d (%d compared)", countPrefix(m, "azure_ea_usage_cost{", ""), countPrefix(viaEA, "azure_ea_usage_cost{", ""), compared)
				}
				if m[`azure_ea_enrollment_info{currency="USD",enrollment="100"}`] != 1 {
					t.Error("no currency from the ARM balance")
				}
				if countPrefix(m, "azure_ea_reservation_utilization_ratio{", `window="7d"`) == 0 {
					t.Error("no reservation utilisation")
				}
				if tc.credential[:len("client_certificate")] == "client_certificate" && countPrefix(m, "azure_ea_credential_expiry_timestamp_seconds{", `kind="client_certificate"`) != 1 {
					t.Error("the certificate's expiry is not exported")
				}
			} else if !strings.Contains(status, tc.wantErr) || !strings.Contains(exp.Output(), tc.wantErr) {
				t.Errorf("the cause %s is not on /status and in the log", tc.wantErr)
			}
			secret, _ := os.ReadFile(files["secret"])
			for _, page := range []string{body, status, exp.Output()} {
				if s := strings.TrimSpace(string(secret)); s != "" && strings.Contains(page, s) {
					t.Error("the client secret is served or logged")
				}
			}
		})
	}
}
