package simulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The asynchronous reports: POST, 202 with Location and Retry-After, polls
// answering 202 until the operation is done, then links to files on the
// blob host. The blob host takes a SAS-looking query (signed by the
// simulator, with an expiry on WallNow) and refuses any request that
// carries an Authorization header.

const maxOperations = 256

type operation struct {
	id, kind, provider string
	apiVersion         string
	month              int       // price sheet: the period; cost details with billingPeriod
	start, end         time.Time // cost details: the inclusive days
	metric             string
	requestBody        map[string]any
	late               int
	polls              int // 202s left; <0 never completes
	fail, noData       bool
	expired            bool
	files              []blobFile // set on completion
	validTill          time.Time
}

type blobFile struct {
	name  string
	bytes int
	part  int
}

func (a *ARM) newOperationID() string {
	a.mu.Lock()
	a.opSeq++
	n := a.opSeq
	a.mu.Unlock()
	return guid(mix(a.s.d.o.Seed, 0x0e, uint64(n)))
}

func (a *ARM) storeOperation(op *operation) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ops[op.id] = op
	a.opOrder = append(a.opOrder, op.id)
	if len(a.opOrder) > maxOperations {
		delete(a.ops, a.opOrder[0])
		a.opOrder = a.opOrder[1:]
	}
}

func (a *ARM) retryAfterSeconds() string {
	return strconv.Itoa(int((a.o.AsyncRetryAfter + time.Second - 1) / time.Second))
}

// startOperation answers the POST of a price sheet download or a Cost
// Details report.
func (a *ARM) startOperation(w http.ResponseWriter, r *http.Request, req armRequest, f *ARMFault) {
	d := a.s.d
	op := &operation{kind: req.opKind, provider: req.provider, apiVersion: query(r, "api-version"), late: a.s.late(), polls: a.o.AsyncPolls, metric: "ActualCost"}
	switch req.opKind {
	case "pricesheet":
		if !d.inHistory(req.month) {
			armError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("The price sheet of billing period %s is not available: the EA Azure price sheet is available for billing periods in the past 13 months.", req.period))
			return
		}
		if f != nil && f.NoData {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		op.month = req.month
	case "costdetails":
		if st, msg := a.parseCostDetailsBody(r, op); st != 0 {
			armError(w, st, "BadRequest", msg)
			return
		}
	}
	if f != nil {
		op.fail, op.noData, op.expired = f.AsyncFail, f.NoData, f.ExpiredLink
		if f.AsyncNever {
			op.polls = -1
		}
	}
	if op.polls < -1 || op.polls == -1 && (f == nil || !f.AsyncNever) {
		op.polls = 0 // AsyncPolls -1: completes on the first poll
	}
	op.id = a.newOperationID()
	a.storeOperation(op)
	w.Header().Set("Location", a.operationURL(r, op))
	w.Header().Set("Retry-After", a.retryAfterSeconds())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

func (a *ARM) operationURL(r *http.Request, op *operation) string {
	seg := "operationResults"
	if op.kind == "costdetails" {
		seg = "costDetailsOperationResults"
	}
	return fmt.Sprintf("%s%s/providers/%s/%s/%s?api-version=%s", a.baseURL(r), a.accountID(), op.provider, seg, op.id, url.QueryEscape(op.apiVersion))
}

// parseCostDetailsBody reads {"metric", "timePeriod":{"start","end"},
// "billingPeriod", "invoiceId"} and applies the documented limits.
func (a *ARM) parseCostDetailsBody(r *http.Request, op *operation) (int, string) {
	d := a.s.d
	var body struct {
		Metric     string `json:"metric"`
		TimePeriod *struct {
			Start string `json:"start"`
			End   string `json:"end"`
		} `json:"timePeriod"`
		BillingPeriod string `json:"billingPeriod"`
		InvoiceID     string `json:"invoiceId"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return http.StatusBadRequest, "The request body could not be read."
	}
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			return http.StatusBadRequest, "The request body is not valid JSON: " + err.Error()
		}
		_ = json.Unmarshal(raw, &op.requestBody)
	}
	if op.requestBody == nil {
		op.requestBody = map[string]any{}
	}
	n := 0
	for _, set := range []bool{body.TimePeriod != nil, body.BillingPeriod != "", body.InvoiceID != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return http.StatusBadRequest, "Request can only have either timePeriod or invoiceId or billingPeriod"
	}
	if body.InvoiceID != "" {
		return http.StatusBadRequest, "invoiceId is only supported for Microsoft Customer Agreement billing accounts"
	}
	switch strings.ToLower(body.Metric) {
	case "", "actualcost":
		op.metric = "ActualCost"
	case "amortizedcost":
		op.metric = "AmortizedCost"
	default:
		return http.StatusBadRequest, fmt.Sprintf("Invalid metric '%s': ActualCost or AmortizedCost", body.Metric)
	}
	cur := d.currentMonth()
	op.month = -1
	switch {
	case body.BillingPeriod != "":
		t, err := time.ParseInLocation("200601", body.BillingPeriod, time.UTC)
		if err != nil || len(body.BillingPeriod) != 6 {
			return http.StatusBadRequest, fmt.Sprintf("Invalid billingPeriod '%s': expected yyyyMM", body.BillingPeriod)
		}
		op.month = monthOf(t)
		if op.month < cur-12 {
			return http.StatusBadRequest, "API only allows data to be pulled no older than 13 months from now"
		}
		if op.month > cur {
			return http.StatusBadRequest, fmt.Sprintf("Invalid billingPeriod '%s': the billing period is in the future", body.BillingPeriod)
		}
		op.start, op.end = monthStart(op.month), monthStart(op.month+1).Add(-24*time.Hour)
	case body.TimePeriod != nil:
		s, err1 := parseDate(body.TimePeriod.Start)
		e, err2 := parseDate(body.TimePeriod.End)
		if err1 != nil || err2 != nil {
			return http.StatusBadRequest, "Invalid timePeriod: start and end must be dates (yyyy-MM-dd)"
		}
		if e.Before(s) {
			return http.StatusBadRequest, "Invalid timePeriod: the end date is before the start date"
		}
		if s.Before(monthStart(cur - 12)) {
			return http.StatusBadRequest, "API only allows data to be pulled no older than 13 months from now"
		}
		if e.After(s.AddDate(0, 1, 0)) {
			return http.StatusBadRequest, "The maximum allowed date range is 1 months"
		}
		op.start, op.end = s, e
	default:
		op.start, op.end = monthStart(cur), monthStart(cur+1).Add(-24*time.Hour)
	}
	return 0, ""
}

// pollOperation answers a GET of an operation's Location.
func (a *ARM) pollOperation(w http.ResponseWriter, r *http.Request, req armRequest, f *ARMFault) {
	a.mu.Lock()
	op := a.ops[strings.ToLower(req.opID)]
	if op == nil {
		for id, o := range a.ops {
			if strings.EqualFold(id, req.opID) {
				op = o
			}
		}
	}
	var running bool
	if op != nil {
		if op.polls != 0 {
			running = true
			if op.polls > 0 {
				op.polls--
			}
		}
	}
	a.mu.Unlock()
	if op == nil {
		armError(w, http.StatusNotFound, "NotFound", "The operation '"+req.opID+"' was not found or has expired.")
		return
	}
	if running {
		w.Header().Set("Location", a.operationURL(r, op))
		w.Header().Set("Retry-After", a.retryAfterSeconds())
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	base := map[string]any{}
	if op.kind == "costdetails" {
		base["id"] = strings.TrimPrefix(a.accountID(), "/") + "/providers/Microsoft.CostManagement/costDetailsOperationResults/" + op.id
		base["name"] = op.id
		base["type"] = "Microsoft.CostManagement/costDetailsOperationResults"
	}
	switch {
	case op.fail:
		base["status"] = "Failed"
		base["error"] = map[string]string{"code": "InternalServerError", "message": "The report could not be generated. Please retry the request."}
		writeJSON(w, http.StatusOK, base)
		return
	case op.noData && op.kind == "costdetails":
		base["status"] = "NoDataFound"
		writeJSON(w, http.StatusOK, base)
		return
	}
	a.completeOperation(op)
	links := make([]map[string]any, 0, len(op.files))
	total := 0
	for _, bf := range op.files {
		links = append(links, map[string]any{"blobLink": a.blobURL(r, op, bf), "byteCount": bf.bytes})
		total += bf.bytes
	}
	validTill := op.validTill.Format("2006-01-02T15:04:05.0000000Z")
	if op.kind == "pricesheet" {
		props := map[string]any{"downloadUrl": links[0]["blobLink"], "validTill": validTill}
		if op.provider == "Microsoft.CostManagement" {
			props["downloadFileProperties"] = map[string]any{"fileFormat": "Zip", "fileType": "Csv", "byteCount": total}
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "Completed", "properties": props})
		return
	}
	base["status"] = "Completed"
	base["manifest"] = map[string]any{
		"manifestVersion": "2025-03-01", "dataFormat": "Csv", "blobCount": len(op.files), "byteCount": total, "compressData": false,
		"requestContext": map[string]any{"requestScope": strings.TrimPrefix(a.accountID(), "/"), "requestBody": op.requestBody},
		"blobs":          links,
	}
	base["validTill"] = validTill
	writeJSON(w, http.StatusOK, base)
}

// completeOperation fixes the files of a finished operation (once) and
// their expiry.
func (a *ARM) completeOperation(op *operation) {
	a.mu.Lock()
	done := op.files != nil
	a.mu.Unlock()
	if done {
		return
	}
	var files []blobFile
	if op.kind == "pricesheet" {
		files = []blobFile{{name: "pricesheet_" + monthID(op.month) + ".zip", bytes: len(a.priceSheetZip(op.month))}}
	} else {
		n := a.costRowCount(op)
		per := a.o.CostDetailsRowsPerBlob
		parts := max(1, (n+per-1)/per)
		for p := 0; p < parts; p++ {
			files = append(files, blobFile{name: fmt.Sprintf("part_%d_%d.csv", p, parts), part: p, bytes: len(a.costDetailsBlob(op, p))})
		}
	}
	valid := a.wallNow().Add(a.o.LinkLifetime)
	if op.expired {
		valid = a.wallNow().Add(-time.Minute)
	}
	a.mu.Lock()
	if op.files == nil {
		op.files, op.validTill = files, valid
	}
	a.mu.Unlock()
}

// blobHost is the host[:port] of download links.
func (a *ARM) blobHost(r *http.Request) string {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	switch a.o.BlobHost {
	case "same":
	case "":
		switch host {
		case "127.0.0.1":
			host = "localhost"
		case "localhost":
			host = "127.0.0.1"
		}
	default:
		host = a.o.BlobHost
	}
	if port == "" {
		return host
	}
	return net.JoinHostPort(host, port)
}

func (a *ARM) blobSig(path, se string) string {
	mac := hmac.New(sha256.New, a.key)
	fmt.Fprintf(mac, "blob|%s|%s", path, se)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (a *ARM) blobURL(r *http.Request, op *operation, bf blobFile) string {
	container := "armreports"
	if op.kind == "pricesheet" {
		container = "armpricesheetreportdownloadcontainer"
	}
	path := "/blob/" + container + "/" + op.id + "/" + bf.name
	se := op.validTill.Format(time.RFC3339)
	st := op.validTill.Add(-a.o.LinkLifetime - 5*time.Minute).Format(time.RFC3339)
	q := url.Values{}
	q.Set("sv", "2020-05-31")
	q.Set("st", st)
	q.Set("se", se)
	q.Set("sr", "b")
	q.Set("sp", "r")
	q.Set("spr", "https")
	q.Set("sig", a.blobSig(path, se))
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + a.blobHost(r) + path + "?" + q.Encode()
}

func blobError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	fmt.Fprintf(w, "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>%s</Code><Message>%s\nRequestId:00000000-0000-0000-0000-000000000000\nTime:%s</Message></Error>",
		code, msg, time.Now().UTC().Format("2006-01-02T15:04:05.0000000Z"))
}

// serveBlob is the blob host: GET /blob/{container}/{operation}/{file}?sv=...&se=...&sig=...
func (a *ARM) serveBlob(w http.ResponseWriter, r *http.Request) {
	rec := a.count(ARMRouteBlob, w)
	defer a.done(ARMRouteBlob, rec)
	w = rec
	w.Header().Set("x-ms-version", "2020-05-31")
	if r.Header.Get("Authorization") != "" {
		a.mu.Lock()
		a.blobAuth++
		a.mu.Unlock()
		blobError(w, http.StatusBadRequest, "InvalidAuthenticationInfo", "Authentication information is not given in the correct format. Only one auth mechanism allowed: an Authorization header was sent with a SAS URL.")
		return
	}
	f := a.takeFault(ARMRouteBlob, r)
	if f != nil {
		if !f.delay(r) {
			return
		}
		if f.Status != 0 {
			f.writeStatus(w, "")
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		blobError(w, http.StatusMethodNotAllowed, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.")
		return
	}
	q := r.URL.Query()
	se, sig := q.Get("se"), q.Get("sig")
	if se == "" || sig == "" || !hmac.Equal([]byte(sig), []byte(a.blobSig(r.URL.Path, se))) {
		blobError(w, http.StatusForbidden, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
		return
	}
	exp, err := time.Parse(time.RFC3339, se)
	if now := a.wallNow(); err != nil || !now.Before(exp) {
		blobError(w, http.StatusForbidden, "AuthenticationFailed", fmt.Sprintf("Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nSigned expiry time [%s] must be after signed start time [%s]; current time [%s]: signature not valid in the specified time frame.", se, q.Get("st"), now.Format(time.RFC3339)))
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 4 {
		blobError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	a.mu.Lock()
	op := a.ops[parts[2]]
	var file *blobFile
	if op != nil {
		for i := range op.files {
			if op.files[i].name == parts[3] {
				bf := op.files[i]
				file = &bf
			}
		}
	}
	a.mu.Unlock()
	if file == nil {
		blobError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	var body []byte
	if op.kind == "pricesheet" {
		body = a.priceSheetZip(op.month)
		w.Header().Set("Content-Type", "application/octet-stream")
	} else {
		body = a.costDetailsBlob(op, file.part)
		w.Header().Set("Content-Type", "text/csv")
	}
	if f != nil && f.Truncate {
		body = body[:len(body)/2]
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.Header().Set("x-ms-blob-type", "BlockBlob")
	w.Header().Set("Last-Modified", a.wallNow().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}
