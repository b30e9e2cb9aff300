package main

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

func TestARMSetup(t *testing.T) {
	dir := t.TempDir()
	app := kingpin.New("test", "")
	var f armFlags
	f.register(app)
	if _, err := app.Parse([]string{
		"--ca-file", filepath.Join(dir, "ca.pem"), "--client-secret-file", filepath.Join(dir, "secret"),
		"--client-cert-file", filepath.Join(dir, "client.pem"), "--arm-info-file", filepath.Join(dir, "arm.json"),
		"--token-lifetime", "10m", "--deny-route", "reservation_transactions",
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	sim := simulator.New(simulator.Options{UsageRowsPerDay: 5, Now: func() time.Time { return now }})
	arm, tt, err := f.setup(sim, "127.0.0.1:10169")
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var info armInfo
	if err := json.Unmarshal(read("arm.json"), &info); err != nil {
		t.Fatal(err)
	}
	if info.TenantID != arm.TenantID() || info.ClientID != arm.ClientID() || info.ARMEndpoint != "https://127.0.0.1:10169" ||
		info.AuthorityHost != "https://127.0.0.1:10169/" || info.IdentityEndpoint != "https://127.0.0.1:10169/msi/token" || info.Enrollment != "100" {
		t.Errorf("info %+v", info)
	}
	secret := strings.TrimSpace(string(read("secret")))
	if secret != arm.ClientSecret() {
		t.Errorf("secret file %q", secret)
	}
	if !strings.Contains(string(read("client.pem")), "PRIVATE KEY") {
		t.Error("client certificate file without a key")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(read("ca.pem")) {
		t.Fatal("CA file is not PEM")
	}

	ts := httptest.NewUnstartedServer(arm)
	ts.TLS = tt.ServerConfig
	ts.StartTLS()
	defer ts.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = pool // the CA file is enough to trust the server
	c := &http.Client{Transport: tr}
	resp, err := c.PostForm(ts.URL+"/"+info.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {info.ClientID}, "client_secret": {secret}, "scope": {"https://management.azure.com/.default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" || tok.ExpiresIn != 600 {
		t.Fatalf("token %d %+v", resp.StatusCode, tok)
	}
	get := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get("/providers/Microsoft.Billing/billingAccounts/100/providers/Microsoft.Consumption/balances?api-version=2024-08-01"); st != 200 {
		t.Errorf("balances: %d", st)
	}
	if st := get("/providers/Microsoft.Billing/billingAccounts/100/providers/Microsoft.Consumption/reservationTransactions?api-version=2024-08-01"); st != 403 {
		t.Errorf("denied route: %d", st)
	}
}
