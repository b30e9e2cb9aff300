package simulator

// The usage details as CSV (reference §4 and §5): the synchronous download
// of up to one month, and the asynchronous report (submit, poll the
// reportUrl, then read the CSV blob with its SAS link and no
// Authorization header). Both serve the rows the JSON routes serve, from
// the same generator: same rows, same numbers.
//
//	GET  /v3/enrollments/{n}/usagedetails/download?billingPeriod=yyyyMM   (or startTime, endTime)
//	POST /v3/enrollments/{n}/usagedetails/submit?billingPeriod=yyyyMM     (or startTime, endTime)
//	GET  /v3/enrollments/{n}/usagedetails/submit/{id}                     the reportUrl
//	GET  /eablob/usagedetails/{id}/{file}.csv?sv=..&se=..&sig=..           the blobPath (blob host)
//
// The file is a UTF-8 byte-order mark, a title line, a blank line, the
// header of 40 columns and the rows, CRLF line ends, fields quoted only
// when they need it (Tags and AdditionalInfo, with "" escapes), as the
// capture in the reference.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Route names of the CSV routes, as counted by Requests and Responses and
// matched by Fault.Report (a Fault with an empty Report matches them too).
const (
	RouteUsageDownload = "usage_details_download" // GET .../usagedetails/download
	RouteUsageSubmit   = "usage_details_submit"   // POST .../usagedetails/submit
	RouteUsageReport   = "usage_details_report"   // GET of a reportUrl
	RouteUsageBlob     = "usage_details_blob"     // GET of a blobPath
)

// Statuses of an asynchronous usage report (reference §5).
const (
	ReportQueued          = 1
	ReportInProgress      = 2
	ReportCompleted       = 3
	ReportFailed          = 4
	ReportNoDataFound     = 5
	ReportReadyToDownload = 6
	ReportTimedOut        = 7
)

// CSVOptions configure the CSV routes. Zero values take the defaults shown.
type CSVOptions struct {
	// Localised writes the title and header as the French capture of the
	// reference does, each column as "Localised (EnglishName)".
	Localised bool
	// NewlinesInFields writes AdditionalInfo pretty-printed over several
	// lines (CRLF inside the quotes).
	NewlinesInFields bool
	// NoDownloadETag answers the download without an ETag and ignores
	// If-None-Match (whether the real route sent one is not documented).
	NoDownloadETag bool
	// ReportPolls is how many polls of a report answer before it is done:
	// the first half Queued (1), the rest InProgress (2). Default 2; -1
	// finishes on the first poll.
	ReportPolls int
	// PollRetryAfter, when set, is sent as Retry-After on the polls of a
	// report that is not done (the reference documents none).
	PollRetryAfter time.Duration
	// LinkLifetime is how long a blob link is valid after the report's
	// requestedOn: default 1h, as documented.
	LinkLifetime time.Duration
	// BlobHost is the host name blob links use (the port is the request's).
	// "" swaps 127.0.0.1 and localhost, so that the blob host is never the
	// API host the key is sent to; "same" keeps the request's host.
	BlobHost string
	// WallNow is the clock of requestedOn and the blob links' expiry;
	// time.Now when nil (not the dataset's clock, which tests freeze).
	WallNow func() time.Time
}

// ReportOutcome makes the next submitted reports end otherwise than
// Completed.
type ReportOutcome struct {
	// Status is the final status: ReportCompleted (the default),
	// ReportReadyToDownload (with a blobPath too), ReportFailed,
	// ReportNoDataFound or ReportTimedOut.
	Status int
	// ExpiredLink hands out a blob link that has already expired.
	ExpiredLink bool
	// Never keeps the report InProgress for ever.
	Never bool
	// Times is how many submits it applies to; 0 means until cleared.
	Times int
	left  int
}

type usageReportJob struct {
	id          string
	req         request // the rows: a period or a date range
	late        int     // the data version at submit
	requestedOn time.Time
	polls       int // polls answered so far
	outcome     ReportOutcome
}

// csvState is the CSV routes' options and reports.
type csvState struct {
	mu        sync.Mutex
	o         CSVOptions
	outcomes  []*ReportOutcome
	jobs      map[string]*usageReportJob
	order     []string
	seq       int
	blobAuth  int // blob requests that carried an Authorization header
	blobCalls int
	sigKey    []byte
	fragOnce  sync.Once
	frags     *csvFragments
}

func (s *Server) csvs() *csvState {
	s.csvOnce.Do(func() {
		k := sha256.Sum256([]byte(fmt.Sprintf("ea-blob|%d|%s", s.d.o.Seed, s.key)))
		s.csv = &csvState{jobs: map[string]*usageReportJob{}, sigKey: k[:]}
		s.csv.o.setDefaults()
	})
	return s.csv
}

func (o *CSVOptions) setDefaults() {
	if o.ReportPolls == 0 {
		o.ReportPolls = 2
	}
	if o.LinkLifetime <= 0 {
		o.LinkLifetime = time.Hour
	}
	if o.WallNow == nil {
		o.WallNow = time.Now
	}
}

// SetCSVOptions configures the CSV routes; it may be called at any time.
func (s *Server) SetCSVOptions(o CSVOptions) {
	o.setDefaults()
	c := s.csvs()
	c.mu.Lock()
	c.o = o
	c.mu.Unlock()
}

func (c *csvState) opts() CSVOptions {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.o
}

// AddReportOutcome makes the next submitted reports end as o says.
func (s *Server) AddReportOutcome(o ReportOutcome) {
	c := s.csvs()
	c.mu.Lock()
	defer c.mu.Unlock()
	o.left = o.Times
	c.outcomes = append(c.outcomes, &o)
}

// BlobAuthorizations returns how many blob requests carried an
// Authorization header (each was refused): the key must never reach the
// blob host.
func (s *Server) BlobAuthorizations() int {
	c := s.csvs()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blobAuth
}

// BlobRequests returns how many requests the blob host received.
func (s *Server) BlobRequests() int {
	c := s.csvs()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blobCalls
}

// serveUsageCSV answers the CSV routes; false when r is not one of them.
func (s *Server) serveUsageCSV(w http.ResponseWriter, r *http.Request) bool {
	lp := strings.ToLower(r.URL.Path)
	route, id := "", ""
	switch {
	case strings.HasPrefix(lp, "/eablob/"):
		route = RouteUsageBlob
	default:
		parts := strings.Split(strings.Trim(lp, "/"), "/")
		if len(parts) < 5 || parts[1] != "enrollments" || parts[3] != "usagedetails" || len(parts[0]) != 2 || parts[0][0] != 'v' {
			return false
		}
		switch {
		case len(parts) == 5 && parts[4] == "download":
			route = RouteUsageDownload
		case len(parts) == 5 && parts[4] == "submit":
			route = RouteUsageSubmit
		case len(parts) == 6 && parts[4] == "submit":
			route, id = RouteUsageReport, parts[5]
		default:
			return false
		}
		if parts[0] != "v2" && parts[0] != "v3" {
			return false // documented under v2 and v3 only: 404 as any unknown route
		}
		if parts[2] != strings.ToLower(s.d.o.Enrollment) {
			s.countCSV(route, w, func(w http.ResponseWriter) {
				writeError(w, http.StatusNotFound, "Enrollment not found")
			})
			return true
		}
	}
	s.countCSV(route, w, func(w http.ResponseWriter) {
		if route == RouteUsageBlob {
			s.serveUsageBlob(w, r)
			return
		}
		f := s.takeFault(route, r)
		if f != nil && !f.delay(r) {
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
		switch route {
		case RouteUsageDownload:
			if r.Method != http.MethodGet {
				writeError(w, http.StatusMethodNotAllowed, "method not allowed")
				return
			}
			s.serveUsageDownload(w, r, f)
		case RouteUsageSubmit:
			if r.Method != http.MethodPost {
				writeError(w, http.StatusMethodNotAllowed, "method not allowed")
				return
			}
			s.submitUsageReport(w, r)
		case RouteUsageReport:
			if r.Method != http.MethodGet {
				writeError(w, http.StatusMethodNotAllowed, "method not allowed")
				return
			}
			s.pollUsageReport(w, r, id)
		}
	})
	return true
}

func (s *Server) countCSV(route string, w http.ResponseWriter, serve func(http.ResponseWriter)) {
	s.mu.Lock()
	s.requests[route]++
	s.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.statuses[route+" "+strconv.Itoa(rec.status)]++
		s.mu.Unlock()
	}()
	serve(rec)
}

// csvRequest reads billingPeriod, or startTime and endTime, or neither
// (the current period), within maxMonths.
func (s *Server) csvRequest(r *http.Request, maxMonths int) (request, int, string) {
	req := request{version: 3, report: "usage_details", month: -1}
	if p := query(r, "billingPeriod"); p != "" {
		t, err := time.ParseInLocation("200601", p, time.UTC)
		if err != nil || len(p) != 6 {
			return req, http.StatusBadRequest, "Invalid billing period " + strconv.Quote(p)
		}
		req.period, req.month = p, monthOf(t)
	} else if st, et := query(r, "startTime"), query(r, "endTime"); st != "" || et != "" {
		var err error
		if req.start, err = parseDate(st); err != nil {
			return req, http.StatusBadRequest, "startTime: " + err.Error()
		}
		if req.end, err = parseDate(et); err != nil {
			return req, http.StatusBadRequest, "endTime: " + err.Error()
		}
		if req.end.Before(req.start) {
			return req, http.StatusBadRequest, "end date is before start date"
		}
		if req.end.After(req.start.AddDate(0, maxMonths, 0)) {
			if maxMonths == 1 {
				return req, http.StatusBadRequest, "We allow maximum of one month support"
			}
			return req, http.StatusBadRequest, fmt.Sprintf("date range exceeds %d months", maxMonths)
		}
		req.byDate = true
	} else {
		req.month = s.d.currentMonth()
		req.period = monthID(req.month)
	}
	if req.month >= 0 && !s.d.inHistory(req.month) {
		return req, http.StatusNotFound, "No data available for billing period " + monthID(req.month)
	}
	return req, 0, ""
}

func (s *Server) serveUsageDownload(w http.ResponseWriter, r *http.Request, f *Fault) {
	req, code, msg := s.csvRequest(r, 1)
	if code != 0 {
		writeError(w, code, msg)
		return
	}
	o := s.csvs().opts()
	if query(r, "sim-lang") == "fr" {
		o.Localised = true
	}
	etag := ""
	if !o.NoDownloadETag {
		ek := req
		ek.report = "usage_details_csv"
		etag = s.etag(ek)
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag && (f == nil || f.bodyFault() == "") {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
	}
	s.writeUsageCSV(w, req, s.late(), o, f, false)
}

// writeUsageCSV streams the file of req's rows. A Truncate fault cuts the
// body in the middle of a record and breaks the connection; HTML answers
// an error page with 200; Empty writes no rows.
func (s *Server) writeUsageCSV(w http.ResponseWriter, req request, late int, o CSVOptions, f *Fault, noData bool) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if f != nil && f.HTML {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>The service is temporarily unavailable</h1></body></html>"))
		return
	}
	w.WriteHeader(http.StatusOK)
	fr := s.csvFrags()
	b := make([]byte, 0, 96<<10)
	b = append(b, "\ufeff"...)
	b = appendCSVTitle(b, req, o.Localised)
	b = append(b, "\r\n\r\n"...)
	if o.Localised {
		b = append(b, fr.headerFR...)
	} else {
		b = append(b, fr.header...)
	}
	b = append(b, "\r\n"...)
	segs := []usageSegment(nil)
	if !noData && (f == nil || !f.Empty) {
		segs = s.csvSegments(req, late)
	}
	total, written := 0, 0
	for _, sg := range segs {
		total += sg.hi - sg.lo
	}
	for _, sg := range segs {
		for i := sg.lo; i < sg.hi; i++ {
			if f != nil && f.Truncate && written == total/2 {
				b = append(b, "194110,cloud-plat"...)
				_, _ = w.Write(b)
				panic(http.ErrAbortHandler) // no final chunk: the client sees an unexpected EOF
			}
			b = s.appendUsageCSVRow(b, fr, o, sg.month, i)
			written++
			if len(b) >= 64<<10 {
				if _, err := w.Write(b); err != nil {
					return
				}
				b = b[:0]
			}
		}
	}
	_, _ = w.Write(b)
}

// csvSegments are the rows of req with the data version late: those the
// JSON routes serve for the same request.
func (s *Server) csvSegments(req request, late int) []usageSegment {
	return s.segmentsAt(req, late)
}

// appendCSVTitle writes the title line. The English text is the one in
// parentheses of the French capture; the date-range wording is inferred.
func appendCSVTitle(b []byte, req request, fr bool) []byte {
	if req.byDate {
		r := req.start.Format(time.DateOnly) + " - " + req.end.Format(time.DateOnly)
		if fr {
			return append(b, "Rapport UsageDetail pour la plage de dates - (UsageDetail Report for Date Range -) "+r...)
		}
		return append(b, "UsageDetail Report for Date Range - "+r...)
	}
	if fr {
		return append(b, "Rapport UsageDetail pour la période de facturation - (UsageDetail Report for Billing Period -) "+monthID(req.month)...)
	}
	return append(b, "UsageDetail Report for Billing Period - "+monthID(req.month)...)
}

// UsageCSVColumns are the 40 columns of the EA usage CSV, in order.
var UsageCSVColumns = []string{
	"AccountId", "AccountName", "AccountOwnerEmail", "AdditionalInfo", "ConsumedQuantity", "ConsumedService", "ConsumedServiceId",
	"Cost", "CostCenter", "Date", "DepartmentId", "DepartmentName", "InstanceId", "MeterCategory", "MeterId", "MeterName",
	"MeterRegion", "MeterSubCategory", "Product", "ProductId", "ResourceGroup", "ResourceLocation", "ResourceLocationId",
	"ResourceRate", "ServiceAdministratorId", "ServiceInfo1", "ServiceInfo2", "StoreServiceIdentifier", "SubscriptionGuid",
	"SubscriptionId", "SubscriptionName", "Tags", "UnitOfMeasure", "PartNumber", "ResourceGuid", "OfferId",
	"ChargesBilledSeparately", "Location", "ServiceName", "ServiceTier",
}

// usageCSVColumnsFR are the French names of the capture, in the same order.
var usageCSVColumnsFR = []string{
	"ID du compte", "Nom du compte", "Adresse e-mail du propriétaire du compte", "Informations supplémentaires", "Quantité consommée",
	"Service consommé", "ID du service consommé", "Coût", "Centre de coûts", "Date", "ID du service", "Nom du service", "ID d'instance",
	"Catégorie du compteur", "ID du compteur", "Nom du compteur", "Région du compteur", "Sous-catégorie du compteur", "Produit",
	"ID du produit", "Groupe de ressources", "Emplacement des ressources", "ID d'emplacement des ressources", "Taux de ressources",
	"ID de l'administrateur de service", "Informations de service 1", "Informations de service 2", "Identificateur du service Store",
	"Guid d'abonnement", "ID d'abonnement", "Nom de l'abonnement", "Balises", "Unité de mesure", "PartNumber", "ResourceGuid",
	"OfferId", "ChargesBilledSeparately", "Emplacement", "ServiceName", "ServiceTier",
}

// csvFragments are the parts of a CSV row that depend only on the meter
// or the subscription, rendered once.
type csvFragments struct {
	header, headerFR string
	subHead          []string // AccountId,AccountName,AccountOwnerEmail,
	subCC            []string // CostCenter,
	subDept          []string // DepartmentId,DepartmentName,
	subSub           []string // SubscriptionGuid,SubscriptionId,SubscriptionName,
	meterInfo        []string // "AdditionalInfo",
	meterInfoNL      []string // the same over several lines
	meterSvc         []string // ConsumedService,ConsumedServiceId,
	meterMid         []string // MeterCategory,...,ProductId,
	meterLoc         []string // ResourceLocation,ResourceLocationId,ResourceRate,,,,,
	meterTail        []string // UnitOfMeasure,...,ServiceTier CRLF
}

func (s *Server) csvFrags() *csvFragments {
	c := s.csvs()
	c.fragOnce.Do(func() {
		f := &csvFragments{}
		var h []string
		for i, name := range UsageCSVColumns {
			h = append(h, csvField(usageCSVColumnsFR[i]+" ("+name+")"))
		}
		f.header = strings.Join(UsageCSVColumns, ",")
		f.headerFR = strings.Join(h, ",")
		for si := range s.d.subs {
			sub := &s.d.subs[si]
			dept := &departments[sub.dept]
			short := accountName(sub.dept)
			f.subHead = append(f.subHead, csvJoin(strconv.Itoa(190000+sub.dept*101), short, short+"@contoso.example")+",")
			f.subCC = append(f.subCC, csvField(dept.costCenter)+",")
			f.subDept = append(f.subDept, csvJoin(strconv.Itoa(79300+sub.dept), dept.name)+",")
			f.subSub = append(f.subSub, csvJoin(sub.guid, strconv.FormatInt(int64(si+1)*1000003, 10), sub.name)+",")
		}
		for mi := range meters {
			mt := &meters[mi]
			f.meterInfo = append(f.meterInfo, csvField(`{  "ServiceType": "`+mt.serviceTier+`",  "ImageType": null,  "VCPUs": 4}`)+",")
			f.meterInfoNL = append(f.meterInfoNL, csvField("{\r\n  \"ServiceType\": \""+mt.serviceTier+"\",\r\n  \"ImageType\": null,\r\n  \"VCPUs\": 4\r\n}")+",")
			f.meterSvc = append(f.meterSvc, csvJoin(mt.consumedService, strconv.Itoa(60+mi%9))+",")
			f.meterMid = append(f.meterMid, csvJoin(mt.category, mt.id, mt.name, mt.region, mt.subcategory, mt.product, strconv.Itoa(1000000+mi*37))+",")
			f.meterLoc = append(f.meterLoc, csvJoin(mt.resourceLocation, strconv.Itoa(10+mi%7), fmtNum(mt.rate), "", "", "", "")+",")
			f.meterTail = append(f.meterTail, csvJoin(mt.unit, mt.partNumber, mt.id, "MS-AZR-0017P", "False", mt.location, mt.serviceName, mt.serviceTier)+"\r\n")
		}
		c.frags = f
	})
	return c.frags
}

func csvJoin(fields ...string) string {
	for i, f := range fields {
		fields[i] = csvField(f)
	}
	return strings.Join(fields, ",")
}

// csvField quotes a field when it needs it, as encoding/csv does.
func csvField(s string) string {
	if s == "" || !strings.ContainsAny(s, "\",\r\n") && s[0] != ' ' {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// appendUsageCSVRow writes row i of month m: the row writeUsageRow writes
// as JSON.
func (s *Server) appendUsageCSVRow(b []byte, f *csvFragments, o CSVOptions, m, i int) []byte {
	rb := s.d.row(m, i)
	mt := &meters[rb.meter]
	sub := &s.d.subs[rb.sub]
	dept := &departments[sub.dept]
	app := applications[int(mix(rb.h, 4, 0)%uint64(len(applications)))]
	date := monthStart(m).AddDate(0, 0, rb.day)

	b = append(b, f.subHead[rb.sub]...)
	if o.NewlinesInFields {
		b = append(b, f.meterInfoNL[rb.meter]...)
	} else {
		b = append(b, f.meterInfo[rb.meter]...)
	}
	b = strconv.AppendFloat(b, rb.quantity, 'f', -1, 64)
	b = append(b, ',')
	b = append(b, f.meterSvc[rb.meter]...)
	b = strconv.AppendFloat(b, rb.cost, 'f', -1, 64)
	b = append(b, ',')
	b = append(b, f.subCC[rb.sub]...)
	b = date.AppendFormat(b, time.DateOnly)
	b = append(b, ',')
	b = append(b, f.subDept[rb.sub]...)
	// InstanceId, as the JSON row has it.
	b = append(b, "/subscriptions/"...)
	b = append(b, sub.guid...)
	b = append(b, "/resourceGroups/rg-"...)
	b = append(b, app...)
	b = append(b, '-')
	b = append(b, sub.env...)
	b = append(b, "/providers/"...)
	b = append(b, mt.consumedService...)
	b = append(b, '/')
	b = append(b, resourceTypes[mt.consumedService]...)
	b = append(b, '/')
	b = append(b, app...)
	b = append(b, '-')
	b = append(b, sub.env...)
	b = append(b, '-')
	n := mix(rb.h, 5, 0) % 12
	b = append(b, byte('0'+n/10), byte('0'+n%10), ',')
	b = append(b, f.meterMid[rb.meter]...)
	b = append(b, "rg-"...)
	b = append(b, app...)
	b = append(b, '-')
	b = append(b, sub.env...)
	b = append(b, ',')
	b = append(b, f.meterLoc[rb.meter]...)
	b = append(b, f.subSub[rb.sub]...)
	if mix(rb.h, 6, 0)%10 != 0 {
		b = append(b, `"{  ""CostCenter"": ""`...)
		b = append(b, dept.costCenter...)
		b = append(b, `"",  ""env"": ""`...)
		b = append(b, sub.env...)
		b = append(b, `"",  ""app"": ""`...)
		b = append(b, app...)
		b = append(b, `""}"`...)
	}
	b = append(b, ',')
	return append(b, f.meterTail[rb.meter]...)
}

// reportStatus is the JSON object of submit and of every poll.
type reportStatus struct {
	ID               string `json:"id"`
	EnrollmentNumber string `json:"enrollmentNumber"`
	RequestedOn      string `json:"requestedOn"`
	Status           int    `json:"status"`
	BlobPath         string `json:"blobPath"`
	ReportURL        string `json:"reportUrl"`
	StartDate        string `json:"startDate"`
	EndDate          string `json:"endDate"`
}

const maxUsageReports = 256

func (s *Server) submitUsageReport(w http.ResponseWriter, r *http.Request) {
	req, code, msg := s.csvRequest(r, 36)
	if code != 0 {
		writeError(w, code, msg)
		return
	}
	c := s.csvs()
	c.mu.Lock()
	c.seq++
	job := &usageReportJob{id: guid(mix(s.d.o.Seed, 0xea5, uint64(c.seq))), req: req, late: s.late(), requestedOn: c.o.WallNow().UTC()}
	// The first outcome queued decides this report; one with Times is used
	// up after that many reports.
	if len(c.outcomes) > 0 {
		oc := c.outcomes[0]
		job.outcome = *oc
		if oc.Times > 0 {
			oc.left--
			if oc.left <= 0 {
				c.outcomes = c.outcomes[1:]
			}
		}
	}
	c.jobs[job.id] = job
	c.order = append(c.order, job.id)
	if len(c.order) > maxUsageReports {
		delete(c.jobs, c.order[0])
		c.order = c.order[1:]
	}
	c.mu.Unlock()
	s.writeReportStatus(w, r, job, ReportQueued, http.StatusAccepted)
}

func (s *Server) pollUsageReport(w http.ResponseWriter, r *http.Request, id string) {
	c := s.csvs()
	c.mu.Lock()
	job := c.jobs[id]
	status := 0
	o := c.o
	if job != nil {
		job.polls++
		switch {
		case job.outcome.Never:
			status = ReportInProgress
		case o.ReportPolls > 0 && job.polls <= o.ReportPolls:
			status = ReportQueued
			if job.polls > o.ReportPolls/2 {
				status = ReportInProgress
			}
		default:
			status = job.outcome.Status
			if status == 0 {
				status = ReportCompleted
			}
		}
	}
	c.mu.Unlock()
	if job == nil {
		writeError(w, http.StatusNotFound, "Report not found")
		return
	}
	if (status == ReportQueued || status == ReportInProgress) && o.PollRetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatFloat(o.PollRetryAfter.Seconds(), 'f', -1, 64))
	}
	s.writeReportStatus(w, r, job, status, http.StatusOK)
}

func (s *Server) writeReportStatus(w http.ResponseWriter, r *http.Request, job *usageReportJob, status, code int) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	st := reportStatus{
		ID: job.id, EnrollmentNumber: s.d.o.Enrollment, Status: status,
		RequestedOn: job.requestedOn.Format("2006-01-02T15:04:05.0000000Z"),
		ReportURL:   fmt.Sprintf("%s://%s/v3/enrollments/%s/usagedetails/submit/%s", scheme, r.Host, s.d.o.Enrollment, job.id),
	}
	if job.req.byDate {
		st.StartDate, st.EndDate = job.req.start.Format("2006-01-02T15:04:05"), job.req.end.Format("2006-01-02T15:04:05")
	} else {
		st.StartDate = monthStart(job.req.month).Format("2006-01-02T15:04:05")
		st.EndDate = monthStart(job.req.month + 1).Add(-24 * time.Hour).Format("2006-01-02T15:04:05")
	}
	if status == ReportCompleted || status == ReportReadyToDownload {
		st.BlobPath = s.usageBlobURL(r, job)
	}
	b, _ := json.Marshal(st)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func (s *Server) usageBlobURL(r *http.Request, job *usageReportJob) string {
	c := s.csvs()
	o := c.opts()
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	switch o.BlobHost {
	case "same":
	case "":
		switch host {
		case "127.0.0.1":
			host = "localhost"
		case "localhost":
			host = "127.0.0.1"
		}
	default:
		host = o.BlobHost
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	exp := job.requestedOn.Add(o.LinkLifetime)
	if job.outcome.ExpiredLink {
		exp = o.WallNow().UTC().Add(-time.Minute)
	}
	path := "/eablob/usagedetails/" + job.id + "/UsageDetails_" + job.id[:8] + ".csv"
	se := exp.Format(time.RFC3339)
	q := url.Values{}
	q.Set("sv", "2017-04-17")
	q.Set("sr", "b")
	q.Set("sp", "r")
	q.Set("se", se)
	q.Set("sig", c.sign(path, se))
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + host + path + "?" + q.Encode()
}

func (c *csvState) sign(path, se string) string {
	mac := hmac.New(sha256.New, c.sigKey)
	fmt.Fprintf(mac, "%s|%s", path, se)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// serveUsageBlob is the blob host. It refuses a request that carries an
// Authorization header, as Azure Storage does with a SAS URL, and counts it.
func (s *Server) serveUsageBlob(w http.ResponseWriter, r *http.Request) {
	c := s.csvs()
	c.mu.Lock()
	c.blobCalls++
	if r.Header.Get("Authorization") != "" {
		c.blobAuth++
		c.mu.Unlock()
		blobError(w, http.StatusBadRequest, "InvalidAuthenticationInfo", "Authentication information is not given in the correct format. Only one auth mechanism allowed.")
		return
	}
	o := c.o
	c.mu.Unlock()
	f := s.takeFault(RouteUsageBlob, r)
	if f != nil {
		if !f.delay(r) {
			return
		}
		if f.Status != 0 {
			f.writeStatus(w)
			return
		}
	}
	if r.Method != http.MethodGet {
		blobError(w, http.StatusMethodNotAllowed, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.")
		return
	}
	q := r.URL.Query()
	se, sig := q.Get("se"), q.Get("sig")
	if se == "" || sig == "" || !hmac.Equal([]byte(sig), []byte(c.sign(r.URL.Path, se))) {
		blobError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
		return
	}
	if exp, err := time.Parse(time.RFC3339, se); err != nil || !o.WallNow().Before(exp) {
		blobError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Signed expiry time ["+se+"] has passed.")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	c.mu.Lock()
	var job *usageReportJob
	if len(parts) == 4 {
		job = c.jobs[parts[2]]
	}
	c.mu.Unlock()
	if job == nil {
		blobError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	w.Header().Set("x-ms-blob-type", "BlockBlob")
	w.Header().Set("x-ms-version", "2017-04-17")
	s.writeUsageCSV(w, job.req, job.late, o, f, false)
}
