package simulator

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	testTLSOnce sync.Once
	testTLS     *TestTLS
	testTLSErr  error
)

func sharedTLS(t *testing.T) *TestTLS {
	t.Helper()
	testTLSOnce.Do(func() { testTLS, testTLSErr = NewTestTLS() })
	if testTLSErr != nil {
		t.Fatal(testTLSErr)
	}
	return testTLS
}

// wallClock is a settable WallNow.
type wallClock struct{ ns atomic.Int64 }

func newWall() *wallClock {
	c := &wallClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}
func (c *wallClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *wallClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

type armFixture struct {
	a      *ARM
	ts     *httptest.Server
	c      *http.Client
	wall   *wallClock
	token  string
	period string // a closed period with data
}

func newARMTest(t *testing.T, o Options, ao ARMOptions) *armFixture {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	if o.UsageRowsPerDay == 0 {
		o.UsageRowsPerDay = 20
	}
	wall := newWall()
	if ao.WallNow == nil {
		ao.WallNow = wall.now
	}
	a := NewARM(o, ao)
	tt := sharedTLS(t)
	ts := httptest.NewUnstartedServer(a)
	ts.TLS = tt.ServerConfig.Clone()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return &armFixture{a: a, ts: ts, c: tt.Client(), wall: wall, token: a.MintToken(), period: "202610"}
}

func (f *armFixture) url(path string) string {
	if strings.HasPrefix(path, "https://") {
		return path
	}
	return f.ts.URL + path
}

func (f *armFixture) acct() string {
	return "/providers/Microsoft.Billing/billingAccounts/" + f.a.Enrollment()
}

// do sends a request with the bearer token (none when token is "").
func (f *armFixture) do(t *testing.T, method, path, token, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.url(path), rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (f *armFixture) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return f.do(t, http.MethodGet, path, f.token, "")
}

// eaGet reads an EA route of the same server with the EA key.
func (f *armFixture) eaGet(t *testing.T, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.url(path), nil)
	req.Header.Set("Authorization", "Bearer "+f.a.Server().APIKey())
	resp, err := f.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("EA %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("EA %s: %v", path, err)
	}
}

func TestNewTestTLS(t *testing.T) {
	tt := sharedTLS(t)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	ts.TLS = tt.ServerConfig.Clone()
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	ts.StartTLS()
	defer ts.Close()
	_, port, _ := strings.Cut(strings.TrimPrefix(ts.URL, "https://"), ":")
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := tt.Client().Get("https://" + host + ":" + port + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
	}
	// Without the CA the certificate is refused.
	if resp, err := (&http.Client{}).Get(ts.URL); err == nil {
		resp.Body.Close()
		t.Error("an untrusting client accepted the certificate")
	}
	if !bytes.HasPrefix(tt.CAPEM, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Error("CAPEM is not a PEM certificate")
	}
}

func TestARMAuthority(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{TokenLifetime: 10 * time.Minute})
	a := f.a
	tenant := a.TenantID()

	resp, body := f.do(t, http.MethodGet, "/"+tenant+"/v2.0/.well-known/openid-configuration", "", "")
	var oidc map[string]any
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &oidc) != nil {
		t.Fatalf("openid-configuration: %d %s", resp.StatusCode, body)
	}
	for _, k := range []string{"token_endpoint", "issuer", "authorization_endpoint"} {
		if s, _ := oidc[k].(string); !strings.HasPrefix(s, f.ts.URL+"/"+tenant+"/") {
			t.Errorf("%s = %v, want on %s", k, oidc[k], f.ts.URL)
		}
	}
	resp, body = f.do(t, http.MethodGet, "/common/discovery/instance?api-version=1.1&authorization_endpoint="+url.QueryEscape(f.ts.URL+"/"+tenant+"/oauth2/v2.0/authorize"), "", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"tenant_discovery_endpoint":"`+f.ts.URL+"/"+tenant+`/v2.0/.well-known/openid-configuration"`) {
		t.Errorf("instance discovery: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, http.MethodGet, "/nosuchtenant/v2.0/.well-known/openid-configuration", "", ""); resp.StatusCode != 400 {
		t.Errorf("unknown tenant: %d", resp.StatusCode)
	}

	post := func(tenant string, form url.Values) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := f.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	form := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID()}, "scope": {"https://management.azure.com/.default"}, "client_secret": {a.ClientSecret()}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	resp, m := post(tenant, form())
	if resp.StatusCode != 200 || m["token_type"] != "Bearer" || m["expires_in"] != float64(600) || m["access_token"] == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, m)
	}
	tok := m["access_token"].(string)
	if r, body := f.do(t, http.MethodGet, f.acct()+"?api-version=2024-04-01", tok, ""); r.StatusCode != 200 {
		t.Errorf("issued token refused: %d %s", r.StatusCode, body)
	}
	if a.TokensIssued() != 2 { // MintToken in the fixture and this one
		t.Errorf("TokensIssued = %d", a.TokensIssued())
	}

	for _, tc := range []struct {
		name    string
		tenant  string
		form    url.Values
		status  int
		errCode string
		aadsts  string
	}{
		{"wrong secret", tenant, form("client_secret", "nope"), 401, "invalid_client", "AADSTS7000215:"},
		{"unknown client", tenant, form("client_id", "11111111-1111-1111-1111-111111111111"), 400, "unauthorized_client", "AADSTS700016:"},
		{"unknown tenant", "22222222-2222-2222-2222-222222222222", form(), 400, "invalid_request", "AADSTS90002:"},
		{"no credential", tenant, form("client_secret", ""), 401, "invalid_client", "AADSTS7000218:"},
		{"scope without .default", tenant, form("scope", "https://management.azure.com/"), 400, "invalid_scope", "AADSTS1002012:"},
		{"password grant", tenant, form("grant_type", "password"), 400, "unsupported_grant_type", "AADSTS70003:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, m := post(tc.tenant, tc.form)
			desc, _ := m["error_description"].(string)
			if resp.StatusCode != tc.status || m["error"] != tc.errCode || !strings.HasPrefix(desc, tc.aadsts) || m["error_codes"] == nil || m["trace_id"] == nil {
				t.Errorf("got %d %v", resp.StatusCode, m)
			}
		})
	}
}

// assertion builds a client assertion as MSAL does (PS256, x5t#S256).
func assertion(t *testing.T, cc *ClientCertificate, key *rsa.PrivateKey, clientID, aud string, exp time.Time) string {
	t.Helper()
	sum := sha256.Sum256(cc.Certificate.Raw)
	hdr, _ := json.Marshal(map[string]string{"alg": "PS256", "typ": "JWT", "x5t#S256": base64.StdEncoding.EncodeToString(sum[:])})
	claims, _ := json.Marshal(map[string]any{"aud": aud, "iss": clientID, "sub": clientID, "jti": "x", "nbf": time.Now().Unix(), "exp": exp.Unix()})
	signing := b64.EncodeToString(hdr) + "." + b64.EncodeToString(claims)
	h := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + b64.EncodeToString(sig)
}

func parseKey(t *testing.T, cc *ClientCertificate) *rsa.PrivateKey {
	t.Helper()
	tc, err := tls.X509KeyPair(cc.PEM, cc.PEM)
	if err != nil {
		t.Fatal(err)
	}
	return tc.PrivateKey.(*rsa.PrivateKey)
}

func TestARMClientAssertion(t *testing.T) {
	good, err := NewClientCertificate("exporter", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewClientCertificate("stranger", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f := newARMTest(t, Options{}, ARMOptions{ClientCertificates: []*x509.Certificate{good.Certificate}})
	a := f.a
	endpoint := f.ts.URL + "/" + a.TenantID() + "/oauth2/v2.0/token"
	post := func(assertion string) (int, string) {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID()}, "scope": {"https://management.azure.com/.default"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		resp, err := f.c.PostForm(endpoint, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	exp := time.Now().Add(10 * time.Minute)
	if st, body := post(assertion(t, good, parseKey(t, good), a.ClientID(), endpoint, exp)); st != 200 || !strings.Contains(body, `"access_token"`) {
		t.Errorf("good assertion: %d %s", st, body)
	}
	if st, body := post(assertion(t, other, parseKey(t, other), a.ClientID(), endpoint, exp)); st != 401 || !strings.Contains(body, "AADSTS700027") {
		t.Errorf("unregistered certificate: %d %s", st, body)
	}
	// The registered certificate's thumbprint with another key's signature.
	forged := assertion(t, good, parseKey(t, other), a.ClientID(), endpoint, exp)
	if st, body := post(forged); st != 401 || !strings.Contains(body, "AADSTS700027") {
		t.Errorf("forged signature: %d %s", st, body)
	}
	if st, body := post(assertion(t, good, parseKey(t, good), a.ClientID(), endpoint, time.Now().Add(-time.Minute))); st != 401 || !strings.Contains(body, "AADSTS700024") {
		t.Errorf("expired assertion: %d %s", st, body)
	}
	if st, body := post("not.a.jwt"); st != 401 || !strings.Contains(body, "AADSTS50027") {
		t.Errorf("malformed assertion: %d %s", st, body)
	}
}

func TestARMManagedIdentity(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{})
	a := f.a
	hdr := a.Options().IdentityHeader
	get := func(path string, h ...string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		resp, err := f.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	st, m := get("/msi/token?api-version=2019-08-01&resource=https://management.azure.com", "X-IDENTITY-HEADER", hdr)
	if st != 200 || m["token_type"] != "Bearer" || m["expires_on"] == nil || m["client_id"] != a.Options().ManagedIdentityClientID {
		t.Fatalf("app service: %d %v", st, m)
	}
	if r, body := f.do(t, http.MethodGet, f.acct()+"/providers/Microsoft.Consumption/balances?api-version=2024-08-01", m["access_token"].(string), ""); r.StatusCode != 200 {
		t.Errorf("managed identity token refused: %d %s", r.StatusCode, body)
	}
	if st, _ := get("/msi/token?api-version=2019-08-01&resource=https://management.azure.com", "X-IDENTITY-HEADER", "wrong"); st != 401 {
		t.Errorf("wrong identity header: %d", st)
	}
	if st, _ := get("/msi/token?api-version=2019-08-01&resource=https://management.azure.com&client_id=33333333-3333-3333-3333-333333333333", "X-IDENTITY-HEADER", hdr); st != 400 {
		t.Errorf("unknown user-assigned identity: %d", st)
	}
	if st, m := get("/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/", "Metadata", "true"); st != 200 || m["expires_in"] == nil {
		t.Errorf("imds: %d %v", st, m)
	}
	if st, _ := get("/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/"); st != 400 {
		t.Errorf("imds without Metadata: %d", st)
	}
}

func TestARMRoutes(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{})
	acct := f.acct()
	cv, bv, cmv := "?api-version=2024-08-01", "?api-version=2024-04-01", "?api-version=2025-03-01"
	for _, tc := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/providers/Microsoft.Billing/billingAccounts" + bv, 200, `{"value":[{"id":"/providers/Microsoft.Billing/billingAccounts/100"`},
		{"GET", acct + bv, 200, `"agreementType":"EnterpriseAgreement"`},
		{"GET", acct + bv + "&$expand=enrollmentDetails,departments,enrollmentAccounts", 200, `"enrollmentDetails":{"startDate":"`},
		{"GET", "/PROVIDERS/microsoft.billing/BILLINGACCOUNTS/100" + bv, 200, `"name":"100"`},
		{"GET", acct + "/departments" + bv, 200, `"displayName":"Platform"`},
		{"GET", acct + "/departments/79301" + bv, 200, `"displayName":"Data & Analytics"`},
		{"GET", acct + "/departments/1" + bv, 404, `"code":"NotFound"`},
		{"GET", acct + "/enrollmentAccounts" + bv, 200, `"departmentDisplayName":"Platform"`},
		{"GET", acct + "/departments/79300/enrollmentAccounts" + bv, 200, `"displayName":"cloud-platform"`},
		{"GET", acct + "/providers/Microsoft.Consumption/balances" + cv, 200, `"currency":"USD  "`},
		{"GET", acct + "/providers/Microsoft.Consumption/balances" + cv, 200, `billingPeriods/202611/providers/Microsoft.Consumption/balances`},
		{"GET", acct + "/billingPeriods/202610/providers/Microsoft.Consumption/balances" + cv, 200, `"beginningBalance":`},
		{"GET", acct + "/billingPeriods/202610/providers/Microsoft.Consumption/balances?api-version=2026-06-01", 200, `"billingFrequency":"Month"`},
		{"GET", acct + "/billingPeriods/202411/providers/Microsoft.Consumption/balances" + cv, 404, `"code":"NotFound"`},
		{"GET", acct + "/billingPeriods/2026-10/providers/Microsoft.Consumption/balances" + cv, 400, `"code":"InvalidBillingPeriod"`},
		{"GET", acct + "/providers/Microsoft.Consumption/reservationSummaries" + cv + "&grain=daily&$filter=" + url.QueryEscape("properties/usageDate ge 2026-11-01 AND properties/usageDate le 2026-11-02"), 200, `"usageDate":"2026-11-01T00:00:00-07:00"`},
		{"GET", acct + "/providers/Microsoft.Consumption/reservationSummaries" + cv + "&grain=monthly", 200, `"usageDate":"2026-11-01T00:00:00-07:00"`},
		{"GET", acct + "/providers/Microsoft.Consumption/reservationSummaries" + cv + "&grain=daily", 400, `"code":"BadRequest"`},
		{"GET", acct + "/providers/Microsoft.Consumption/reservationSummaries" + cv + "&grain=weekly", 400, `"code":"BadRequest"`},
		{"GET", acct + "/providers/Microsoft.Consumption/reservationTransactions" + cv + "&$filter=" + url.QueryEscape("properties/eventDate ge 2026-01-01 AND properties/eventDate le 2026-11-28"), 200, `"eventType":"Purchase"`},
		{"GET", acct + "/providers/Microsoft.Consumption/reservationTransactions" + cv + "&$filter=properties/eventDate+ge+2026-01-01+AND+properties/eventDate+le+2026-11-28", 200, `"tags":[]`},
		{"POST", acct + "/billingPeriods/202610/providers/Microsoft.CostManagement/pricesheets/default/download" + cmv, 202, ``},
		{"POST", acct + "/billingPeriods/202610/providers/Microsoft.Consumption/pricesheets/download" + cv, 202, ``},
		{"POST", acct + "/providers/Microsoft.CostManagement/generateCostDetailsReport" + cmv, 202, ``},
		{"GET", acct + "/providers/Microsoft.CostManagement/operationResults/00000000-0000-0000-0000-000000000000" + cmv, 404, `"code":"NotFound"`},
		// Errors.
		{"GET", "/providers/Microsoft.Billing/billingAccounts/999" + bv, 404, `"code":"BillingAccountNotFound"`},
		{"GET", acct + "/providers/Microsoft.Consumption/nosuch" + cv, 404, `"code":"InvalidResourceType"`},
		{"GET", acct + "/providers/Microsoft.Consumption/balances", 400, `"code":"MissingApiVersionParameter"`},
		{"GET", acct + "/providers/Microsoft.Consumption/balances?api-version=1999-01-01", 400, `"code":"InvalidApiVersionParameter"`},
		{"POST", acct + "/providers/Microsoft.Consumption/balances" + cv, 405, `"code":"MethodNotAllowed"`},
		{"GET", acct + "/billingPeriods/202610/providers/Microsoft.CostManagement/pricesheets/default/download" + cmv, 405, `"code":"MethodNotAllowed"`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := f.do(t, tc.method, tc.path, f.token, "")
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
				t.Errorf("got %d %.300s\nwant %d %s", resp.StatusCode, body, tc.status, tc.contains)
			}
			if body != "" && !json.Valid([]byte(body)) {
				t.Errorf("invalid JSON: %.200s", body)
			}
			if resp.StatusCode == 202 && (resp.Header.Get("Location") == "" || resp.Header.Get("Retry-After") == "") {
				t.Errorf("202 without Location or Retry-After: %v", resp.Header)
			}
		})
	}
}

func TestARMAuthorization(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{TokenLifetime: time.Hour})
	path := f.acct() + "/providers/Microsoft.Consumption/balances?api-version=2024-08-01"
	check := func(name, token string, status int, code string) {
		t.Helper()
		resp, body := f.do(t, http.MethodGet, path, token, "")
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal([]byte(body), &e)
		if resp.StatusCode != status || e.Error.Code != code {
			t.Errorf("%s: got %d %s, want %d %s", name, resp.StatusCode, body, status, code)
		}
		if status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer authorization_uri=") {
			t.Errorf("%s: 401 without WWW-Authenticate", name)
		}
	}
	check("no token", "", 401, "AuthenticationFailed")
	check("EA key", f.a.Server().APIKey(), 401, "InvalidAuthenticationTokenTenant")
	check("garbage", "abc", 401, "InvalidAuthenticationToken")
	// A token of another simulator (another signing key).
	other := NewARM(Options{Seed: 99}, ARMOptions{})
	check("foreign token", other.MintToken(), 401, "InvalidAuthenticationTokenTenant")
	check("valid", f.token, 200, "")

	f.wall.advance(time.Hour)
	check("expired", f.token, 401, "ExpiredAuthenticationToken")
	f.token = f.a.MintToken()

	f.a.SetRole(RoleNone)
	resp, body := f.do(t, http.MethodGet, path, f.token, "")
	want := "does not have authorization to perform action 'Microsoft.Consumption/balances/read' over scope '/providers/Microsoft.Billing/billingAccounts/100' or the scope is invalid. If access was recently granted, please refresh your credentials."
	if resp.StatusCode != 403 || !strings.Contains(body, `"code":"AuthorizationFailed"`) || !strings.Contains(body, want) || !strings.Contains(body, f.a.ClientID()) {
		t.Errorf("missing role: %d %s", resp.StatusCode, body)
	}
	f.a.SetRole(RoleEnrollmentReader)
	f.a.SetDenied(ARMRouteReservationTx)
	check("allowed route", f.token, 200, "")
	resp, body = f.do(t, http.MethodGet, f.acct()+"/providers/Microsoft.Consumption/reservationTransactions?api-version=2024-08-01", f.token, "")
	if resp.StatusCode != 403 || !strings.Contains(body, "Microsoft.Consumption/reservationTransactions/read") {
		t.Errorf("denied route: %d %s", resp.StatusCode, body)
	}
}

// list follows nextLinks from path and returns every value element.
func (f *armFixture) list(t *testing.T, path string) ([]map[string]any, int) {
	t.Helper()
	var all []map[string]any
	pages := 0
	for next := path; next != ""; pages++ {
		if pages > 100 {
			t.Fatal("too many pages")
		}
		resp, body := f.get(t, next)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", next, resp.StatusCode, body)
		}
		var page struct {
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"nextLink"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Value...)
		next = page.NextLink
	}
	return all, pages
}

func TestARMPaging(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{ListPageSize: 7, NextLinkAPIVersion: "2023-03-01"})
	filter := url.QueryEscape("properties/usageDate ge 2026-11-01 AND properties/usageDate le 2026-11-10")
	rows, pages := f.list(t, f.acct()+"/providers/Microsoft.Consumption/reservationSummaries?api-version=2024-08-01&grain=daily&$filter="+filter)
	if want := 10 * len(reservations); len(rows) != want || pages != (want+6)/7 {
		t.Errorf("%d rows in %d pages, want %d rows", len(rows), pages, want)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		id := r["id"].(string)
		if seen[id] {
			t.Errorf("duplicate %s", id)
		}
		seen[id] = true
	}
	resp, body := f.get(t, f.acct()+"/departments?api-version=2024-04-01")
	if resp.StatusCode != 200 || !strings.Contains(body, `"nextLink":"`+f.ts.URL) || !strings.Contains(body, "api-version=2023-03-01") {
		t.Errorf("nextLink: %s", body)
	}
	f.a.AddFault(ARMFault{Route: ARMRouteDepartments, NextLink: "endless", Times: 1})
	_, body = f.get(t, f.acct()+"/departments?api-version=2024-04-01&$skiptoken=7")
	if !strings.Contains(body, "%24skiptoken=8") {
		t.Errorf("endless nextLink: %s", body)
	}
}

func num(t *testing.T, m map[string]any, k string) float64 {
	t.Helper()
	switch v := m[k].(type) {
	case float64:
		return v
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return f
	}
	t.Fatalf("%s missing in %v", k, m)
	return 0
}

func TestARMBalanceMatchesEA(t *testing.T) {
	for _, o := range []Options{{}, {Scenario: ScenarioOverage}, {DataLatencyDays: 2, Seed: 7}} {
		f := newARMTest(t, o, ARMOptions{})
		f.a.Server().Bump() // late rows in the current period, both sources
		for _, m := range f.a.s.d.history() {
			p := monthID(m)
			var ea []map[string]any
			f.eaGet(t, "/v3/enrollments/100/billingperiods/"+p+"/balancesummary", &ea)
			_, body := f.get(t, f.acct()+"/billingPeriods/"+p+"/providers/Microsoft.Consumption/balances?api-version=2024-08-01")
			var arm struct {
				ID         string         `json:"id"`
				Properties map[string]any `json:"properties"`
			}
			if err := json.Unmarshal([]byte(body), &arm); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(arm.ID, "/billingPeriods/"+p+"/") {
				t.Errorf("%s: id %s", p, arm.ID)
			}
			if strings.TrimSpace(arm.Properties["currency"].(string)) != ea[0]["currencyCode"] {
				t.Errorf("%s: currency %q vs %q", p, arm.Properties["currency"], ea[0]["currencyCode"])
			}
			for _, k := range []string{"beginningBalance", "endingBalance", "newPurchases", "adjustments", "utilized", "serviceOverage",
				"chargesBilledSeparately", "totalOverage", "totalUsage", "azureMarketplaceServiceCharges"} {
				if a, e := num(t, arm.Properties, k), num(t, ea[0], k); a != e {
					t.Errorf("%+v %s %s: ARM %v, EA %v", o, p, k, a, e)
				}
			}
			for _, k := range []string{"newPurchasesDetails", "adjustmentDetails"} {
				aj, _ := json.Marshal(arm.Properties[k])
				ej, _ := json.Marshal(ea[0][k])
				if string(aj) != string(ej) {
					t.Errorf("%s %s: ARM %s, EA %s", p, k, aj, ej)
				}
			}
		}
		// The un-suffixed call is the current period.
		var ea []map[string]any
		f.eaGet(t, "/v3/enrollments/100/balancesummary", &ea)
		_, body := f.get(t, f.acct()+"/providers/Microsoft.Consumption/balances?api-version=2024-08-01")
		if want := fmt.Sprintf(`"endingBalance":%s,`, strconv.FormatFloat(num(t, ea[0], "endingBalance"), 'f', -1, 64)); !strings.Contains(body, want) {
			t.Errorf("current balance %s, want %s", body, want)
		}
	}
}

func TestARMReservationsMatchEA(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{ListPageSize: 50})
	var ea []map[string]any
	f.eaGet(t, "/v2/enrollments/100/reservationsummaries?grain=daily&startdate=2026-09-15&enddate=2026-11-28", &ea)
	filter := url.QueryEscape("properties/usageDate ge 2026-09-15 and properties/usageDate le 2026-11-28")
	arm, _ := f.list(t, f.acct()+"/providers/Microsoft.Consumption/reservationSummaries?api-version=2024-08-01&grain=daily&$filter="+filter)
	if len(ea) == 0 || len(arm) != len(ea) {
		t.Fatalf("ARM %d rows, EA %d", len(arm), len(ea))
	}
	for i := range ea {
		p := arm[i]["properties"].(map[string]any)
		if p["reservationId"] != ea[i]["reservationId"] || p["reservationOrderId"] != ea[i]["reservationOrderId"] || p["skuName"] != ea[i]["skuName"] {
			t.Fatalf("row %d: ARM %v, EA %v", i, p, ea[i])
		}
		// The ARM date is local midnight with a Pacific offset; the date
		// as written is the EA usage day.
		if ad, ed := p["usageDate"].(string)[:10], ea[i]["usageDate"].(string)[:10]; ad != ed {
			t.Errorf("row %d: date %s vs %s", i, p["usageDate"], ea[i]["usageDate"])
		}
		for _, k := range []string{"reservedHours", "usedHours", "minUtilizationPercentage", "avgUtilizationPercentage", "maxUtilizationPercentage"} {
			if a, e := num(t, p, k), num(t, ea[i], k); a != e {
				t.Errorf("row %d %s: ARM %v, EA %v", i, k, a, e)
			}
		}
	}
	if !strings.HasSuffix(arm[0]["properties"].(map[string]any)["usageDate"].(string), "T00:00:00-07:00") {
		t.Errorf("September date: %v", arm[0]["properties"])
	}
	if d := arm[len(arm)-1]["properties"].(map[string]any)["usageDate"].(string); d != "2026-11-27T00:00:00-08:00" {
		t.Errorf("late November date: %s", d)
	}

	// Monthly grain equals the EA monthly grain.
	var eaMonthly []map[string]any
	f.eaGet(t, "/v2/enrollments/100/reservationsummaries?grain=monthly", &eaMonthly)
	armMonthly, _ := f.list(t, f.acct()+"/providers/Microsoft.Consumption/reservationSummaries?api-version=2024-08-01&grain=monthly")
	if len(armMonthly) != len(eaMonthly) {
		t.Fatalf("monthly: ARM %d, EA %d", len(armMonthly), len(eaMonthly))
	}
	for i := range eaMonthly {
		p := armMonthly[i]["properties"].(map[string]any)
		if num(t, p, "reservedHours") != num(t, eaMonthly[i], "reservedHours") || num(t, p, "usedHours") != num(t, eaMonthly[i], "usedHours") {
			t.Errorf("monthly %d: ARM %v, EA %v", i, p, eaMonthly[i])
		}
	}

	// Transactions: the ARM answer covers the filter's whole months.
	var eaTx []map[string]any
	f.eaGet(t, "/v4/enrollments/100/reservationcharges?startDate=2026-01-01&endDate=2026-11-30", &eaTx)
	filter = url.QueryEscape("properties/eventDate ge 2026-01-20 and properties/eventDate le 2026-11-03")
	armTx, _ := f.list(t, f.acct()+"/providers/Microsoft.Consumption/reservationTransactions?api-version=2024-08-01&$filter="+filter)
	if len(eaTx) == 0 || len(armTx) != len(eaTx) {
		t.Fatalf("transactions: ARM %d, EA %d", len(armTx), len(eaTx))
	}
	sum := func(rows []map[string]any, props bool) (s float64) {
		for _, r := range rows {
			if props {
				r = r["properties"].(map[string]any)
			}
			s += num(t, r, "amount")
		}
		return s
	}
	if a, e := sum(armTx, true), sum(eaTx, false); math.Abs(a-e) > 1e-6 {
		t.Errorf("transaction amounts: ARM %v, EA %v", a, e)
	}
	p := armTx[0]["properties"].(map[string]any)
	if p["reservationOrderId"] != eaTx[0]["reservationOrderId"] || p["eventDate"].(string)[:19] != eaTx[0]["eventDate"].(string)[:19] || p["billingMonth"] == nil {
		t.Errorf("transaction 0: ARM %v, EA %v", p, eaTx[0])
	}
}

// operation polls a Location until it is not 202 and returns the answer.
func (f *armFixture) poll(t *testing.T, resp *http.Response, maxPolls int) (int, string, map[string]any) {
	t.Helper()
	if resp.StatusCode != 202 {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, f.ts.URL+"/providers/") {
		t.Fatalf("Location %q not on the ARM host %s", loc, f.ts.URL)
	}
	for i := 0; ; i++ {
		if i >= maxPolls {
			return 202, loc, nil
		}
		r, body := f.get(t, loc)
		if r.StatusCode == 202 {
			if r.Header.Get("Retry-After") == "" {
				t.Error("202 without Retry-After")
			}
			if l := r.Header.Get("Location"); l != "" {
				loc = l
			}
			continue
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(body), &m)
		return r.StatusCode, i2s(i), m
	}
}

func i2s(i int) string { return strconv.Itoa(i) }

// blob downloads a link without any Authorization header.
func (f *armFixture) blob(t *testing.T, link string) (int, []byte) {
	t.Helper()
	resp, err := f.c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestARMPriceSheet(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{AsyncPolls: 2, LinkLifetime: 30 * time.Minute})
	for _, provider := range []string{
		"/billingPeriods/202610/providers/Microsoft.CostManagement/pricesheets/default/download?api-version=2025-03-01",
		"/billingPeriods/202610/providers/Microsoft.Consumption/pricesheets/download?api-version=2024-08-01",
	} {
		resp, _ := f.do(t, http.MethodPost, f.acct()+provider, f.token, "")
		st, polls, m := f.poll(t, resp, 10)
		if st != 200 || polls != "2" || m["status"] != "Completed" {
			t.Fatalf("%s: %d after %s polls: %v", provider, st, polls, m)
		}
		props := m["properties"].(map[string]any)
		link := props["downloadUrl"].(string)
		u, _ := url.Parse(link)
		if u.Scheme != "https" || u.Host == strings.TrimPrefix(f.ts.URL, "https://") || !strings.HasPrefix(u.Host, "localhost:") || u.Query().Get("sig") == "" || u.Query().Get("se") == "" {
			t.Errorf("download link %s: want https on localhost (not the ARM host) with a SAS query", link)
		}
		if vt, err := time.Parse(time.RFC3339, props["validTill"].(string)); err != nil || vt.Sub(f.wall.now()) > 31*time.Minute || vt.Before(f.wall.now()) {
			t.Errorf("validTill %v (%v)", props["validTill"], err)
		}
		st, body := f.blob(t, link)
		if st != 200 {
			t.Fatalf("blob: %d %s", st, body)
		}
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil || len(zr.File) != 2 {
			t.Fatalf("zip: %v", err)
		}
		prices := map[string][]string{}
		for _, zf := range zr.File {
			rc, _ := zf.Open()
			recs, err := csv.NewReader(rc).ReadAll()
			rc.Close()
			if err != nil || strings.Join(recs[0], ",") != strings.Join(PriceSheetColumns, ",") {
				t.Fatalf("%s: %v %v", zf.Name, err, recs[0])
			}
			for _, r := range recs[1:] {
				if r[13] == "Consumption" {
					prices[r[6]] = r
				}
			}
		}
		var ea []map[string]any
		f.eaGet(t, "/v3/enrollments/100/billingperiods/202610/pricesheet", &ea)
		if len(ea) != len(prices) {
			t.Fatalf("ARM %d consumption prices, EA %d", len(prices), len(ea))
		}
		for _, e := range ea {
			r := prices[e["meterId"].(string)]
			if r == nil || r[8] != e["meterName"] || r[12] != e["partNumber"] || r[19] != e["unitOfMeasure"] || r[20] != fmtNum(e["unitPrice"].(float64)) || r[1] != e["currencyCode"] {
				t.Errorf("meter %v: ARM %v", e, r)
			}
		}
	}

	// The blob host refuses a bearer token, and records it.
	resp, _ := f.do(t, http.MethodPost, f.acct()+"/billingPeriods/202610/providers/Microsoft.CostManagement/pricesheets/default/download?api-version=2025-03-01", f.token, "")
	_, _, m := f.poll(t, resp, 10)
	link := m["properties"].(map[string]any)["downloadUrl"].(string)
	if r, body := f.do(t, http.MethodGet, link, f.token, ""); r.StatusCode != 400 || !strings.Contains(body, "InvalidAuthenticationInfo") {
		t.Errorf("blob with a token: %d %s", r.StatusCode, body)
	}
	if f.a.BlobAuthorizationRejected() != 1 {
		t.Errorf("BlobAuthorizationRejected = %d", f.a.BlobAuthorizationRejected())
	}
	// A tampered signature, and a link past its expiry, are refused.
	if st, body := f.blob(t, strings.Replace(link, "se=", "se=2099", 1)); st != 403 || !bytes.Contains(body, []byte("AuthenticationFailed")) {
		t.Errorf("tampered link: %d %s", st, body)
	}
	f.wall.advance(31 * time.Minute)
	if st, body := f.blob(t, link); st != 403 || !bytes.Contains(body, []byte("AuthenticationFailed")) {
		t.Errorf("expired link: %d %s", st, body)
	}
	f.token = f.a.MintToken()

	// Outside the 13 months of history.
	if r, body := f.do(t, http.MethodPost, f.acct()+"/billingPeriods/202409/providers/Microsoft.CostManagement/pricesheets/default/download?api-version=2025-03-01", f.token, ""); r.StatusCode != 404 {
		t.Errorf("old period: %d %s", r.StatusCode, body)
	}
}

func TestARMAsyncFaults(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{AsyncPolls: -1})
	ps := f.acct() + "/billingPeriods/202610/providers/Microsoft.CostManagement/pricesheets/default/download?api-version=2025-03-01"
	cd := f.acct() + "/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2025-03-01"

	resp, _ := f.do(t, http.MethodPost, ps, f.token, "")
	if st, polls, m := f.poll(t, resp, 5); st != 200 || polls != "0" || m["status"] != "Completed" {
		t.Errorf("immediate: %d %s %v", st, polls, m)
	}
	f.a.AddFault(ARMFault{Route: ARMRoutePriceSheet, AsyncFail: true, Times: 1})
	resp, _ = f.do(t, http.MethodPost, ps, f.token, "")
	if st, _, m := f.poll(t, resp, 5); st != 200 || m["status"] != "Failed" || m["error"] == nil {
		t.Errorf("failed: %d %v", st, m)
	}
	f.a.AddFault(ARMFault{Route: ARMRouteCostDetails, AsyncNever: true, Times: 1})
	resp, _ = f.do(t, http.MethodPost, cd, f.token, `{"metric":"ActualCost","billingPeriod":"202610"}`)
	if st, _, _ := f.poll(t, resp, 20); st != 202 {
		t.Errorf("never: %d", st)
	}
	f.a.AddFault(ARMFault{Route: ARMRouteCostDetails, NoData: true, Times: 1})
	resp, _ = f.do(t, http.MethodPost, cd, f.token, `{"billingPeriod":"202610"}`)
	if st, _, m := f.poll(t, resp, 5); st != 200 || m["status"] != "NoDataFound" {
		t.Errorf("no data: %d %v", st, m)
	}
	f.a.AddFault(ARMFault{Route: ARMRoutePriceSheet, NoData: true, Times: 1})
	if resp, _ := f.do(t, http.MethodPost, ps, f.token, ""); resp.StatusCode != 204 {
		t.Errorf("price sheet no data: %d", resp.StatusCode)
	}
	f.a.AddFault(ARMFault{Route: ARMRoutePriceSheet, ExpiredLink: true, Times: 1})
	resp, _ = f.do(t, http.MethodPost, ps, f.token, "")
	_, _, m := f.poll(t, resp, 5)
	props := m["properties"].(map[string]any)
	if vt, _ := time.Parse(time.RFC3339, props["validTill"].(string)); !vt.Before(f.wall.now()) {
		t.Errorf("expired link valid till %v", vt)
	}
	if st, _ := f.blob(t, props["downloadUrl"].(string)); st != 403 {
		t.Errorf("expired link: %d", st)
	}
	// Blob faults: a 503, then a cut body.
	resp, _ = f.do(t, http.MethodPost, ps, f.token, "")
	_, _, m = f.poll(t, resp, 5)
	link := m["properties"].(map[string]any)["downloadUrl"].(string)
	f.a.AddFault(ARMFault{Route: ARMRouteBlob, Status: 503, RetryAfter: 2 * time.Second, Times: 1})
	r, err := f.c.Get(link)
	if err != nil || r.StatusCode != 503 || r.Header.Get("Retry-After") != "2" {
		t.Errorf("blob 503: %v %v", r, err)
	}
	r.Body.Close()
	f.a.AddFault(ARMFault{Route: ARMRouteBlob, Truncate: true, Times: 1})
	if _, body := f.blob(t, link); func() bool { _, err := zip.NewReader(bytes.NewReader(body), int64(len(body))); return err == nil }() {
		t.Error("truncated zip still reads")
	}
}

// costCSV downloads the manifest's blobs and parses them by header name.
func (f *armFixture) costCSV(t *testing.T, m map[string]any) (rows []map[string]string, blobs int) {
	t.Helper()
	man := m["manifest"].(map[string]any)
	list := man["blobs"].([]any)
	if int(man["blobCount"].(float64)) != len(list) {
		t.Errorf("blobCount %v, %d blobs", man["blobCount"], len(list))
	}
	total := 0
	for _, b := range list {
		bl := b.(map[string]any)
		st, body := f.blob(t, bl["blobLink"].(string))
		if st != 200 {
			t.Fatalf("blob: %d %s", st, body)
		}
		if len(body) != int(bl["byteCount"].(float64)) {
			t.Errorf("blob of %d bytes, manifest says %v", len(body), bl["byteCount"])
		}
		total += len(body)
		body = bytes.TrimPrefix(body, []byte("\ufeff"))
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[1:] {
			row := map[string]string{}
			for i, h := range recs[0] {
				row[strings.ToLower(h)] = r[i]
			}
			rows = append(rows, row)
		}
	}
	if total != int(man["byteCount"].(float64)) {
		t.Errorf("manifest byteCount %v, blobs %d", man["byteCount"], total)
	}
	return rows, len(list)
}

// eaUsage sums an EA usage route's pages.
func (f *armFixture) eaUsage(t *testing.T, path string) (n int, cost float64, byDept map[string]float64) {
	t.Helper()
	byDept = map[string]float64{}
	for next := path; next != ""; {
		var page struct {
			Data     []map[string]any `json:"data"`
			NextLink *string          `json:"nextLink"`
		}
		f.eaGet(t, next, &page)
		for _, r := range page.Data {
			n++
			cost += r["cost"].(float64)
			byDept[r["departmentName"].(string)] += r["cost"].(float64)
		}
		next = ""
		if page.NextLink != nil {
			next = *page.NextLink
		}
	}
	return n, cost, byDept
}

func TestARMCostDetailsMatchesEA(t *testing.T) {
	for _, schema := range []string{CostDetailsSchemaStandard, CostDetailsSchemaLegacy} {
		t.Run(schema, func(t *testing.T) {
			f := newARMTest(t, Options{UsageRowsPerDay: 15}, ARMOptions{CostDetailsRowsPerBlob: 200, CostDetailsSchema: schema})
			f.a.Server().Bump()
			cd := f.acct() + "/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2025-03-01"
			for _, tc := range []struct {
				name, body, eaUsage, eaMarket string
			}{
				{"closed period", `{"metric":"ActualCost","billingPeriod":"202610"}`, "/v3/enrollments/100/billingperiods/202610/usagedetails", "/v3/enrollments/100/billingperiods/202610/marketplacecharges"},
				{"current period by default", ``, "/v3/enrollments/100/billingperiods/202611/usagedetails", "/v3/enrollments/100/billingperiods/202611/marketplacecharges"},
				{"time period", `{"timePeriod":{"start":"2026-10-20","end":"2026-11-05"}}`, "/v3/enrollments/100/usagedetailsbycustomdate?startTime=2026-10-20&endTime=2026-11-05", "/v3/enrollments/100/marketplacechargesbycustomdate?startTime=2026-10-20&endTime=2026-11-05"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := f.do(t, http.MethodPost, cd, f.token, tc.body)
					if resp.StatusCode != 202 {
						t.Fatalf("POST: %d %s", resp.StatusCode, body)
					}
					st, _, m := f.poll(t, resp, 5)
					if st != 200 || m["status"] != "Completed" || m["validTill"] == nil {
						t.Fatalf("poll: %d %v", st, m)
					}
					rows, blobs := f.costCSV(t, m)
					n, cost, byDept := f.eaUsage(t, tc.eaUsage)
					var market []map[string]any
					f.eaGet(t, tc.eaMarket, &market)
					if blobs < 2 || len(rows) != n+len(market) {
						t.Fatalf("%d rows in %d blobs; EA %d usage + %d marketplace rows", len(rows), blobs, n, len(market))
					}
					var armCost, armMarket, eaMarket float64
					armDept := map[string]float64{}
					for _, r := range rows {
						c, err := strconv.ParseFloat(r["costinbillingcurrency"], 64)
						if err != nil {
							t.Fatal(err)
						}
						switch r["publishertype"] {
						case "Azure":
							armCost += c
							armDept[r["invoicesectionname"]] += c
						case "Marketplace":
							armMarket += c
						default:
							t.Fatalf("PublisherType %q", r["publishertype"])
						}
					}
					for _, mc := range market {
						eaMarket += mc["extendedCost"].(float64)
					}
					if math.Abs(armCost-cost) > 1e-6 || math.Abs(armMarket-eaMarket) > 1e-6 {
						t.Errorf("usage ARM %v EA %v; marketplace ARM %v EA %v", armCost, cost, armMarket, eaMarket)
					}
					for d, c := range byDept {
						if math.Abs(armDept[d]-c) > 1e-6 {
							t.Errorf("department %s: ARM %v, EA %v", d, armDept[d], c)
						}
					}
					r0 := rows[0]
					wantDate := regexp.MustCompile(`^1[01]/\d\d/2026$`)
					if schema == CostDetailsSchemaLegacy {
						wantDate = regexp.MustCompile(`^2026-1[01]-\d\d$`)
					}
					if !wantDate.MatchString(r0["date"]) || r0["billingaccountid"] != "100" || r0["billingcurrencycode"] != "USD" || r0["subscriptionid"] == "" || r0["metercategory"] == "" {
						t.Errorf("first row %v", r0)
					}
				})
			}
		})
	}

	f := newARMTest(t, Options{}, ARMOptions{})
	cd := f.acct() + "/providers/Microsoft.CostManagement/generateCostDetailsReport?api-version=2025-03-01"
	for _, tc := range []struct{ body, msg string }{
		{`{"billingPeriod":"202610","timePeriod":{"start":"2026-10-01","end":"2026-10-02"}}`, "can only have either timePeriod or invoiceId or billingPeriod"},
		{`{"timePeriod":{"start":"2026-09-01","end":"2026-10-15"}}`, "The maximum allowed date range is 1 months"},
		{`{"timePeriod":{"start":"2025-09-01","end":"2025-09-15"}}`, "API only allows data to be pulled no older than 13 months from now"},
		{`{"billingPeriod":"202509"}`, "API only allows data to be pulled no older than 13 months from now"},
		{`{"metric":"Usage"}`, "Invalid metric"},
		{`{"billingPeriod":`, "not valid JSON"},
	} {
		resp, body := f.do(t, http.MethodPost, cd, f.token, tc.body)
		if resp.StatusCode != 400 || !strings.Contains(body, tc.msg) {
			t.Errorf("%s: %d %s", tc.body, resp.StatusCode, body)
		}
	}
}

func TestARMThrottling(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{RateLimits: map[string]int{ARMRouteReservationTx: 2}})
	bal := f.acct() + "/providers/Microsoft.Consumption/balances?api-version=2024-08-01"
	tx := f.acct() + "/providers/Microsoft.Consumption/reservationTransactions?api-version=2024-08-01"
	ps := f.acct() + "/billingPeriods/202610/providers/Microsoft.CostManagement/pricesheets/default/download?api-version=2025-03-01"

	for i := 0; i < 2; i++ {
		if r, _ := f.get(t, tx); r.StatusCode != 200 || r.Header.Get("x-ms-ratelimit-remaining-tenant-reads") == "" {
			t.Fatalf("within budget: %d %v", r.StatusCode, r.Header)
		}
	}
	r, body := f.get(t, tx)
	if r.StatusCode != 429 || r.Header.Get("x-ms-ratelimit-microsoft.consumption-retry-after") == "" || !strings.Contains(body, `"code":"429"`) {
		t.Errorf("over budget: %d %v %s", r.StatusCode, r.Header, body)
	}
	f.wall.advance(time.Minute)
	f.token = f.a.MintToken()
	if r, _ := f.get(t, tx); r.StatusCode != 200 {
		t.Errorf("next window: %d", r.StatusCode)
	}
	if r, _ := f.do(t, http.MethodPost, ps, f.token, ""); !strings.HasPrefix(r.Header.Get("x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests"), "DefaultQuota:") {
		t.Errorf("Cost Management quota headers: %v", r.Header)
	}

	for _, tc := range []struct {
		name  string
		fault ARMFault
		path  string
		want  map[string]string
	}{
		{"consumption 429", ARMFault{Status: 429, RetryAfter: 3 * time.Second}, bal, map[string]string{"x-ms-ratelimit-microsoft.consumption-retry-after": "3"}},
		{"cost management 429", ARMFault{Status: 429, RetryAfter: 4 * time.Second}, ps, map[string]string{"x-ms-ratelimit-microsoft.costmanagement-entity-retry-after": "4"}},
		{"qpu header", ARMFault{Status: 429, RetryAfter: 5 * time.Second, RetryHeader: "x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after"}, ps, map[string]string{"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after": "5"}},
		{"tenant header", ARMFault{Status: 429, RetryAfter: 5 * time.Second, RetryHeader: "x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after"}, ps, map[string]string{"x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after": "5"}},
		{"client header", ARMFault{Status: 429, RetryAfter: 5 * time.Second, RetryHeader: "x-ms-ratelimit-microsoft.costmanagement-client-retry-after"}, ps, map[string]string{"x-ms-ratelimit-microsoft.costmanagement-client-retry-after": "5"}},
		{"every header", ARMFault{Status: 429, RetryAfter: 1500 * time.Millisecond, RetryHeader: RetryHeaderAll}, bal, map[string]string{"Retry-After": "2", "retry-after-ms": "1500", "x-ms-retry-after-ms": "1500", "x-ms-ratelimit-microsoft.costmanagement-entity-retry-after": "2", "x-ms-ratelimit-microsoft.consumption-retry-after": "2"}},
		{"503", ARMFault{Status: 503, RetryAfter: 7 * time.Second}, bal, map[string]string{"Retry-After": "7"}},
		{"504", ARMFault{Status: 504}, bal, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault.Times = 1
			f.a.AddFault(tc.fault)
			method := http.MethodGet
			if strings.Contains(tc.path, "download") {
				method = http.MethodPost
			}
			r, body := f.do(t, method, tc.path, f.token, "")
			var e struct {
				Error struct{ Code, Message string }
			}
			if r.StatusCode != tc.fault.Status || json.Unmarshal([]byte(body), &e) != nil || e.Error.Code == "" {
				t.Errorf("got %d %s", r.StatusCode, body)
			}
			for k, v := range tc.want {
				if got := r.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
	// A storm: every request fails until cleared.
	f.a.AddFault(ARMFault{Route: ARMRouteBalances, Status: 500})
	for i := 0; i < 2; i++ {
		if r, _ := f.get(t, bal); r.StatusCode != 500 {
			t.Errorf("storm %d: %d", i, r.StatusCode)
		}
	}
	f.a.ClearFaults()
	if r, _ := f.get(t, bal); r.StatusCode != 200 {
		t.Errorf("after the storm: %d", r.StatusCode)
	}
	if f.a.Responses(ARMRouteBalances, 500) != 2 || f.a.Requests(ARMRouteBalances) < 7 {
		t.Errorf("counters: %d 500s, %d requests", f.a.Responses(ARMRouteBalances, 500), f.a.Requests(ARMRouteBalances))
	}
}

func TestARMBodyFaults(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{})
	path := f.acct() + "/providers/Microsoft.Consumption/reservationTransactions?api-version=2024-08-01"
	for _, fault := range []ARMFault{{Malformed: true}, {Truncate: true}} {
		fault.Times = 1
		f.a.AddFault(fault)
		if r, body := f.get(t, path); r.StatusCode != 200 || json.Valid([]byte(body)) {
			t.Errorf("%+v: %d, valid JSON", fault, r.StatusCode)
		}
	}
	f.a.AddFault(ARMFault{Empty: true, Times: 1})
	if _, body := f.get(t, path); body != `{"value":[]}` {
		t.Errorf("empty: %s", body)
	}
	f.a.AddFault(ARMFault{Route: ARMRouteBalances, Hang: true, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url(f.acct()+"/providers/Microsoft.Consumption/balances?api-version=2024-08-01"), nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	if resp, err := f.c.Do(req); err == nil {
		resp.Body.Close()
		t.Error("hang answered")
	}
	f.a.AddFault(ARMFault{Route: ARMRouteToken, Status: 503, RetryAfter: time.Second, Times: 1})
	resp, err := f.c.PostForm(f.ts.URL+"/"+f.a.TenantID()+"/oauth2/v2.0/token", url.Values{})
	if err != nil || resp.StatusCode != 503 {
		t.Errorf("token 503: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestARMServesEA(t *testing.T) {
	f := newARMTest(t, Options{}, ARMOptions{})
	var periods []map[string]any
	f.eaGet(t, "/v2/enrollments/100/billingperiods", &periods)
	if len(periods) != 13 || periods[0]["billingPeriodId"] != "202611" {
		t.Errorf("EA billing periods through the ARM handler: %v", periods[:1])
	}
	// An ARM token is no EA key, and the other way round.
	if r, _ := f.do(t, http.MethodGet, "/v2/enrollments/100/billingperiods", f.token, ""); r.StatusCode != 401 {
		t.Errorf("ARM token on the EA route: %d", r.StatusCode)
	}
}

func TestARMDeterministicIDs(t *testing.T) {
	a1, a2 := NewARM(Options{Seed: 3}, ARMOptions{}), NewARM(Options{Seed: 3}, ARMOptions{})
	if a1.TenantID() != a2.TenantID() || a1.ClientID() != a2.ClientID() || a1.ClientSecret() != a2.ClientSecret() {
		t.Error("ids differ for one seed")
	}
	if a3 := NewARM(Options{Seed: 4}, ARMOptions{}); a3.ClientSecret() == a1.ClientSecret() {
		t.Error("the secret does not depend on the seed")
	}
}

func TestPacific(t *testing.T) {
	for day, want := range map[string]string{
		"2026-03-07": "-08:00", "2026-03-08": "-08:00", "2026-03-09": "-07:00", "2026-10-31": "-07:00", "2026-11-01": "-07:00", "2026-11-02": "-08:00", "2026-07-01": "-07:00", "2027-01-15": "-08:00",
	} {
		d, _ := time.Parse("2006-01-02", day)
		if got := pacific(d); got != day+"T00:00:00"+want {
			t.Errorf("%s: %s", day, got)
		}
	}
}
