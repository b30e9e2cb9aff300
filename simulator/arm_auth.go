package simulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The authority (Microsoft Entra ID's v2.0 endpoints as MSAL for Go calls
// them), the managed-identity endpoints, and the access tokens they issue.
//
// Tokens are JWTs signed with HMAC-SHA256 by a key of the simulator: ARM
// routes accept only tokens this ARM issued, before their exp on WallNow.

type tokenClaims struct {
	Aud   string `json:"aud"`
	Iss   string `json:"iss"`
	Iat   int64  `json:"iat"`
	Nbf   int64  `json:"nbf"`
	Exp   int64  `json:"exp"`
	AppID string `json:"appid"`
	OID   string `json:"oid"`
	Sub   string `json:"sub"`
	TID   string `json:"tid"`
	IDTyp string `json:"idtyp"`
	Ver   string `json:"ver"`
}

var b64 = base64.RawURLEncoding

func strHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(s)))
	return h.Sum64()
}

// mint issues an access token for clientID and audience.
func (a *ARM) mint(clientID, audience string) (string, time.Time) {
	now := a.wallNow()
	exp := now.Add(a.o.TokenLifetime)
	oid := guid(mix(a.s.d.o.Seed, 0x0b, strHash(clientID)))
	c := tokenClaims{
		Aud: audience, Iss: "https://sts.windows.net/" + a.o.TenantID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(),
		AppID: clientID, OID: oid, Sub: oid, TID: a.o.TenantID, IDTyp: "app", Ver: "1.0",
	}
	header := b64.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256","kid":"arm-simulator"}`))
	payload, _ := json.Marshal(c)
	signing := header + "." + b64.EncodeToString(payload)
	mac := hmac.New(sha256.New, a.key)
	mac.Write([]byte(signing))
	tok := signing + "." + b64.EncodeToString(mac.Sum(nil))
	a.mu.Lock()
	a.tokens++
	a.lastTokenOf[clientID] = tok
	a.mu.Unlock()
	return tok, exp
}

// LastToken returns the last access token issued to a client id (a test
// can then look for it where it must not go).
func (a *ARM) LastToken(clientID string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastTokenOf[clientID]
}

// MintToken issues a valid access token for the registered app directly,
// without the OAuth2 dance (for tests of the ARM routes alone).
func (a *ARM) MintToken() string {
	tok, _ := a.mint(a.o.ClientID, "https://management.azure.com/")
	return tok
}

// authenticate checks the bearer token of an ARM request.
func (a *ARM) authenticate(r *http.Request) (tokenClaims, int, string, string) {
	var c tokenClaims
	h := r.Header.Get("Authorization")
	if h == "" {
		return c, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
	}
	fields := strings.Fields(h)
	if len(fields) != 2 || !strings.EqualFold(fields[0], "Bearer") {
		return c, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format."
	}
	parts := strings.Split(fields[1], ".")
	invalid := func() (tokenClaims, int, string, string) {
		return c, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid."
	}
	if len(parts) != 3 {
		return invalid()
	}
	mac := hmac.New(sha256.New, a.key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return c, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant", "The access token is from the wrong issuer. It must match the tenant associated with this subscription. Please use the authority (URL) 'https://login.windows.net/" + a.o.TenantID + "' to get the token."
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return invalid()
	}
	if len(a.o.Audiences) > 0 && !audienceOK(a.o.Audiences, c.Aud) {
		return c, http.StatusUnauthorized, "InvalidAuthenticationTokenAudience", "The access token has been obtained for wrong audience or resource '" + c.Aud + "'. It should exactly match with one of the allowed audiences '" + strings.Join(a.o.Audiences, "','") + "'."
	}
	now := a.wallNow()
	if exp := time.Unix(c.Exp, 0).UTC(); !now.Before(exp) {
		return c, http.StatusUnauthorized, "ExpiredAuthenticationToken", fmt.Sprintf("The access token expiry UTC time '%s' is earlier than current UTC time '%s'.",
			exp.Format("1/2/2006 3:04:05 PM"), now.Format("1/2/2006 3:04:05 PM"))
	}
	return c, 0, "", ""
}

func audienceOK(list []string, aud string) bool {
	for _, a := range list {
		if strings.TrimSuffix(a, "/") == strings.TrimSuffix(aud, "/") {
			return true
		}
	}
	return false
}

// aadError answers like Entra ID's token endpoint.
func (a *ARM) aadError(w http.ResponseWriter, status int, errCode string, aadsts int, desc string) {
	now := a.wallNow()
	trace := guid(mix(uint64(now.UnixNano()), 0x7a, uint64(aadsts)))
	corr := guid(mix(uint64(now.UnixNano()), 0xc0, uint64(aadsts)))
	ts := now.Format("2006-01-02 15:04:05Z")
	full := fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, desc, trace, corr, ts)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{
		"error": errCode, "error_description": full, "error_codes": []int{aadsts}, "timestamp": ts,
		"trace_id": trace, "correlation_id": corr, "error_uri": "https://login.microsoftonline.com/error?code=" + strconv.Itoa(aadsts),
	})
	_, _ = w.Write(b)
}

func (a *ARM) serveAuthority(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	lp := strings.ToLower(strings.Trim(r.URL.Path, "/"))
	switch {
	case len(parts) == 4 && strings.HasSuffix(lp, "/oauth2/v2.0/token"):
		a.serveToken(w, r, parts[0])
	case len(parts) == 4 && strings.HasSuffix(lp, "/v2.0/.well-known/openid-configuration"),
		len(parts) == 3 && strings.HasSuffix(lp, "/.well-known/openid-configuration"):
		rec := a.count(ARMRouteDiscovery, w)
		defer a.done(ARMRouteDiscovery, rec)
		a.serveOpenID(rec, r, parts[0])
	case lp == "common/discovery/instance":
		rec := a.count(ARMRouteDiscovery, w)
		defer a.done(ARMRouteDiscovery, rec)
		a.serveInstanceDiscovery(rec, r)
	default:
		rec := a.count("unknown", w)
		defer a.done("unknown", rec)
		http.NotFound(rec, r)
	}
}

func (a *ARM) tenantOK(t string) bool {
	return strings.EqualFold(t, a.o.TenantID) || strings.EqualFold(t, "organizations")
}

// serveOpenID is GET /{tenant}/v2.0/.well-known/openid-configuration: MSAL
// needs authorization_endpoint, token_endpoint and an issuer on the
// authority's own host.
func (a *ARM) serveOpenID(w http.ResponseWriter, r *http.Request, tenant string) {
	if !a.tenantOK(tenant) {
		a.aadError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	base := a.baseURL(r)
	t := a.o.TenantID
	doc := map[string]any{
		"token_endpoint":                        base + "/" + t + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + t + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/" + t + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     base + "/oidc/userinfo",
		"authorization_endpoint":                base + "/" + t + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/" + t + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/" + t + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   r.Host,
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
	}
	writeJSON(w, http.StatusOK, doc)
}

// serveInstanceDiscovery is GET /common/discovery/instance?api-version=1.1&
// authorization_endpoint=...: MSAL only calls it on a Microsoft host (or a
// test's own transport) unless DisableInstanceDiscovery is set.
func (a *ARM) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	ae := query(r, "authorization_endpoint")
	u, err := url.Parse(ae)
	if ae == "" || err != nil || u.Host == "" {
		a.aadError(w, http.StatusBadRequest, "invalid_instance", 50049, "Unknown or invalid instance.")
		return
	}
	tenant := strings.Split(strings.Trim(u.Path, "/"), "/")[0]
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": u.Scheme + "://" + u.Host + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": u.Host, "preferred_cache": u.Host, "aliases": []string{u.Host},
		}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// serveToken is POST /{tenant}/oauth2/v2.0/token, client credentials with a
// secret or a certificate-signed client assertion.
func (a *ARM) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	rec := a.count(ARMRouteToken, w)
	defer a.done(ARMRouteToken, rec)
	w = rec
	f := a.takeFault(ARMRouteToken, r)
	if f != nil {
		if !f.delay(r) {
			return
		}
		if f.Status != 0 {
			f.writeStatus(w, "")
			return
		}
	}
	if r.Method != http.MethodPost {
		a.aadError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests. Received a "+r.Method+" request.")
		return
	}
	if err := r.ParseForm(); err != nil {
		a.aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if !a.tenantOK(tenant) {
		a.aadError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	form := r.PostForm
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		if gt == "" {
			a.aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		} else {
			a.aadError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'.")
		}
		return
	}
	clientID := form.Get("client_id")
	if clientID == "" {
		a.aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	if !strings.EqualFold(clientID, a.o.ClientID) {
		a.aadError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, a.o.TenantID))
		return
	}
	scope := form.Get("scope")
	audience, ok := a.scopeAudience(scope)
	if !ok {
		a.aadError(w, http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		return
	}
	secret, assertion := form.Get("client_secret"), form.Get("client_assertion")
	switch {
	case secret != "" && assertion != "":
		a.aadError(w, http.StatusBadRequest, "invalid_request", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
		return
	case secret != "":
		if subtle.ConstantTimeCompare([]byte(secret), []byte(a.o.ClientSecret)) != 1 {
			a.aadError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", a.o.ClientID))
			return
		}
	case assertion != "":
		if t := form.Get("client_assertion_type"); t != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			a.aadError(w, http.StatusBadRequest, "invalid_request", 50027, "Invalid client_assertion_type '"+t+"'.")
			return
		}
		if code, msg := a.checkAssertion(assertion, clientID, a.baseURL(r)+r.URL.Path); code != 0 {
			a.aadError(w, http.StatusUnauthorized, "invalid_client", code, msg)
			return
		}
	default:
		a.aadError(w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	tok, _ := a.mint(a.o.ClientID, audience)
	secs := int(a.o.TokenLifetime / time.Second)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok})
}

// scopeAudience maps "<resource>/.default" to the resource.
func (a *ARM) scopeAudience(scope string) (string, bool) {
	var fields []string
	for _, f := range strings.Fields(scope) {
		switch f {
		case "openid", "offline_access", "profile", "email": // MSAL adds them; ignored
		default:
			fields = append(fields, f)
		}
	}
	if len(fields) != 1 || !strings.HasSuffix(fields[0], "/.default") {
		return "", false
	}
	aud := strings.TrimSuffix(fields[0], "/.default")
	if aud == "" {
		return "", false
	}
	if len(a.o.Audiences) > 0 && !audienceOK(a.o.Audiences, aud) {
		return "", false
	}
	return aud, true
}

// checkAssertion verifies a client assertion: a JWT whose x5t#S256 (or
// x5t) header names a registered certificate, signed by its key (PS256,
// RS256 or ES256), for this client and token endpoint, not expired.
func (a *ARM) checkAssertion(assertion, clientID, endpoint string) (int, string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return 50027, "JWT token is invalid or malformed."
	}
	var hdr struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string      `json:"aud"`
		Iss string      `json:"iss"`
		Sub string      `json:"sub"`
		Exp json.Number `json:"exp"`
		Nbf json.Number `json:"nbf"`
	}
	hb, err1 := b64.DecodeString(parts[0])
	pb, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(pb, &claims) != nil {
		return 50027, "JWT token is invalid or malformed."
	}
	var cert *x509.Certificate
	thumb := hdr.X5tS256
	for _, c := range a.o.ClientCertificates {
		s256 := sha256.Sum256(c.Raw)
		s1 := sha1.Sum(c.Raw)
		if hdr.X5tS256 != "" && thumbMatches(hdr.X5tS256, s256[:]) || hdr.X5t != "" && thumbMatches(hdr.X5t, s1[:]) {
			cert = c
			break
		}
	}
	if thumb == "" {
		thumb = hdr.X5t
	}
	if cert == nil {
		return 700027, fmt.Sprintf("Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", thumbprintHex(thumb), clientID)
	}
	if err := verifyJWS(hdr.Alg, cert, parts[0]+"."+parts[1], sig); err != nil {
		return 700027, fmt.Sprintf("Client assertion contains an invalid signature. [Reason - %s, Thumbprint of key used by client: '%s']", err, thumbprintHex(thumb))
	}
	if claims.Iss != clientID || claims.Sub != clientID {
		return 700023, "Client assertion audience claim does not match Realm issuer or the subject/issuer is not the client id."
	}
	if !strings.EqualFold(strings.TrimSuffix(claims.Aud, "/"), strings.TrimSuffix(endpoint, "/")) {
		return 700212, fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'.", claims.Aud)
	}
	exp, err := claims.Exp.Int64()
	if err != nil || !a.wallNow().Before(time.Unix(exp, 0)) {
		return 700024, "Client assertion is not within its valid time range."
	}
	return 0, ""
}

func thumbMatches(header string, sum []byte) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(header); err == nil && hmac.Equal(b, sum) {
			return true
		}
	}
	return false
}

func thumbprintHex(header string) string {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(header); err == nil {
			return strings.ToUpper(fmt.Sprintf("%x", b))
		}
	}
	return header
}

func verifyJWS(alg string, cert *x509.Certificate, signing string, sig []byte) error {
	sum := sha256.Sum256([]byte(signing))
	switch alg {
	case "PS256", "RS256":
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return errors.New("the certificate's key is not RSA")
		}
		if alg == "PS256" {
			return rsa.VerifyPSS(pub, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	case "ES256":
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok || len(sig) != 64 {
			return errors.New("the certificate's key is not ECDSA P-256")
		}
		if !ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return errors.New("signature verification failed")
		}
		return nil
	}
	return fmt.Errorf("unsupported algorithm %q", alg)
}

// serveManagedIdentity answers the App Service protocol (GET /msi/token
// with X-IDENTITY-HEADER, api-version 2019-08-01: point IDENTITY_ENDPOINT
// at https://host:port/msi/token and set IDENTITY_HEADER, which azidentity
// and MSAL read) and the IMDS protocol (GET /metadata/identity/oauth2/token
// with Metadata: true; azidentity always calls 169.254.169.254 for it, so
// only a custom transport reaches this one).
func (a *ARM) serveManagedIdentity(w http.ResponseWriter, r *http.Request) {
	rec := a.count(ARMRouteManagedIdentity, w)
	defer a.done(ARMRouteManagedIdentity, rec)
	w = rec
	f := a.takeFault(ARMRouteManagedIdentity, r)
	if f != nil {
		if !f.delay(r) {
			return
		}
		if f.Status != 0 {
			f.writeStatus(w, "")
			return
		}
	}
	imds := strings.EqualFold(r.URL.Path, "/metadata/identity/oauth2/token")
	if imds {
		if !strings.EqualFold(r.Header.Get("Metadata"), "true") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Required metadata header not specified"})
			return
		}
	} else if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-IDENTITY-HEADER")), []byte(a.o.IdentityHeader)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Unauthorized request: the X-IDENTITY-HEADER is missing or wrong."})
		return
	}
	resource := query(r, "resource")
	if resource == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Required query variable 'resource' is missing"})
		return
	}
	resource = strings.TrimSuffix(resource, "/.default")
	if len(a.o.Audiences) > 0 && !audienceOK(a.o.Audiences, resource) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_resource", "error_description": "AADSTS500011: The resource principal named " + resource + " was not found in the tenant."})
		return
	}
	id := a.o.ManagedIdentityClientID
	for _, k := range []string{"client_id", "object_id", "mi_res_id", "msi_res_id", "principal_id"} {
		if v := query(r, k); v != "" {
			if k != "client_id" || !strings.EqualFold(v, id) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Identity not found"})
				return
			}
		}
	}
	tok, exp := a.mint(id, resource)
	secs := strconv.Itoa(int(a.o.TokenLifetime / time.Second))
	body := map[string]string{
		"access_token": tok, "expires_on": strconv.FormatInt(exp.Unix(), 10), "resource": resource,
		"token_type": "Bearer", "client_id": id,
	}
	if imds {
		body["expires_in"], body["ext_expires_in"] = secs, secs
		body["not_before"] = strconv.FormatInt(a.wallNow().Unix(), 10)
	}
	writeJSON(w, http.StatusOK, body)
}
