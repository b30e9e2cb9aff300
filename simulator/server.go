// Package simulator is a faithful simulator of the Azure EA Reporting API
// (consumption.azure.com), which Microsoft has retired and which test
// machines cannot reach anyway. It serves a deterministic synthetic
// enrollment over real HTTP with the real routes and API versions, paging,
// ETags and 304 Not Modified, bearer-key checks, and the quirks of real
// responses; and it injects faults (error statuses with retry headers,
// latency, hangs, truncated, malformed and oversized bodies, paging loops)
// for tests.
//
// The data is a pure function of the options and the clock: rows are
// generated while they are written, so a dataset of millions of rows costs
// no memory.
package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the simulated API. It implements http.Handler.
type Server struct {
	d         *dataset
	key       string
	version   atomic.Int64
	fragOnce  sync.Once
	fragments *fragments

	mu       sync.Mutex
	faults   []*Fault
	requests map[string]int // by report
	statuses map[string]int // "report status"
}

// New returns a simulator for the options.
func New(o Options) *Server {
	o.setDefaults()
	s := &Server{d: newDataset(o), requests: map[string]int{}, statuses: map[string]int{}}
	s.key = o.APIKey
	if s.key == "" {
		s.key = MintKey(o.Enrollment, o.Now().Add(183*24*time.Hour))
	}
	return s
}

// APIKey returns the key the simulator accepts.
func (s *Server) APIKey() string { return s.key }

// Enrollment returns the simulated enrollment number.
func (s *Server) Enrollment() string { return s.d.o.Enrollment }

// Currency returns the enrollment's currency.
func (s *Server) Currency() string { return s.d.o.Currency }

// Bump changes the data of the current billing period, as the daily
// refresh of the real API does: late usage rows arrive, totals move, and
// the ETags of every request touching the current period change.
func (s *Server) Bump() { s.version.Add(1) }

// Requests returns how many requests the simulator has received for a
// report (a name as in package eaclient: "usage_details", ...).
func (s *Server) Requests(report string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[report]
}

// Responses returns how many responses for report had the status.
func (s *Server) Responses(report string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statuses[report+" "+strconv.Itoa(status)]
}

// MintKey returns an unsigned look-alike of an EA API key: a JWT whose
// payload carries the enrollment and the expiry, as real keys do.
func MintKey(enrollment string, exp time.Time) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","x5t":"simulated"}`))
	payload, _ := json.Marshal(map[string]any{
		"EnrollmentNumber": enrollment, "Id": "00000000-0000-0000-0000-000000000000", "ReportView": "System",
		"PartnerId": "", "DepartmentId": "", "AccountId": "",
		"iss": "ea.microsoftazure.com", "aud": "client.ea.microsoftazure.com",
		"exp": exp.Unix(), "nbf": exp.Add(-183 * 24 * time.Hour).Unix(),
	})
	return header + "." + enc.EncodeToString(payload) + ".c2ltdWxhdGVkLXNpZ25hdHVyZQ"
}

// request is a parsed API request.
type request struct {
	version int    // 1..4
	report  string // eaclient report name
	period  string // yyyyMM for period routes
	month   int    // the period as a month number, -1 when not a period route
	byDate  bool
	start   time.Time
	end     time.Time
	grain   string
	skip    int
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, status, msg := s.parse(r)
	report := req.report
	if report == "" {
		report = "unknown"
	}
	s.mu.Lock()
	s.requests[report]++
	s.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.statuses[report+" "+strconv.Itoa(rec.status)]++
		s.mu.Unlock()
	}()
	w = rec

	f := s.takeFault(req.report, r)
	if f != nil {
		if !f.delay(r) {
			return
		}
	}
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	if code, msg := s.authorize(r); code != 0 {
		writeError(w, code, msg)
		return
	}
	if f != nil && f.Status != 0 {
		f.writeStatus(w)
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}

	etag := s.etag(req)
	if f == nil || f.bodyFault() == "" {
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag && req.skip == 0 {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	body, next, err := s.render(req, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if f != nil {
		body = f.mangle(body, req, r, next)
		if f.HugeBytes > 0 {
			f.writeHuge(w, etag)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("ETag", etag)
	if f == nil || !f.Truncate {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// writeError answers like the real API did: a status and a short JSON body
// (its error format was never documented).
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": strings.ReplaceAll(http.StatusText(status), " ", ""), "message": msg}})
	_, _ = w.Write(b)
}

func (s *Server) authorize(r *http.Request) (int, string) {
	fields := strings.Fields(r.Header.Get("Authorization"))
	if len(fields) != 2 || !strings.EqualFold(fields[0], "bearer") {
		return http.StatusUnauthorized, "API Key not found"
	}
	if fields[1] != s.key {
		return http.StatusUnauthorized, "API Key is invalid"
	}
	if exp, ok := keyExpiry(s.key); ok && !s.d.now().Before(exp) {
		return http.StatusUnauthorized, "API Key has expired"
	}
	return 0, ""
}

func keyExpiry(key string) (time.Time, bool) {
	parts := strings.Split(key, ".")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == 0 {
		return time.Time{}, false
	}
	return time.Unix(claims.Exp, 0), true
}

// query reads a parameter case-insensitively (startDate and startdate both
// appear in the docs).
func query(r *http.Request, name string) string {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.Truncate(24 * time.Hour), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q: want yyyy-MM-dd", s)
}

// parse maps a request to a report. Paths match case-insensitively, as the
// real (ASP.NET) service did.
func (s *Server) parse(r *http.Request) (request, int, string) {
	req := request{month: -1}
	parts := strings.Split(strings.Trim(strings.ToLower(r.URL.Path), "/"), "/")
	if len(parts) < 4 || parts[1] != "enrollments" || len(parts[0]) != 2 || parts[0][0] != 'v' || parts[0][1] < '1' || parts[0][1] > '4' {
		return req, http.StatusNotFound, "Report endpoint not found"
	}
	req.version = int(parts[0][1] - '0')
	if parts[2] != strings.ToLower(s.d.o.Enrollment) {
		return req, http.StatusNotFound, "Enrollment not found"
	}
	rest := parts[3:]
	if len(rest) >= 3 && rest[0] == "billingperiods" {
		req.period = rest[1]
		t, err := time.ParseInLocation("200601", req.period, time.UTC)
		if err != nil {
			return req, http.StatusBadRequest, "Invalid billing period " + strconv.Quote(req.period)
		}
		req.month = monthOf(t)
		rest = rest[2:]
	}
	if len(rest) != 1 {
		return req, http.StatusNotFound, "Report endpoint not found"
	}
	switch rest[0] {
	case "billingperiods":
		if req.period != "" {
			return req, http.StatusNotFound, "Report endpoint not found"
		}
		req.report = "billing_periods"
	case "balancesummary":
		req.report = "balance_summary"
	case "usagedetails":
		req.report = "usage_details"
	case "usagedetailsbycustomdate":
		req.report, req.byDate = "usage_details", true
	case "marketplacecharges":
		req.report = "marketplace_charges"
	case "marketplacechargesbycustomdate":
		req.report, req.byDate = "marketplace_charges", true
	case "pricesheet":
		req.report = "price_sheet"
	case "reservationdetails":
		req.report, req.byDate = "reservation_details", true
	case "reservationsummaries":
		req.report = "reservation_summaries"
		req.grain = strings.ToLower(query(r, "grain"))
		if req.grain != "daily" && req.grain != "monthly" {
			return req, http.StatusBadRequest, "grain must be daily or monthly"
		}
		req.byDate = req.grain == "daily"
	case "reservationcharges":
		req.report, req.byDate = "reservation_charges", true
	default:
		return req, http.StatusNotFound, "Report endpoint not found"
	}
	if req.byDate {
		if req.period != "" {
			return req, http.StatusNotFound, "Report endpoint not found"
		}
		sk, ek := "startTime", "endTime"
		if strings.HasPrefix(req.report, "reservation") {
			sk, ek = "startDate", "endDate"
		}
		var err error
		if req.start, err = parseDate(query(r, sk)); err != nil {
			return req, http.StatusBadRequest, sk + ": " + err.Error()
		}
		if req.end, err = parseDate(query(r, ek)); err != nil {
			return req, http.StatusBadRequest, ek + ": " + err.Error()
		}
		if req.end.Before(req.start) {
			return req, http.StatusBadRequest, "end date is before start date"
		}
		if req.end.After(req.start.AddDate(0, 36, 0)) {
			return req, http.StatusBadRequest, "date range exceeds 36 months"
		}
	} else if req.month < 0 && req.report != "billing_periods" && req.grain == "" {
		req.month = s.d.currentMonth() // no period: the current one
	}
	if req.month >= 0 && !s.d.inHistory(req.month) {
		// "400 and 404 (unavailable) errors ... when there's no current
		// data available for the date range selected"
		return req, http.StatusNotFound, "No data available for billing period " + monthID(req.month)
	}
	if tok := query(r, "skiptoken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			return req, http.StatusBadRequest, "invalid skiptoken"
		}
		req.skip = n
	}
	return req, 0, ""
}

// etag names a dataset version: the request, the data version, and the day
// for anything that reaches into the open period (its data changes daily).
func (s *Server) etag(req request) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s|%d|%s|%s|%s", s.d.o.Enrollment, req.report, req.month, req.start.Format(time.DateOnly), req.end.Format(time.DateOnly), req.grain)
	cur := s.d.currentMonth()
	touchesCurrent := req.month == cur || req.month < 0 && (req.start.IsZero() || !req.end.Before(monthStart(cur)))
	if touchesCurrent {
		fmt.Fprintf(h, "|%d|%s", s.version.Load(), s.d.now().Format(time.DateOnly))
	}
	return fmt.Sprintf(`"%016x"`, h.Sum64())
}

// late is how many late-arriving rows the data version has added to the
// current period. It stops growing after a while (a long --demo bumps every
// minute); later bumps still move the ETags.
func (s *Server) late() int {
	return int(min(s.version.Load(), 240)) * max(1, s.d.o.UsageRowsPerDay/100)
}

// render writes the whole response body for req, and for a paged report the
// nextLink it carries.
func (s *Server) render(req request, r *http.Request) ([]byte, string, error) {
	w := &jw{}
	if req.report == "usage_details" {
		w.b = make([]byte, 0, s.d.o.PageSize*1600+256)
	} else {
		w.b = make([]byte, 0, 4096)
	}
	switch req.report {
	case "billing_periods":
		s.writeBillingPeriods(w, req)
	case "balance_summary":
		s.writeBalance(w, req)
	case "usage_details":
		return s.writeUsagePage(w, req, r)
	case "marketplace_charges":
		s.writeMarketplace(w, req)
	case "price_sheet":
		s.writePriceSheet(w, req)
	case "reservation_details":
		s.writeReservationDetails(w, req)
	case "reservation_summaries":
		s.writeReservationSummaries(w, req)
	case "reservation_charges":
		s.writeReservationCharges(w, req)
	}
	return w.b, "", nil
}

func (s *Server) writeBillingPeriods(w *jw, req request) {
	w.raw("[")
	for _, m := range s.d.history() {
		id := monthID(m)
		base := fmt.Sprintf("/v%d/enrollments/%s/billingperiods/%s/", 1, s.d.o.Enrollment, id)
		w.open()
		w.str("billingPeriodId", id)
		w.time("billingStart", monthStart(m), "2006-01-02T15:04:05Z")
		w.time("billingEnd", monthStart(m+1).Add(-time.Second), "2006-01-02T15:04:05Z")
		w.str("balanceSummary", base+"balancesummary")
		w.str("usageDetails", base+"usagedetails")
		w.str("marketplaceCharges", base+"marketplacecharges")
		w.str("priceSheet", base+"pricesheet")
		w.close()
	}
	w.raw("]")
}

func (s *Server) writeBalance(w *jw, req request) {
	b := s.d.balance(req.month, s.late())
	// v3 answers with an array, v1/v2 with a single object (observed).
	if req.version >= 3 {
		w.raw("[")
	}
	w.open()
	w.str("id", fmt.Sprintf("enrollments/%s/billingperiods/%s/balancesummaries", s.d.o.Enrollment, monthID(req.month)))
	// A number, not a string: the documented sample does this.
	id, _ := strconv.Atoi(monthID(req.month))
	w.int("billingPeriodId", int64(id))
	w.str("currencyCode", s.d.o.Currency)
	w.num("beginningBalance", round2(b.begin))
	w.num("endingBalance", round2(b.end))
	w.num("newPurchases", round2(b.purchases))
	w.num("adjustments", round2(b.adjustments))
	w.num("utilized", round2(b.utilized))
	w.num("serviceOverage", round2(b.serviceOverage))
	w.num("chargesBilledSeparately", round2(b.billedSeparately))
	w.num("totalOverage", round2(b.totalOverage))
	w.num("totalUsage", round2(b.totalUsage))
	w.num("azureMarketplaceServiceCharges", round2(b.marketplace))
	w.key("newPurchasesDetails")
	w.raw("[")
	if b.purchases > 0 {
		w.open()
		w.str("name", "Azure Monetary Commitment")
		w.num("value", round2(b.purchases))
		w.close()
	}
	w.raw("]")
	w.key("adjustmentDetails")
	w.raw("[")
	if b.adjustments > 0 {
		w.open()
		w.str("name", "Promo Credit")
		w.num("value", round2(b.adjustments))
		w.close()
	}
	w.raw("]")
	w.close()
	if req.version >= 3 {
		w.raw("]")
	}
}

// usageSegment is a run of rows [lo, hi) of one month.
type usageSegment struct{ month, lo, hi int }

func (s *Server) usageSegments(req request) []usageSegment {
	late := s.late()
	if !req.byDate {
		return []usageSegment{{req.month, 0, s.d.usageRows(req.month, late)}}
	}
	var segs []usageSegment
	rpd := s.d.o.UsageRowsPerDay
	for m := monthOf(req.start); m <= monthOf(req.end); m++ {
		n := s.d.usageRows(m, late)
		if n == 0 {
			continue
		}
		lo, hi := 0, n
		if m == monthOf(req.start) {
			lo = min(n, (req.start.Day()-1)*rpd)
		}
		if m == monthOf(req.end) && req.end.Day() < s.d.daysWithData(m) {
			hi = min(n, req.end.Day()*rpd)
		}
		if hi > lo {
			segs = append(segs, usageSegment{m, lo, hi})
		}
	}
	return segs
}

func (s *Server) writeUsagePage(w *jw, req request, r *http.Request) ([]byte, string, error) {
	segs := s.usageSegments(req)
	total := 0
	for _, sg := range segs {
		total += sg.hi - sg.lo
	}
	pageEnd := min(total, req.skip+s.d.o.PageSize)
	w.raw(`{"id":`)
	w.b = appendString(w.b, fmt.Sprintf("enrollments/%s/usagedetails/%d", s.d.o.Enrollment, req.skip/s.d.o.PageSize))
	w.raw(`,"data":[`)
	// Walk the segments arithmetically to the page's first row.
	pos := 0
	for _, sg := range segs {
		n := sg.hi - sg.lo
		if pos+n <= req.skip {
			pos += n
			continue
		}
		from := sg.lo + max(0, req.skip-pos)
		to := min(sg.hi, sg.lo+(pageEnd-pos))
		for i := from; i < to; i++ {
			s.writeUsageRow(w, req.version, sg.month, i)
		}
		pos += n
		if pos >= pageEnd {
			break
		}
	}
	w.raw("]")
	next := ""
	if pageEnd < total {
		next = nextLink(r, pageEnd)
	}
	w.key("nextLink")
	if next == "" {
		w.raw("null")
	} else {
		w.b = appendString(w.b, next)
	}
	w.raw("}")
	return w.b, next, nil
}

// nextLink is an absolute URL on the host the client called, like the real
// API's.
func nextLink(r *http.Request, skip int) string {
	q := r.URL.Query()
	for k := range q {
		if strings.EqualFold(k, "skiptoken") {
			q.Del(k)
		}
	}
	q.Set("skiptoken", strconv.Itoa(skip))
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

var resourceTypes = map[string]string{
	"Microsoft.Compute": "virtualMachines", "Microsoft.Storage": "storageAccounts", "Microsoft.Network": "publicIPAddresses",
	"Microsoft.Sql": "servers", "Microsoft.DocumentDB": "databaseAccounts", "Microsoft.Web": "sites",
	"Microsoft.OperationalInsights": "workspaces", "Microsoft.ContainerService": "managedClusters",
	"Microsoft.KeyVault": "vaults", "Microsoft.Synapse": "workspaces", "Microsoft.Insights": "metricAlerts",
}

// Row fragments that depend only on the meter or the subscription are
// rendered once: the simulator must serve a million rows faster than the
// exporter reads them, or a benchmark measures the simulator.
type fragments struct {
	meterHead [5][]string // v3+ head fields, by version
	meter     []string    // product ... meterName
	sub       []string    // account ... subscriptionName
	deptTail  []string    // departmentName, costCenter
}

func (s *Server) frags() *fragments {
	s.fragOnce.Do(func() {
		f := &fragments{}
		for mi := range meters {
			mt := &meters[mi]
			w := &jw{}
			w.str("serviceName", mt.serviceName)
			w.str("serviceTier", mt.serviceTier)
			w.str("location", mt.location)
			w.bool("chargesBilledSeparately", false)
			w.str("partNumber", mt.partNumber)
			w.str("resourceGuid", mt.id)
			w.str("offerId", "MS-AZR-0017P")
			for v := 3; v <= 4; v++ {
				f.meterHead[v] = append(f.meterHead[v], string(w.b)+",")
			}
			for v := 1; v <= 2; v++ {
				f.meterHead[v] = append(f.meterHead[v], "")
			}
			w = &jw{b: []byte{'{'}}
			w.str("product", mt.product)
			w.str("meterId", mt.id)
			w.str("meterCategory", mt.category)
			w.str("meterSubCategory", mt.subcategory)
			w.str("meterRegion", mt.region)
			w.str("meterName", mt.name)
			f.meter = append(f.meter, string(w.b[1:]))
		}
		for si := range s.d.subs {
			sub := &s.d.subs[si]
			dept := &departments[sub.dept]
			short := "cloud-" + strings.ToLower(strings.Fields(dept.name)[0])
			w := &jw{b: []byte{'{'}}
			w.int("accountId", int64(190000+sub.dept*101))
			w.int("departmentId", int64(79300+sub.dept))
			w.str("accountOwnerEmail", short+"@contoso.example")
			w.str("accountName", short)
			w.str("serviceAdministratorId", "")
			w.int("subscriptionId", int64(si+1)*1000003)
			w.str("subscriptionGuid", sub.guid)
			w.str("subscriptionName", sub.name)
			f.sub = append(f.sub, string(w.b[1:]))
			w = &jw{b: []byte{'{'}}
			w.str("storeServiceIdentifier", "")
			w.str("departmentName", dept.name)
			w.str("costCenter", dept.costCenter)
			f.deptTail = append(f.deptTail, string(w.b[1:]))
		}
		s.fragments = f
	})
	return s.fragments
}

func (s *Server) writeUsageRow(w *jw, version, m, i int) {
	f := s.frags()
	rb := s.d.row(m, i)
	mt := &meters[rb.meter]
	sub := &s.d.subs[rb.sub]
	dept := &departments[sub.dept]
	app := applications[int(mix(rb.h, 4, 0)%uint64(len(applications)))]
	date := monthStart(m).AddDate(0, 0, rb.day)

	w.open()
	w.raw(f.meterHead[min(version, 4)][rb.meter])
	switch version {
	case 1:
		w.num("extendedCost", rb.cost)
	case 2:
		w.num("Cost", rb.cost) // sic: the v2 sample capitalises it
	default:
		w.num("cost", rb.cost)
	}
	w.raw(",")
	w.raw(f.sub[rb.sub])
	w.int("productId", int64(1000000+rb.meter*37))
	w.int("resourceLocationId", int64(10+rb.meter%7))
	w.int("consumedServiceId", int64(60+rb.meter%9))
	if version >= 3 {
		w.time("date", date, "2006-01-02T15:04:05") // no zone, as in the v3 sample
	} else {
		w.time("date", date, "2006-01-02T15:04:05.000Z")
	}
	w.raw(",")
	w.raw(f.meter[rb.meter])
	w.num("consumedQuantity", rb.quantity)
	w.num("resourceRate", mt.rate)
	w.str("resourceLocation", mt.resourceLocation)
	w.str("consumedService", mt.consumedService)
	// /subscriptions/{guid}/resourceGroups/rg-{app}-{env}/providers/{service}/{type}/{app}-{env}-{nn}
	w.key("instanceId")
	w.raw(`"/subscriptions/`)
	w.raw(sub.guid)
	w.raw(`/resourceGroups/rg-`)
	w.raw(app)
	w.raw("-")
	w.raw(sub.env)
	w.raw("/providers/")
	w.raw(mt.consumedService)
	w.raw("/")
	w.raw(resourceTypes[mt.consumedService])
	w.raw("/")
	w.raw(app)
	w.raw("-")
	w.raw(sub.env)
	w.raw("-")
	n := mix(rb.h, 5, 0) % 12
	w.b = append(w.b, byte('0'+n/10), byte('0'+n%10), '"')
	w.raw(`,"serviceInfo1":"","serviceInfo2":""`)
	w.str("additionalInfo", `{  "ServiceType": "`+mt.serviceTier+`",  "ImageType": null,  "VCPUs": 4}`)
	if mix(rb.h, 6, 0)%10 == 0 {
		w.str("tags", "") // untagged resources exist in every enrollment
	} else {
		w.key("tags")
		w.raw(`"{  \"CostCenter\": \"`)
		w.raw(dept.costCenter)
		w.raw(`\",  \"env\": \"`)
		w.raw(sub.env)
		w.raw(`\",  \"app\": \"`)
		w.raw(app)
		w.raw(`\"}"`)
	}
	w.raw(",")
	w.raw(f.deptTail[rb.sub])
	w.str("unitOfMeasure", mt.unit)
	w.key("resourceGroup")
	w.raw(`"rg-`)
	w.raw(app)
	w.raw("-")
	w.raw(sub.env)
	w.raw(`"`)
	w.close()
}

func (s *Server) writeMarketplace(w *jw, req request) {
	w.raw("[")
	months := []int{req.month}
	if req.byDate {
		months = months[:0]
		for m := monthOf(req.start); m <= monthOf(req.end); m++ {
			months = append(months, m)
		}
	}
	for _, m := range months {
		for _, c := range s.d.marketplace(m) {
			day := monthStart(m).AddDate(0, 0, c.day)
			if req.byDate && (day.Before(req.start) || day.After(req.end)) {
				continue
			}
			off := &offers[c.offer]
			sub := &s.d.subs[c.sub]
			dept := &departments[sub.dept]
			w.open()
			w.str("id", fmt.Sprintf("enrollments/%s/dates/%s/instances('')/marketplaces", s.d.o.Enrollment, day.Format("20060102")))
			w.str("subscriptionGuid", sub.guid)
			w.str("subscriptionName", sub.name)
			w.str("meterId", "")
			w.time("usageStartDate", day, "2006-01-02T15:04:05")
			w.time("usageEndDate", day.Add(24*time.Hour-time.Second), "2006-01-02T15:04:05")
			w.str("offerName", off.offer)
			w.str("resourceGroup", "")
			w.str("instanceId", "")
			w.str("additionalInfo", "")
			w.str("tags", "")
			w.str("orderNumber", "")
			w.str("unitOfMeasure", off.unit)
			w.str("costCenter", dept.costCenter)
			w.int("accountId", int64(190000+sub.dept*101))
			w.str("accountName", "cloud-"+strings.ToLower(strings.Fields(dept.name)[0]))
			w.str("accountOwnerId", "cloud-"+strings.ToLower(strings.Fields(dept.name)[0])+"@contoso.example")
			w.int("departmentId", int64(79300+sub.dept))
			w.str("departmentName", dept.name)
			w.str("publisherName", off.publisher)
			w.str("planName", off.plan)
			w.num("consumedQuantity", c.quantity)
			w.num("resourceRate", off.rate)
			w.num("extendedCost", c.cost)
			if req.version >= 3 {
				// Observed both as a JSON boolean and as "False".
				if c.recurring {
					w.bool("isRecurringCharge", true)
				} else {
					w.str("isRecurringCharge", "False")
				}
			}
			w.close()
		}
	}
	w.raw("]")
}

func (s *Server) writePriceSheet(w *jw, req request) {
	id := monthID(req.month)
	w.raw("[")
	for i, mt := range meters {
		w.open()
		w.str("id", fmt.Sprintf("enrollments/%s/billingperiods/%s/products/%d/pricesheets", s.d.o.Enrollment, id, 300+i))
		w.str("billingPeriodId", id)
		if req.version >= 2 {
			w.str("meterId", mt.id)
		}
		w.str("meterName", mt.category+" "+mt.subcategory+" - "+mt.name+" - "+mt.region)
		w.str("unitOfMeasure", mt.unit)
		w.num("includedQuantity", 0)
		w.str("partNumber", mt.partNumber)
		w.num("unitPrice", mt.rate)
		w.str("currencyCode", s.d.o.Currency)
		w.close()
	}
	w.raw("]")
}

func reservationIDs(seed uint64, r int) (order, id string) {
	return guid(mix(seed, 0x0d, uint64(r))), guid(mix(seed, 0x1d, uint64(r)))
}

func (s *Server) writeReservationDetails(w *jw, req request) {
	w.raw("[")
	for _, rd := range s.d.reservationDays(req.start, req.end) {
		res := &reservations[rd.r]
		order, id := reservationIDs(s.d.o.Seed, rd.r)
		n := int(res.quantity)
		for k := 0; k < n; k++ {
			w.open()
			w.str("reservationOrderId", order)
			w.str("reservationId", id)
			w.time("usageDate", rd.date, "2006-01-02T15:04:05")
			w.str("skuName", res.sku)
			sub := &s.d.subs[(rd.r*5+k)%len(s.d.subs)]
			w.str("instanceId", fmt.Sprintf("/subscriptions/%s/resourcegroups/rg-%s/providers/microsoft.compute/virtualmachines/vm-%d-%02d", sub.guid, sub.env, rd.r, k))
			w.num("totalReservedQuantity", res.quantity)
			// Each instance carries its share of the day, so the rows of a
			// reservation add up to its daily summary.
			w.num("reservedHours", rd.reserved/float64(n))
			w.num("usedHours", rd.used/float64(n))
			w.close()
		}
	}
	w.raw("]")
}

func (s *Server) writeReservationSummaries(w *jw, req request) {
	days := s.d.reservationDays(req.start, req.end)
	if req.grain == "monthly" {
		// Monthly grain: the current month to date, one row a reservation.
		cur := s.d.currentMonth()
		days = s.d.reservationDays(monthStart(cur), monthStart(cur+1).Add(-time.Second))
		agg := map[int]*reservationDay{}
		var order []int
		for _, d := range days {
			a, ok := agg[d.r]
			if !ok {
				a = &reservationDay{r: d.r, date: monthStart(cur), minPct: 100}
				agg[d.r] = a
				order = append(order, d.r)
			}
			a.reserved += d.reserved
			a.used += d.used
			a.minPct = min(a.minPct, d.minPct)
			a.maxPct = max(a.maxPct, d.maxPct)
		}
		sort.Ints(order)
		days = days[:0]
		for _, r := range order {
			a := agg[r]
			a.avgPct = round2(a.used / a.reserved * 100)
			days = append(days, *a)
		}
	}
	w.raw("[")
	for _, rd := range days {
		res := &reservations[rd.r]
		order, id := reservationIDs(s.d.o.Seed, rd.r)
		w.open()
		w.str("reservationOrderId", order)
		w.str("reservationId", id)
		w.str("skuName", res.sku)
		w.num("reservedHours", rd.reserved)
		w.time("usageDate", rd.date, "2006-01-02T15:04:05")
		w.num("usedHours", rd.used)
		w.num("minUtilizationPercentage", rd.minPct)
		w.num("avgUtilizationPercentage", rd.avgPct)
		w.num("maxUtilizationPercentage", rd.maxPct)
		w.close()
	}
	w.raw("]")
}

func (s *Server) writeReservationCharges(w *jw, req request) {
	w.raw("[")
	for _, ev := range s.d.reservationEvents(req.start, req.end) {
		res := &reservations[ev.r]
		order, _ := reservationIDs(s.d.o.Seed, ev.r)
		sub := &s.d.subs[(ev.r*5)%len(s.d.subs)]
		dept := &departments[sub.dept]
		term := map[string]string{"P1Y": "1 Year", "P3Y": "3 Years"}[res.term]
		w.open()
		w.str("purchasingEnrollment", s.d.o.Enrollment)
		w.str("armSkuName", res.sku)
		w.str("term", res.term)
		w.str("region", res.region)
		w.str("purchasingSubscriptionGuid", sub.guid)
		w.str("purchasingSubscriptionName", sub.name)
		w.str("accountName", "cloud-"+strings.ToLower(strings.Fields(dept.name)[0]))
		w.str("accountOwnerEmail", "cloud-"+strings.ToLower(strings.Fields(dept.name)[0])+"@contoso.example")
		w.str("departmentName", dept.name)
		w.str("costCenter", dept.costCenter)
		w.str("currentEnrollment", s.d.o.Enrollment)
		if req.version >= 4 {
			w.str("billingFrequency", res.frequency)
		}
		w.time("eventDate", ev.date, "2006-01-02T15:04:05")
		w.str("reservationOrderId", order)
		w.str("description", res.sku+" "+res.region+" "+term)
		w.str("eventType", "Purchase")
		w.num("quantity", res.quantity)
		w.num("amount", ev.amount)
		w.str("currency", s.d.o.Currency)
		w.str("reservationOrderName", res.orderName)
		w.close()
	}
	w.raw("]")
}
