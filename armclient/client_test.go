package armclient

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

var balanceOK = `{"id":"/providers/Microsoft.Billing/billingAccounts/123456/billingPeriods/202603/providers/Microsoft.Consumption/balances/b","properties":{"currency":"EUR ","beginningBalance":10,"endingBalance":5,"utilized":5}}`

// scripted answers the ARM requests in turn with the given responders; the
// last one repeats.
func scripted(steps ...func(w http.ResponseWriter)) http.HandlerFunc {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s := steps[min(i, len(steps)-1)]
		i++
		mu.Unlock()
		s(w)
	}
}

func status(code int, headers map[string]string, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		writeJSON(w, code, body)
	}
}

func TestThrottling(t *testing.T) {
	throttled := `{"error":{"code":"429","message":"Too many requests. Please retry."}}`
	unavailable := `{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unavailable."}}`
	ok := status(200, nil, balanceOK)
	for _, tc := range []struct {
		name      string
		steps     []func(w http.ResponseWriter)
		wantWaits []time.Duration
		wantCodes []string
		wantErr   string
		wantKind  Kind
	}{
		{name: "429 Retry-After", steps: []func(http.ResponseWriter){status(429, map[string]string{"Retry-After": "7"}, throttled), ok},
			wantWaits: []time.Duration{7 * time.Second}, wantCodes: []string{"429", "200"}},
		{name: "429 consumption header", steps: []func(http.ResponseWriter){status(429, map[string]string{"x-ms-ratelimit-microsoft.consumption-retry-after": "9"}, throttled), ok},
			wantWaits: []time.Duration{9 * time.Second}},
		{name: "429 largest of Retry-After and consumption", steps: []func(http.ResponseWriter){status(429, map[string]string{"Retry-After": "3", "x-ms-ratelimit-microsoft.consumption-retry-after": "11"}, throttled), ok},
			wantWaits: []time.Duration{11 * time.Second}},
		{name: "429 cost management qpu/entity/tenant/client", steps: []func(http.ResponseWriter){status(429, map[string]string{
			"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after":    "12",
			"x-ms-ratelimit-microsoft.costmanagement-entity-retry-after": "4",
			"x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after": "20",
			"x-ms-ratelimit-microsoft.costmanagement-client-retry-after": "2",
		}, throttled), ok}, wantWaits: []time.Duration{20 * time.Second}},
		{name: "429 retry-after-ms", steps: []func(http.ResponseWriter){status(429, map[string]string{"retry-after-ms": "1500"}, throttled), ok},
			wantWaits: []time.Duration{1500 * time.Millisecond}},
		{name: "503 Retry-After", steps: []func(http.ResponseWriter){status(503, map[string]string{"Retry-After": "5"}, unavailable), ok},
			wantWaits: []time.Duration{5 * time.Second}, wantCodes: []string{"503", "200"}},
		{name: "5xx exhausted", steps: []func(http.ResponseWriter){status(500, map[string]string{"Retry-After": "1"}, `{"error":{"code":"InternalServerError","message":"boom"}}`)},
			wantWaits: []time.Duration{time.Second, time.Second, time.Second}, wantCodes: []string{"500", "500", "500", "500"},
			wantErr: "balance_summary: HTTP 500 Internal Server Error (server error): InternalServerError: boom (after 4 attempts)", wantKind: KindServer},
		{name: "retry header past the budget", steps: []func(http.ResponseWriter){status(429, map[string]string{"x-ms-ratelimit-microsoft.consumption-retry-after": "3600"}, throttled)},
			wantWaits: nil, wantCodes: []string{"429"}, wantErr: "past the retry budget", wantKind: KindThrottled},
		{name: "400 not retried", steps: []func(http.ResponseWriter){status(400, nil, `{"error":{"code":"BadRequest","message":"Invalid billing period."}}`)},
			wantCodes: []string{"400"}, wantErr: "HTTP 400 Bad Request (bad request): BadRequest: Invalid billing period.", wantKind: KindBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t)
			e.setARM(scripted(tc.steps...))
			c, clk, obs := e.client(t)
			_, _, err := c.BalanceSummary(context.Background(), "202603", "")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if k, _ := KindOf(err); k != tc.wantKind {
					t.Errorf("kind %v, want %v", k, tc.wantKind)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if w := clk.waits(); !slices.Equal(w, tc.wantWaits) {
				t.Errorf("waits %v, want %v", w, tc.wantWaits)
			}
			if tc.wantCodes != nil {
				var want []string
				for _, c := range tc.wantCodes {
					want = append(want, "balance_summary/"+c)
				}
				if got := obs.get(); !slices.Equal(got, want) {
					t.Errorf("observed %v, want %v", got, want)
				}
			}
		})
	}
}

func TestBackoffWithoutHeader(t *testing.T) {
	e := newFakeEnv(t)
	e.setARM(scripted(status(503, nil, ""), status(502, nil, "<html>bad gateway</html>"), status(200, nil, balanceOK)))
	c, clk, _ := e.client(t)
	if _, _, err := c.BalanceSummary(context.Background(), "202603", ""); err != nil {
		t.Fatal(err)
	}
	w := clk.waits()
	if len(w) != 2 || w[0] < 500*time.Millisecond || w[0] > time.Second || w[1] < time.Second || w[1] > 2*time.Second {
		t.Errorf("waits %v, want jittered 1s then 2s", w)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	e := newFakeEnv(t)
	e.setARM(scripted(status(200, map[string]string{
		"x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests": "DefaultQuota:7",
		"x-ms-ratelimit-microsoft.costmanagement-qpu-remaining":             "QueriesPerHour:597,QueriesPerMin:57,QueriesPer10Sec:9",
		"x-ms-ratelimit-remaining-tenant-reads":                             "11999",
		"x-ms-ratelimit-microsoft.costmanagement-qpu-consumed":              "2",
	}, balanceOK)))
	c, _, obs := e.client(t)
	if _, _, err := c.BalanceSummary(context.Background(), "202603", ""); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"balance_summary x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests:DefaultQuota": 7,
		"balance_summary x-ms-ratelimit-microsoft.costmanagement-qpu-remaining:QueriesPerHour":           597,
		"balance_summary x-ms-ratelimit-microsoft.costmanagement-qpu-remaining:QueriesPerMin":            57,
		"balance_summary x-ms-ratelimit-microsoft.costmanagement-qpu-remaining:QueriesPer10Sec":          9,
		"balance_summary x-ms-ratelimit-remaining-tenant-reads":                                          11999,
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.rates) != len(want) {
		t.Errorf("rates %v", obs.rates)
	}
	for k, v := range want {
		if obs.rates[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, obs.rates[k], v, obs.rates)
		}
	}
}

func TestAuthFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mutate    func(*Config, *CredentialOptions)
		arm       func(w http.ResponseWriter)
		expire    bool
		wantErr   []string
		wantKind  Kind
		wantARM   int
		forbidden []string
	}{
		{name: "wrong secret", mutate: func(_ *Config, co *CredentialOptions) { co.ClientSecret = "wrong-secret-value" },
			wantErr:  []string{"balance_summary: authentication failed: acquiring a token: token request refused from 127.0.0.1", "HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided."},
			wantKind: KindAuth, forbidden: []string{"wrong-secret-value", testSecret, "Trace ID"}},
		{name: "unknown client", mutate: func(_ *Config, co *CredentialOptions) { co.ClientID = "99999999-9999-9999-9999-999999999999" },
			wantErr: []string{"AADSTS700016"}, wantKind: KindAuth},
		{name: "missing role", arm: status(403, nil, `{"error":{"code":"AuthorizationFailed","message":"The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.Consumption/balances/read' over scope '/providers/Microsoft.Billing/billingAccounts/123456'."}}`),
			wantErr:  []string{"balance_summary: HTTP 403 Forbidden (forbidden): AuthorizationFailed: The client 'x'", "EnrollmentReader", "DepartmentReader cannot see the balance"},
			wantKind: KindForbidden, wantARM: 1},
		{name: "token always refused", expire: true, arm: status(200, nil, balanceOK),
			wantErr:  []string{"HTTP 401 Unauthorized (unauthorized): ExpiredAuthenticationToken", "EA billing role", "after 2 attempts"},
			wantKind: KindUnauthorized, wantARM: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t)
			if tc.arm != nil {
				e.setARM(scripted(tc.arm))
			}
			if tc.expire {
				e.refuseAll = true
			}
			var mutate []func(*Config, *CredentialOptions)
			if tc.mutate != nil {
				mutate = append(mutate, tc.mutate)
			}
			c, _, _ := e.client(t, mutate...)
			_, _, err := c.BalanceSummary(context.Background(), "202603", "")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			for _, f := range tc.forbidden {
				if strings.Contains(err.Error(), f) {
					t.Errorf("error %q contains %q", err, f)
				}
			}
			if strings.Contains(err.Error(), "eyJ") {
				t.Errorf("error leaks a token: %v", err)
			}
			if k, _ := KindOf(err); k != tc.wantKind {
				t.Errorf("kind %v, want %v", k, tc.wantKind)
			}
			if n := len(e.requests("arm")); n != tc.wantARM {
				t.Errorf("%d ARM requests, want %d", n, tc.wantARM)
			}
		})
	}
}

// TestTokenRenewedMidRefresh: the token expires between two pages of one
// refresh; the second page carries a new token.
func TestTokenRenewedMidRefresh(t *testing.T) {
	e := newFakeEnv(t)
	// Tokens that expire within MSAL's and azcore's five-minute refresh
	// margin: the next request must fetch a new one.
	e.tokenLifetime = 60
	var mu sync.Mutex
	var tokens []string
	e.setARM(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Query().Get("$skiptoken") == "" {
			// The token expires now: ARM refuses it from here on.
			e.expireTokens()
			writeJSON(w, 200, `{"value":[],"nextLink":"`+e.arm.URL+r.URL.Path+`?api-version=2024-08-01&$skiptoken=p2"}`)
			return
		}
		writeJSON(w, 200, `{"value":[{"properties":{"reservationId":"r","usageDate":"2026-03-01T00:00:00-08:00","reservedHours":24,"usedHours":24}}]}`)
	})
	c, _, _ := e.client(t)
	rows, _, err := c.ReservationUsage(context.Background(), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tokens) < 2 || tokens[0] == tokens[len(tokens)-1] {
		t.Errorf("tokens presented: %d, first and last equal: the token was not renewed", len(tokens))
	}
	if n := len(e.requests("aad")); n < 3 { // discovery + 2 token requests
		t.Errorf("%d authority requests", n)
	}
	for _, f := range e.tokenRequests {
		if !slices.Contains(strings.Fields(f["scope"]), e.arm.URL+"/.default") || f["grant_type"] != "client_credentials" {
			t.Errorf("token request %v", f)
		}
	}
}

func TestTransportErrorObserved(t *testing.T) {
	e := newFakeEnv(t)
	c, _, obs := e.client(t, func(c *Config, _ *CredentialOptions) { c.Retry.MaxAttempts = 1 })
	e.arm.Close()
	_, _, err := c.BalanceSummary(context.Background(), "202603", "")
	if k, _ := KindOf(err); k != KindTransport {
		t.Fatalf("err %v", err)
	}
	if got := obs.get(); !slices.Equal(got, []string{"balance_summary/error"}) {
		t.Errorf("observed %v", got)
	}
}

func selfSignedPEM(t *testing.T, notAfter time.Time) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "armclient"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
}

func TestCredentials(t *testing.T) {
	notAfter := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	certPEM := selfSignedPEM(t, notAfter)
	tokenFile := filepath.Join(t.TempDir(), "federated")
	if err := os.WriteFile(tokenFile, []byte("federated-token-value"), 0o600); err != nil {
		t.Fatal(err)
	}
	secretExpiry := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		opts       func(co *CredentialOptions)
		wantForm   map[string]string
		wantKind   string
		wantExpiry time.Time
	}{
		{name: "secret", opts: func(co *CredentialOptions) { co.SecretExpiry = secretExpiry },
			wantForm: map[string]string{"client_secret": testSecret}, wantKind: billing.CredentialClientSecret, wantExpiry: secretExpiry},
		{name: "secret without expiry", opts: func(co *CredentialOptions) {}, wantForm: map[string]string{"client_secret": testSecret}},
		{name: "certificate", opts: func(co *CredentialOptions) { co.ClientSecret, co.CertificatePEM = "", certPEM },
			wantForm: map[string]string{"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, wantKind: billing.CredentialClientCert, wantExpiry: notAfter},
		{name: "workload identity", opts: func(co *CredentialOptions) {
			co.ClientSecret, co.WorkloadIdentity, co.TokenFilePath = "", true, tokenFile
		}, wantForm: map[string]string{"client_assertion": "federated-token-value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFakeEnv(t)
			e.setARM(scripted(status(200, nil, balanceOK)))
			c, _, _ := e.client(t, func(_ *Config, co *CredentialOptions) { tc.opts(co) })
			if _, _, err := c.BalanceSummary(context.Background(), "202603", ""); err != nil {
				t.Fatal(err)
			}
			if len(e.tokenRequests) != 1 {
				t.Fatalf("%d token requests", len(e.tokenRequests))
			}
			for k, v := range tc.wantForm {
				if got := e.tokenRequests[0][k]; got != v {
					t.Errorf("token request %s = %q, want %q", k, got, v)
				}
			}
			kind, exp, ok := c.CredentialExpiry()
			if ok != !tc.wantExpiry.IsZero() || kind != tc.wantKind || !exp.Equal(tc.wantExpiry) {
				t.Errorf("CredentialExpiry = %q %v %v, want %q %v", kind, exp, ok, tc.wantKind, tc.wantExpiry)
			}
		})
	}
}

func TestCredentialExpiryOverride(t *testing.T) {
	e := newFakeEnv(t)
	exp := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	c, _, _ := e.client(t, func(c *Config, _ *CredentialOptions) {
		c.CredentialKind, c.CredentialExpiry = billing.CredentialClientSecret, exp
	})
	if k, got, ok := c.CredentialExpiry(); !ok || k != billing.CredentialClientSecret || !got.Equal(exp) {
		t.Errorf("%q %v %v", k, got, ok)
	}
}

func TestNewCredentialValidation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    CredentialOptions
		wantErr string
	}{
		{"none", CredentialOptions{TenantID: "t", ClientID: "c"}, "exactly one of"},
		{"two", CredentialOptions{TenantID: "t", ClientID: "c", ClientSecret: "topsecret", ManagedIdentity: true}, "exactly one of"},
		{"secret without tenant", CredentialOptions{ClientID: "c", ClientSecret: "s"}, "tenant id and client id are required"},
		{"bad PEM", CredentialOptions{TenantID: "t", ClientID: "c", CertificatePEM: []byte("nope")}, "client certificate"},
		{"http authority", CredentialOptions{TenantID: "t", ClientID: "c", ClientSecret: "s", AuthorityHost: "http://login.example/"}, "want an https URL"},
		{"unknown cloud", CredentialOptions{TenantID: "t", ClientID: "c", ClientSecret: "topsecret", Cloud: "mars"}, "unknown cloud"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCredential(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "topsecret") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		opts CredentialOptions
		kind string
	}{
		{"managed system-assigned", CredentialOptions{ManagedIdentity: true}, CredentialManagedIdentity},
		{"managed user-assigned", CredentialOptions{ManagedIdentity: true, ClientID: testClientID}, CredentialManagedIdentity},
		{"secret in china", CredentialOptions{TenantID: "t", ClientID: "c", ClientSecret: "s", Cloud: CloudChina}, billing.CredentialClientSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCredential(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind() != tc.kind || strings.Contains(c.String()+c.GoString(), "s}") {
				t.Errorf("kind %q, %s", c.Kind(), c)
			}
		})
	}
}

func TestNewValidation(t *testing.T) {
	cred, err := NewCredential(CredentialOptions{ManagedIdentity: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no account", Config{Credential: cred}, "billing account"},
		{"no credential", Config{BillingAccount: "1"}, "credential is nil"},
		{"http endpoint", Config{BillingAccount: "1", Credential: cred, Endpoint: "http://management.azure.com"}, "want an absolute https URL"},
		{"unknown cloud", Config{BillingAccount: "1", Credential: cred, Cloud: "mars"}, "unknown cloud"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	for cloudName, want := range map[string]string{"": "https://management.azure.com", CloudUSGovernment: "https://management.usgovcloudapi.net", CloudChina: "https://management.chinacloudapi.cn"} {
		c, err := New(Config{BillingAccount: "1", Credential: cred, Cloud: cloudName})
		if err != nil {
			t.Fatal(err)
		}
		if c.base.String() != want || c.cfg.TokenScope != want+"/.default" {
			t.Errorf("cloud %q: endpoint %s scope %s", cloudName, c.base, c.cfg.TokenScope)
		}
	}
}

func TestErrorParsingAndRedaction(t *testing.T) {
	for _, tc := range []struct {
		name, body, code, msg string
	}{
		{"arm", `{"error":{"code":"AuthorizationFailed","message":"no"}}`, "AuthorizationFailed", "no"},
		{"numeric code", `{"error":{"code":429,"message":"Too many requests. Please retry."}}`, "429", "Too many requests. Please retry."},
		{"v5 details only", `{"error":{"code":"X","message":"","details":[{"code":"Y","message":"inner"}],"additionalInfo":[]}}`, "X", "inner"},
		{"top level", `{"code":"NotFound","message":"gone"}`, "NotFound", "gone"},
		{"storage xml", `<?xml version="1.0"?><Error><Code>AuthenticationFailed</Code><Message>Signature not valid.
RequestId:1</Message></Error>`, "AuthenticationFailed", "Signature not valid."},
		{"text with token", `upstream said Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln and https://x.blob/y?sv=1&sig=abc`, "", "upstream said Authorization: Bearer <redacted> and https://x.blob/y?sv=1&sig=<redacted>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := parseServiceError([]byte(tc.body))
			if code != tc.code || msg != tc.msg {
				t.Errorf("got %q %q, want %q %q", code, msg, tc.code, tc.msg)
			}
		})
	}
	e := &Error{Report: "x", Kind: KindTransport, Err: errors.New("Get https://a/b?sig=SECRET: eyJabcdefgh.eyJpayload.sig")}
	if s := e.Error(); strings.Contains(s, "SECRET") || strings.Contains(s, "eyJ") {
		t.Errorf("unredacted: %s", s)
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		h    map[string]string
		want time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "30"}, 30 * time.Second},
		{"http date", map[string]string{"Retry-After": now.Add(45 * time.Second).Format(http.TimeFormat)}, 45 * time.Second},
		{"ms", map[string]string{"x-ms-retry-after-ms": "250"}, 250 * time.Millisecond},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
		{"ratelimit, ignoring other x-ms headers", map[string]string{"x-ms-ratelimit-microsoft.consumption-retry-after": "8", "x-ms-ratelimit-remaining-tenant-reads": "100"}, 8 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.h {
				h.Set(k, v)
			}
			if got := retryAfter(h, now); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
