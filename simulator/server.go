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
//
// Each report has its own file, its data and how it is written:
// billing_periods.go, balance_summary.go (with the commitment account),
// usage_details.go, marketplace.go, price_sheet.go and reservations.go
// (details, summaries and charges). server.go routes requests, checks the
// key and answers with ETags; dataset.go holds the options, the clock and
// the random streams; catalog.go the synthetic enterprise; faults.go the
// faults.
package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
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
	csvOnce   sync.Once
	csv       *csvState // the CSV routes (usage_csv.go)

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
	w, done := s.gzipped(w, r)
	defer done()
	if s.serveUsageCSV(w, r) {
		return
	}
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
// for anything that reaches into the open month (its data changes daily;
// with a data latency that can still be the previous period).
func (s *Server) etag(req request) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s|%d|%s|%s|%s", s.d.o.Enrollment, req.report, req.month, req.start.Format(time.DateOnly), req.end.Format(time.DateOnly), req.grain)
	open := s.d.openMonth()
	touchesOpen := req.month >= open || req.month < 0 && (req.start.IsZero() || !req.end.Before(monthStart(open)))
	if touchesOpen {
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
