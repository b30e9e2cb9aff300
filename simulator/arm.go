package simulator

// The ARM mode: the same synthetic enrollment served the way Azure Resource
// Manager and Microsoft Entra ID serve it (as Microsoft's REST references
// and swagger describe them), so that the exporter's ARM
// source can be tested against the numbers the EA mode serves.
//
// One handler answers every host the ARM source talks to, told apart by
// path:
//
//	/{tenant}/oauth2/v2.0/token, /{tenant}/v2.0/.well-known/openid-configuration,
//	/common/discovery/instance                    Entra ID (the authority)
//	/msi/token                                    managed identity, App Service protocol
//	                                              (IDENTITY_ENDPOINT + IDENTITY_HEADER)
//	/metadata/identity/oauth2/token               managed identity, IMDS protocol
//	/providers/Microsoft.Billing/billingAccounts/{enrollment}/...   ARM
//	/blob/...                                     the blob host of download links
//	/v1.../v4/enrollments/...                     the EA Reporting API of the same Server
//
// Files: arm.go (options, routing, ARM authorization, errors, throttling),
// arm_faults.go (faults), arm_auth.go (tokens, the authority, managed identity),
// arm_reports.go (billing account, balances, reservations), arm_async.go
// (price sheet and Cost Details operations, the blob host), arm_csv.go (the
// CSV and ZIP files), arm_tls.go (a test CA and certificates).

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ARM route names, as counted by ARM.Requests and matched by ARMFault.Route.
const (
	ARMRouteToken              = "token"               // POST /{tenant}/oauth2/v2.0/token
	ARMRouteDiscovery          = "discovery"           // openid-configuration, instance discovery
	ARMRouteManagedIdentity    = "managed_identity"    // /msi/token, /metadata/identity/oauth2/token
	ARMRouteBillingAccount     = "billing_account"     // GET billingAccounts[/{e}]
	ARMRouteDepartments        = "departments"         // GET .../departments
	ARMRouteEnrollmentAccounts = "enrollment_accounts" // GET .../enrollmentAccounts
	ARMRouteBalances           = "balances"            // GET [.../billingPeriods/{p}]/providers/Microsoft.Consumption/balances
	ARMRouteReservationSummary = "reservation_summaries"
	ARMRouteReservationTx      = "reservation_transactions"
	ARMRoutePriceSheet         = "price_sheet"  // POST .../pricesheets/default/download (either provider)
	ARMRouteCostDetails        = "cost_details" // POST .../generateCostDetailsReport
	ARMRouteOperation          = "operation"    // GET of a Location (operationResults, costDetailsOperationResults)
	ARMRouteBlob               = "blob"         // GET /blob/...
)

// ARM roles a registered client can hold (ARMOptions.Role).
const (
	// RoleEnrollmentReader sees everything the simulator serves.
	RoleEnrollmentReader = "EnrollmentReader"
	// RoleNone has no EA billing role: every ARM request is answered 403
	// AuthorizationFailed (tokens are still issued).
	RoleNone = "None"
)

// ARMOptions configure the ARM mode. Zero values take the defaults shown.
type ARMOptions struct {
	// TenantID, ClientID and ClientSecret register the app the token
	// endpoint accepts. Defaults are derived from the dataset's seed.
	TenantID, ClientID, ClientSecret string
	// ClientCertificates are accepted for ClientID in a client_assertion
	// (matched by the assertion's x5t#S256 or x5t header, signature checked).
	ClientCertificates []*x509.Certificate
	// ManagedIdentityClientID is the client id of the host's managed
	// identity (system-assigned, or the user-assigned one a request names);
	// IdentityHeader is the App Service secret (IDENTITY_HEADER).
	ManagedIdentityClientID string
	IdentityHeader          string
	// Audiences, when set, limit the token scope: scope must be one of them
	// followed by "/.default". Any "<uri>/.default" is accepted otherwise.
	Audiences []string
	// TokenLifetime is expires_in of issued tokens, default 1h. MSAL renews
	// a token within five minutes of its expiry, so a shorter lifetime
	// makes every call fetch a new one.
	TokenLifetime time.Duration
	// Role of the registered app and managed identity: RoleEnrollmentReader
	// (default) or RoleNone. DeniedRoutes are answered 403
	// AuthorizationFailed even for an EnrollmentReader (e.g.
	// reservation_transactions, which the docs give to EA purchasers).
	Role         string
	DeniedRoutes []string
	// WallNow is the clock of tokens, download links and rate limits,
	// time.Now when nil. It is not the dataset's clock (Options.Now), which
	// tests often freeze at a date the client's own clock is not at.
	WallNow func() time.Time

	// ListPageSize is the rows per page of list operations (nextLink with
	// $skiptoken), default 100.
	ListPageSize int
	// NextLinkAPIVersion, when set, replaces the api-version in nextLinks
	// (real nextLinks sometimes carry an older one).
	NextLinkAPIVersion string
	// AsyncPolls is how many polls of an operation answer 202 before it
	// completes (default 1; -1 completes at once); AsyncRetryAfter the
	// Retry-After sent with each 202 (default 1s, written in whole seconds;
	// the real services say 10 to 60).
	AsyncPolls      int
	AsyncRetryAfter time.Duration
	// LinkLifetime is how long download links stay valid, default 1h.
	LinkLifetime time.Duration
	// BlobHost is the host name download links use (the port is the one
	// the request came to). "" swaps 127.0.0.1 and localhost (so the blob
	// host is never the ARM host a token is sent to); "same" keeps the
	// request's host.
	BlobHost string
	// CostDetailsRowsPerBlob splits the Cost Details CSV into several blobs
	// (default 5000 rows each).
	CostDetailsRowsPerBlob int
	// CostDetailsSchema selects the CSV header variant:
	// CostDetailsSchemaStandard (default) or CostDetailsSchemaLegacy.
	CostDetailsSchema string
	// RateLimits enforce a request budget per route and minute of WallNow
	// (fixed windows), answering 429 with the provider's retry-after header
	// when spent. Routes without an entry are unlimited.
	RateLimits map[string]int
}

func (o *ARMOptions) setDefaults(d *dataset) {
	if o.TenantID == "" {
		o.TenantID = guid(mix(d.o.Seed, 0x7e, 1))
	}
	if o.ClientID == "" {
		o.ClientID = guid(mix(d.o.Seed, 0xc1, 2))
	}
	if o.ClientSecret == "" {
		o.ClientSecret = fmt.Sprintf("sim8Q~%016x%08x", mix(d.o.Seed, 0x5e, 3), uint32(mix(d.o.Seed, 0x5e, 4)))
	}
	if o.ManagedIdentityClientID == "" {
		o.ManagedIdentityClientID = guid(mix(d.o.Seed, 0x41, 5))
	}
	if o.IdentityHeader == "" {
		o.IdentityHeader = fmt.Sprintf("%016x", mix(d.o.Seed, 0x1d, 6))
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.Role == "" {
		o.Role = RoleEnrollmentReader
	}
	if o.WallNow == nil {
		o.WallNow = time.Now
	}
	if o.ListPageSize <= 0 {
		o.ListPageSize = 100
	}
	if o.AsyncPolls == 0 {
		o.AsyncPolls = 1
	}
	if o.AsyncRetryAfter <= 0 {
		o.AsyncRetryAfter = time.Second
	}
	if o.LinkLifetime <= 0 {
		o.LinkLifetime = time.Hour
	}
	if o.CostDetailsRowsPerBlob <= 0 {
		o.CostDetailsRowsPerBlob = 5000
	}
	if o.CostDetailsSchema == "" {
		o.CostDetailsSchema = CostDetailsSchemaStandard
	}
}

// ARM serves the ARM mode of a Server's dataset. It implements
// http.Handler.
type ARM struct {
	s   *Server
	o   ARMOptions
	key []byte // signs tokens and SAS links

	mu          sync.Mutex
	faults      []*ARMFault
	requests    map[string]int
	statuses    map[string]int
	blobAuth    int // blob requests refused for carrying Authorization
	tokens      int // tokens issued
	ops         map[string]*operation
	opOrder     []string
	opSeq       int
	windows     map[string]*rateWindow
	role        string
	denied      map[string]bool
	lastTokenOf map[string]string // client id -> last access token
}

// ARM returns the ARM mode of the simulator: the same dataset (and Bump)
// as the EA routes, which it also serves.
func (s *Server) ARM(o ARMOptions) *ARM {
	o.setDefaults(s.d)
	key := sha256.Sum256([]byte(fmt.Sprintf("arm-sim|%d|%s|%s", s.d.o.Seed, o.TenantID, o.ClientSecret)))
	a := &ARM{
		s: s, o: o, key: key[:],
		requests: map[string]int{}, statuses: map[string]int{}, ops: map[string]*operation{},
		windows: map[string]*rateWindow{}, role: o.Role, denied: map[string]bool{}, lastTokenOf: map[string]string{},
	}
	for _, r := range o.DeniedRoutes {
		a.denied[r] = true
	}
	return a
}

// NewARM returns the ARM mode of a new simulator for o.
func NewARM(o Options, ao ARMOptions) *ARM { return New(o).ARM(ao) }

// Server returns the simulator whose dataset the ARM mode serves.
func (a *ARM) Server() *Server { return a.s }

// Options returns the effective options (with the generated ids and
// secrets).
func (a *ARM) Options() ARMOptions { return a.o }

// TenantID, ClientID and ClientSecret are the registered app's.
func (a *ARM) TenantID() string     { return a.o.TenantID }
func (a *ARM) ClientID() string     { return a.o.ClientID }
func (a *ARM) ClientSecret() string { return a.o.ClientSecret }

// Enrollment is the billing account name.
func (a *ARM) Enrollment() string { return a.s.d.o.Enrollment }

// SetRole changes the role of the app and the managed identity.
func (a *ARM) SetRole(role string) {
	a.mu.Lock()
	a.role = role
	a.mu.Unlock()
}

// SetDenied replaces the routes answered 403 AuthorizationFailed.
func (a *ARM) SetDenied(routes ...string) {
	a.mu.Lock()
	a.denied = map[string]bool{}
	for _, r := range routes {
		a.denied[r] = true
	}
	a.mu.Unlock()
}

// Requests returns how many requests a route (ARMRoute*) received.
func (a *ARM) Requests(route string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests[route]
}

// Responses returns how many responses of a route had the status.
func (a *ARM) Responses(route string, status int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.statuses[route+" "+strconv.Itoa(status)]
}

// BlobAuthorizationRejected returns how many blob requests carried an
// Authorization header (each was refused with 400): a client that leaks
// its bearer token to the blob host shows here.
func (a *ARM) BlobAuthorizationRejected() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.blobAuth
}

// TokensIssued returns how many access tokens the authority and the
// managed-identity endpoints issued.
func (a *ARM) TokensIssued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tokens
}

func (a *ARM) wallNow() time.Time { return a.o.WallNow().UTC() }

var eaPath = regexp.MustCompile(`(?i)^/v[1-4]/enrollments/`)

func (a *ARM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	lp := strings.ToLower(p)
	switch {
	case eaPath.MatchString(p):
		a.s.ServeHTTP(w, r)
	case strings.HasPrefix(lp, "/providers/"):
		a.serveARM(w, r)
	case strings.HasPrefix(lp, "/blob/"):
		a.serveBlob(w, r)
	case lp == "/msi/token" || lp == "/metadata/identity/oauth2/token":
		a.serveManagedIdentity(w, r)
	default:
		a.serveAuthority(w, r)
	}
}

// count records a request of route and returns a recorder of its status.
func (a *ARM) count(route string, w http.ResponseWriter) *statusRecorder {
	a.mu.Lock()
	a.requests[route]++
	a.mu.Unlock()
	return &statusRecorder{ResponseWriter: w}
}

func (a *ARM) done(route string, rec *statusRecorder) {
	st := rec.status
	if st == 0 {
		st = http.StatusOK
	}
	a.mu.Lock()
	a.statuses[route+" "+strconv.Itoa(st)]++
	a.mu.Unlock()
}

// armError is ARM's error body: {"error":{"code","message"}}.
func armError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-failure-cause", "gateway")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	_, _ = w.Write(b)
}

// armRequest is a parsed ARM request.
type armRequest struct {
	route    string
	provider string // Microsoft.Billing, Microsoft.Consumption, Microsoft.CostManagement
	action   string // for AuthorizationFailed
	period   string // yyyyMM, "" when not a period route
	month    int    // -1 when not a period route
	opID     string // operation routes
	opKind   string // "pricesheet", "costdetails"
	sub      string // departments/enrollmentAccounts sub-resource name, if any
	account  bool   // the billing account itself
	list     bool   // billingAccounts (list)
}

// apiVersions the simulator accepts per provider.
var apiVersions = map[string][]string{
	"Microsoft.Billing":        {"2019-10-01-preview", "2020-05-01", "2024-04-01"},
	"Microsoft.Consumption":    {"2019-10-01", "2021-10-01", "2023-03-01", "2023-05-01", "2023-11-01", "2024-08-01", "2026-06-01"},
	"Microsoft.CostManagement": {"2023-03-01", "2023-09-01", "2023-11-01", "2024-08-01", "2025-03-01", "2026-06-01"},
}

// parseARM maps the path (case-insensitively, as ARM does) to a route.
func (a *ARM) parseARM(r *http.Request) (armRequest, int, string, string) {
	req := armRequest{month: -1}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	lower := make([]string, len(parts))
	for i, p := range parts {
		lower[i] = strings.ToLower(p)
	}
	notFound := func() (armRequest, int, string, string) {
		return req, http.StatusNotFound, "InvalidResourceType", "The resource type could not be found in the namespace for api version " + query(r, "api-version") + "."
	}
	if len(lower) < 3 || lower[0] != "providers" || lower[1] != "microsoft.billing" || lower[2] != "billingaccounts" {
		return notFound()
	}
	if len(lower) == 3 {
		req.route, req.provider, req.list, req.action = ARMRouteBillingAccount, "Microsoft.Billing", true, "Microsoft.Billing/billingAccounts/read"
		return req, 0, "", ""
	}
	if !strings.EqualFold(parts[3], a.s.d.o.Enrollment) {
		return req, http.StatusNotFound, "BillingAccountNotFound", fmt.Sprintf("Billing account %s was not found.", parts[3])
	}
	rest := lower[4:]
	if len(rest) == 0 {
		req.route, req.provider, req.account, req.action = ARMRouteBillingAccount, "Microsoft.Billing", true, "Microsoft.Billing/billingAccounts/read"
		return req, 0, "", ""
	}
	switch rest[0] {
	case "departments", "enrollmentaccounts":
		req.provider = "Microsoft.Billing"
		req.route, req.action = ARMRouteDepartments, "Microsoft.Billing/billingAccounts/departments/read"
		if rest[0] == "enrollmentaccounts" {
			req.route, req.action = ARMRouteEnrollmentAccounts, "Microsoft.Billing/billingAccounts/enrollmentAccounts/read"
		}
		switch len(rest) {
		case 1:
		case 2:
			req.sub = rest[1]
		case 3:
			if rest[0] != "departments" || rest[2] != "enrollmentaccounts" {
				return notFound()
			}
			req.sub, req.route, req.action = rest[1], ARMRouteEnrollmentAccounts, "Microsoft.Billing/billingAccounts/enrollmentAccounts/read"
		default:
			return notFound()
		}
		return req, 0, "", ""
	case "billingperiods":
		if len(rest) < 2 {
			return notFound()
		}
		t, err := time.ParseInLocation("200601", rest[1], time.UTC)
		if err != nil || len(rest[1]) != 6 {
			return req, http.StatusBadRequest, "InvalidBillingPeriod", fmt.Sprintf("Billing period '%s' is not valid: expected yyyyMM.", parts[5])
		}
		req.period, req.month = rest[1], monthOf(t)
		rest = rest[2:]
	}
	if len(rest) < 3 || rest[0] != "providers" {
		return notFound()
	}
	provider, tail := rest[1], strings.Join(rest[2:], "/")
	switch provider {
	case "microsoft.consumption":
		req.provider = "Microsoft.Consumption"
		switch {
		case tail == "balances":
			req.route, req.action = ARMRouteBalances, "Microsoft.Consumption/balances/read"
		case tail == "reservationsummaries" && req.period == "":
			req.route, req.action = ARMRouteReservationSummary, "Microsoft.Consumption/reservationSummaries/read"
		case tail == "reservationtransactions" && req.period == "":
			req.route, req.action = ARMRouteReservationTx, "Microsoft.Consumption/reservationTransactions/read"
		case tail == "pricesheets/download" && req.period != "":
			req.route, req.action, req.opKind = ARMRoutePriceSheet, "Microsoft.Consumption/pricesheets/download/action", "pricesheet"
		case strings.HasPrefix(tail, "operationresults/") && len(rest) == 4 && req.period == "":
			req.route, req.action, req.opID = ARMRouteOperation, "Microsoft.Consumption/operationresults/read", parts[len(parts)-1]
		default:
			return notFound()
		}
	case "microsoft.costmanagement":
		req.provider = "Microsoft.CostManagement"
		switch {
		case tail == "pricesheets/default/download" && req.period != "":
			req.route, req.action, req.opKind = ARMRoutePriceSheet, "Microsoft.CostManagement/pricesheets/download/action", "pricesheet"
		case tail == "generatecostdetailsreport" && req.period == "":
			req.route, req.action, req.opKind = ARMRouteCostDetails, "Microsoft.CostManagement/generateCostDetailsReport/action", "costdetails"
		case (strings.HasPrefix(tail, "operationresults/") || strings.HasPrefix(tail, "costdetailsoperationresults/")) && len(rest) == 4 && req.period == "":
			req.route, req.action, req.opID = ARMRouteOperation, "Microsoft.CostManagement/operationresults/read", parts[len(parts)-1]
		default:
			return notFound()
		}
	default:
		return notFound()
	}
	return req, 0, "", ""
}

func (a *ARM) serveARM(w http.ResponseWriter, r *http.Request) {
	req, status, code, msg := a.parseARM(r)
	route := req.route
	if route == "" {
		route = "unknown"
	}
	rec := a.count(route, w)
	defer a.done(route, rec)
	w = rec
	w.Header().Set("x-ms-request-id", a.requestID(r))
	w.Header().Set("x-ms-correlation-request-id", a.requestID(r))

	f := a.takeFault(route, r)
	if f != nil && !f.delay(r) {
		return
	}
	// Authentication comes first, as at the ARM front door.
	claims, st, c, m := a.authenticate(r)
	if st != 0 {
		if st == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="%s"`,
				a.baseURL(r), a.o.TenantID, strings.TrimSuffix(m, ".")))
		}
		armError(w, st, c, m)
		return
	}
	if status != 0 {
		armError(w, status, code, msg)
		return
	}
	apiVersion := query(r, "api-version")
	if apiVersion == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	if !contains(apiVersions[req.provider], apiVersion) {
		armError(w, http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf("The api-version '%s' is invalid. The supported versions are '%s'.", apiVersion, strings.Join(apiVersions[req.provider], ",")))
		return
	}
	a.mu.Lock()
	role, denied := a.role, a.denied[route]
	a.mu.Unlock()
	if role != RoleEnrollmentReader || denied {
		armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
			"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '/providers/Microsoft.Billing/billingAccounts/%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
			claims.AppID, claims.OID, req.action, a.s.d.o.Enrollment))
		return
	}
	if !a.rateLimit(w, route, req.provider) {
		return
	}
	a.quotaHeaders(w, route, req.provider)
	if f != nil && f.Status != 0 {
		f.writeStatus(w, req.provider)
		return
	}
	wantMethod := http.MethodGet
	if route == ARMRoutePriceSheet || route == ARMRouteCostDetails {
		wantMethod = http.MethodPost
	}
	if r.Method != wantMethod {
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method))
		return
	}
	switch route {
	case ARMRoutePriceSheet, ARMRouteCostDetails:
		a.startOperation(w, r, req, f)
		return
	case ARMRouteOperation:
		a.pollOperation(w, r, req, f)
		return
	}
	body, st, c, m := a.render(req, r, f)
	if st != 0 {
		armError(w, st, c, m)
		return
	}
	if body == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if f != nil {
		body = f.mangle(body)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if f == nil || !f.Truncate {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (a *ARM) requestID(r *http.Request) string {
	h := hmac.New(sha256.New, a.key)
	fmt.Fprintf(h, "%s|%s|%d", r.Method, r.URL.String(), a.wallNow().UnixNano())
	s := hex.EncodeToString(h.Sum(nil))
	return s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-a" + s[17:20] + "-" + s[20:32]
}

// baseURL is the scheme and host the request came to.
func (a *ARM) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// rateWindow is a fixed one-minute window of a route's budget.
type rateWindow struct {
	start time.Time
	used  int
}

// rateLimit spends one request of the route's budget, or answers 429.
func (a *ARM) rateLimit(w http.ResponseWriter, route, provider string) bool {
	limit, ok := a.o.RateLimits[route]
	if !ok || limit <= 0 {
		return true
	}
	now := a.wallNow()
	a.mu.Lock()
	win := a.windows[route]
	if win == nil || now.Sub(win.start) >= time.Minute {
		win = &rateWindow{start: now.Truncate(time.Minute)}
		a.windows[route] = win
	}
	win.used++
	used, reset := win.used, win.start.Add(time.Minute).Sub(now)
	a.mu.Unlock()
	if used <= limit {
		return true
	}
	secs := strconv.Itoa(int((reset + time.Second - 1) / time.Second))
	for _, h := range retryHeaders(provider, RetryHeaderDefault) {
		w.Header().Set(h, secs)
	}
	armError(w, http.StatusTooManyRequests, "429", "Too many requests. Please retry.")
	return false
}

// quotaHeaders writes the remaining-quota headers real responses carry.
func (a *ARM) quotaHeaders(w http.ResponseWriter, route, provider string) {
	remaining := 11999 - a.Requests(route)%12000
	if limit, ok := a.o.RateLimits[route]; ok && limit > 0 {
		a.mu.Lock()
		if win := a.windows[route]; win != nil {
			remaining = max(0, limit-win.used)
		}
		a.mu.Unlock()
	}
	w.Header().Set("x-ms-ratelimit-remaining-tenant-reads", strconv.Itoa(max(0, 11999-a.Requests(route)%12000)))
	if provider == "Microsoft.CostManagement" {
		w.Header().Set("x-ms-ratelimit-remaining-microsoft.costmanagement-entity-requests", "DefaultQuota:"+strconv.Itoa(remaining))
		w.Header().Set("x-ms-ratelimit-remaining-microsoft.costmanagement-tenant-requests", "DefaultQuota:"+strconv.Itoa(remaining))
	}
}

// Retry-header kinds of ARMFault.RetryHeader.
const (
	// RetryHeaderDefault: the provider's documented header — on 429
	// x-ms-ratelimit-microsoft.consumption-retry-after for
	// Microsoft.Consumption, x-ms-ratelimit-microsoft.costmanagement-
	// entity-retry-after for Microsoft.CostManagement, Retry-After
	// otherwise and for any other status.
	RetryHeaderDefault = ""
	// RetryHeaderAll sends every kind at once (the client must wait for the
	// largest).
	RetryHeaderAll = "all"
)

// RetryHeaderNames are the headers a throttled answer may carry.
var RetryHeaderNames = []string{
	"Retry-After",
	"retry-after-ms",
	"x-ms-retry-after-ms",
	"x-ms-ratelimit-microsoft.consumption-retry-after",
	"x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after",
	"x-ms-ratelimit-microsoft.costmanagement-entity-retry-after",
	"x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after",
	"x-ms-ratelimit-microsoft.costmanagement-client-retry-after",
}

func retryHeaders(provider, kind string) []string {
	switch kind {
	case RetryHeaderDefault:
		switch provider {
		case "Microsoft.Consumption":
			return []string{"x-ms-ratelimit-microsoft.consumption-retry-after"}
		case "Microsoft.CostManagement":
			return []string{"x-ms-ratelimit-microsoft.costmanagement-entity-retry-after"}
		}
		return []string{"Retry-After"}
	case RetryHeaderAll:
		return RetryHeaderNames
	}
	return []string{kind}
}
