package armclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fakes: an Entra ID authority, ARM, a blob host and a foreign host,
// each an httptest TLS server on 127.0.0.1 (distinct ports, so distinct
// hosts) with a certificate from a CA made for the test run. Every request
// any of them receives is logged with its Authorization header, so tests
// can check where tokens went.

const (
	testTenant   = "00000000-0000-0000-0000-000000000001"
	testClientID = "11111111-1111-1111-1111-111111111111"
	testSecret   = "s3cr3t-VALUE-never-logged"
	testAccount  = "123456"
)

// testCA is a CA and a leaf for 127.0.0.1, made once per test binary.
var testCA = sync.OnceValues(func() (*x509.CertPool, tls.Certificate) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "armclient test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		panic(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
})

type logEntry struct {
	server, method, path, query, auth string
}

type fakeEnv struct {
	t                      *testing.T
	aad, arm, blob, other  *httptest.Server
	httpClient             *http.Client
	mu                     sync.Mutex
	log                    []logEntry
	tokenLifetime          int // seconds
	issued                 int
	valid                  map[string]bool
	wantSecret             string
	tokenRequests          []map[string]string
	armHandler, blobHander http.HandlerFunc
	refuseAll              bool // ARM accepts no token
}

func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	pool, leaf := testCA()
	e := &fakeEnv{t: t, tokenLifetime: 3600, valid: map[string]bool{}, wantSecret: testSecret}
	start := func(name string, h http.HandlerFunc) *httptest.Server {
		s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.mu.Lock()
			e.log = append(e.log, logEntry{server: name, method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization")})
			e.mu.Unlock()
			h(w, r)
		}))
		s.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
		s.StartTLS()
		t.Cleanup(s.Close)
		return s
	}
	e.aad = start("aad", e.serveAAD)
	e.arm = start("arm", e.serveARM)
	e.blob = start("blob", func(w http.ResponseWriter, r *http.Request) {
		if e.blobHander == nil {
			http.NotFound(w, r)
			return
		}
		e.blobHander(w, r)
	})
	e.other = start("other", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "should not be called", 500) })
	e.httpClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	t.Cleanup(e.checkNoTokenLeak)
	return e
}

// checkNoTokenLeak: only ARM ever sees an Authorization header.
func (e *fakeEnv) checkNoTokenLeak() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range e.log {
		if l.server != "arm" && l.auth != "" {
			e.t.Errorf("%s %s on the %s host carried an Authorization header", l.method, l.path, l.server)
		}
		if l.server == "other" {
			e.t.Errorf("the foreign host was called: %s %s", l.method, l.path)
		}
	}
}

func (e *fakeEnv) requests(server string) []logEntry {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []logEntry
	for _, l := range e.log {
		if l.server == server {
			out = append(out, l)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	switch v := v.(type) {
	case string:
		_, _ = w.Write([]byte(v))
	case []byte:
		_, _ = w.Write(v)
	default:
		_ = json.NewEncoder(w).Encode(v)
	}
}

// serveAAD answers MSAL's OpenID discovery and the client-credentials token
// request.
func (e *fakeEnv) serveAAD(w http.ResponseWriter, r *http.Request) {
	base := e.aad.URL
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/"+testTenant+"/v2.0/.well-known/openid-configuration":
		writeJSON(w, 200, map[string]any{
			"token_endpoint":         base + "/" + testTenant + "/oauth2/v2.0/token",
			"authorization_endpoint": base + "/" + testTenant + "/oauth2/v2.0/authorize",
			"issuer":                 base + "/" + testTenant + "/v2.0",
		})
	case r.Method == http.MethodPost && r.URL.Path == "/"+testTenant+"/oauth2/v2.0/token":
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		e.mu.Lock()
		e.tokenRequests = append(e.tokenRequests, form)
		e.mu.Unlock()
		if form["client_id"] != testClientID {
			writeJSON(w, 400, `{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'x' was not found in the directory.\r\nTrace ID: 1"}`)
			return
		}
		if s, ok := form["client_secret"]; ok && s != e.wantSecret {
			writeJSON(w, 401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 2\r\nCorrelation ID: 3","error_codes":[7000215]}`)
			return
		}
		if _, ok := form["client_secret"]; !ok && form["client_assertion"] == "" {
			writeJSON(w, 400, `{"error":"invalid_request","error_description":"AADSTS900144: no credential"}`)
			return
		}
		e.mu.Lock()
		e.issued++
		tok := fmt.Sprintf("eyJ0eXAiOiJKV1QifQ.eyJ0b2tlbiI6%d.c2ln", e.issued)
		e.valid[tok] = true
		life := e.tokenLifetime
		e.mu.Unlock()
		writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": life, "ext_expires_in": life, "access_token": tok})
	default:
		http.NotFound(w, r)
	}
}

// serveARM checks the bearer token, then hands over to the test's handler.
func (e *fakeEnv) serveARM(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	e.mu.Lock()
	valid := ok && e.valid[tok] && !e.refuseAll
	h := e.armHandler
	e.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`)
		writeJSON(w, 401, `{"error":{"code":"ExpiredAuthenticationToken","message":"The access token expiry UTC time is earlier than current UTC time."}}`)
		return
	}
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

// expireTokens makes ARM refuse every token issued so far.
func (e *fakeEnv) expireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.valid)
}

func (e *fakeEnv) setARM(h http.HandlerFunc) {
	e.mu.Lock()
	e.armHandler = h
	e.mu.Unlock()
}

// fakeClock replaces the client's clock: sleeping advances it at once.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	return ctx.Err()
}

func (f *fakeClock) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

type observed struct {
	mu    sync.Mutex
	codes []string // report/code
	rates map[string]float64
}

func (o *observed) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.codes...)
}

// client builds a Client against the fakes with a client-secret credential.
func (e *fakeEnv) client(t *testing.T, mutate ...func(*Config, *CredentialOptions)) (*Client, *fakeClock, *observed) {
	t.Helper()
	co := CredentialOptions{TenantID: testTenant, ClientID: testClientID, ClientSecret: testSecret, AuthorityHost: e.aad.URL, HTTPClient: e.httpClient}
	obs := &observed{rates: map[string]float64{}}
	cfg := Config{
		BillingAccount: testAccount,
		Endpoint:       e.arm.URL,
		HTTPClient:     e.httpClient,
		Retry:          Retry{MaxAttempts: 4, InitialBackoff: time.Second, MaxBackoff: 8 * time.Second, MaxElapsed: 5 * time.Minute},
		Observe: func(report, code string) {
			obs.mu.Lock()
			obs.codes = append(obs.codes, report+"/"+code)
			obs.mu.Unlock()
		},
		RateLimit: func(report, header string, v float64) {
			obs.mu.Lock()
			obs.rates[report+" "+header] = v
			obs.mu.Unlock()
		},
		TempDir: t.TempDir(),
	}
	for _, m := range mutate {
		m(&cfg, &co)
	}
	if cfg.Credential == nil {
		cred, err := NewCredential(co)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Credential = cred
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: testNow}
	c.now, c.sleep = clk.Now, clk.Sleep
	t.Cleanup(c.Close)
	return c, clk, obs
}

// fixture returns responses[status].body (or .headers) of a verbatim
// swagger example in testdata.
func fixture(t *testing.T, file, status, part string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]map[string]json.RawMessage `json:"responses"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	v, ok := ex.Responses[status][part]
	if !ok {
		t.Fatalf("%s: no responses[%s].%s", file, status, part)
	}
	return v
}
