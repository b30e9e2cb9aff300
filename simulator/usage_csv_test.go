package simulator

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, s *Server, method, url string, auth bool, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if auth {
		req.Header.Set("Authorization", "Bearer "+s.APIKey())
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// parseUsageCSV checks the preamble and returns the header and records.
func parseUsageCSV(t *testing.T, body, wantTitle string) ([]string, [][]string) {
	t.Helper()
	if !strings.HasPrefix(body, "\ufeff"+wantTitle+"\r\n\r\n") {
		t.Fatalf("preamble: %q", body[:min(len(body), 200)])
	}
	body = body[strings.Index(body, "\r\n\r\n")+4:]
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[0], recs[1:]
}

// jsonRows reads every page of a JSON usage route.
func jsonRows(t *testing.T, s *Server, url string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for url != "" {
		_, body := get(t, s, url)
		var page struct {
			Data     []map[string]any `json:"data"`
			NextLink *string          `json:"nextLink"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Data...)
		url = ""
		if page.NextLink != nil {
			url = *page.NextLink
		}
	}
	return out
}

func TestUsageCSVDownloadMatchesJSON(t *testing.T) {
	s, ts := newTest(t, Options{UsageRowsPerDay: 20, PageSize: 150})
	s.Bump() // late rows in the current period: both routes serve them
	base := ts.URL + "/v3/enrollments/100/"
	for _, tc := range []struct{ csvQuery, jsonPath, title string }{
		{"billingPeriod=202610", "billingPeriods/202610/usagedetails", "UsageDetail Report for Billing Period - 202610"},
		{"billingPeriod=202611", "billingPeriods/202611/usagedetails", "UsageDetail Report for Billing Period - 202611"},
		{"", "usagedetails", "UsageDetail Report for Billing Period - 202611"},
		{"startTime=2026-10-20&endTime=2026-11-05", "usagedetailsbycustomdate?startTime=2026-10-20&endTime=2026-11-05", "UsageDetail Report for Date Range - 2026-10-20 - 2026-11-05"},
	} {
		resp, body := get(t, s, base+"usagedetails/download?"+tc.csvQuery)
		if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: %d %v", tc.csvQuery, resp.StatusCode, resp.Header)
		}
		header, recs := parseUsageCSV(t, body, tc.title)
		if strings.Join(header, ",") != strings.Join(UsageCSVColumns, ",") {
			t.Fatalf("header %v", header)
		}
		want := jsonRows(t, s, base+tc.jsonPath)
		if len(recs) != len(want) || len(recs) == 0 {
			t.Fatalf("%s: %d CSV rows, %d JSON rows", tc.csvQuery, len(recs), len(want))
		}
		col := map[string]int{}
		for i, h := range header {
			col[h] = i
		}
		for i, rec := range recs {
			w := want[i]
			num := func(name string) float64 { f, _ := strconv.ParseFloat(rec[col[name]], 64); return f }
			if num("Cost") != w["cost"].(float64) || num("ConsumedQuantity") != w["consumedQuantity"].(float64) ||
				rec[col["Date"]]+"T00:00:00" != w["date"] || rec[col["SubscriptionGuid"]] != w["subscriptionGuid"] ||
				rec[col["MeterId"]] != w["meterId"] || rec[col["DepartmentName"]] != w["departmentName"] ||
				rec[col["Tags"]] != w["tags"] || rec[col["AdditionalInfo"]] != w["additionalInfo"] ||
				rec[col["InstanceId"]] != w["instanceId"] || rec[col["ResourceGroup"]] != w["resourceGroup"] ||
				rec[col["ChargesBilledSeparately"]] != "False" {
				t.Fatalf("%s row %d:\n%q\n%v", tc.csvQuery, i, rec, w)
			}
		}
		if !strings.Contains(body, "\r\n") || !strings.Contains(body, `"{  ""CostCenter"": ""`) {
			t.Error("want CRLF and the EA tags style")
		}
	}
}

func TestUsageCSVDownloadETagAndLimits(t *testing.T) {
	s, ts := newTest(t, Options{UsageRowsPerDay: 5})
	u := ts.URL + "/v3/enrollments/100/usagedetails/download?billingPeriod=202610"
	resp, _ := get(t, s, u)
	etag := resp.Header.Get("ETag")
	if resp, body := get(t, s, u, "If-None-Match", etag); resp.StatusCode != 304 || body != "" {
		t.Fatalf("304: %d %q", resp.StatusCode, body)
	}
	// The JSON route's ETag names another response.
	jr, _ := get(t, s, ts.URL+"/v3/enrollments/100/billingPeriods/202610/usagedetails")
	if jr.Header.Get("ETag") == etag {
		t.Error("CSV and JSON share an ETag")
	}
	s.SetCSVOptions(CSVOptions{NoDownloadETag: true})
	if resp, _ := get(t, s, u, "If-None-Match", etag); resp.StatusCode != 200 || resp.Header.Get("ETag") != "" {
		t.Fatalf("no ETag: %d %v", resp.StatusCode, resp.Header)
	}
	for q, want := range map[string]int{
		"startTime=2026-09-01&endTime=2026-10-15": 400, // more than a month
		"billingPeriod=202401":                    404,
		"billingPeriod=2026-1":                    400,
	} {
		if resp, _ := get(t, s, ts.URL+"/v3/enrollments/100/usagedetails/download?"+q); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", q, resp.StatusCode, want)
		}
	}
	if resp, _ := do(t, s, http.MethodGet, u, false); resp.StatusCode != 401 {
		t.Errorf("no key: %d", resp.StatusCode)
	}
	if s.Requests(RouteUsageDownload) != 7 || s.Responses(RouteUsageDownload, 304) != 1 {
		t.Errorf("requests %d, 304s %d", s.Requests(RouteUsageDownload), s.Responses(RouteUsageDownload, 304))
	}
}

func TestUsageCSVLocalisedAndNewlines(t *testing.T) {
	s, ts := newTest(t, Options{UsageRowsPerDay: 5})
	u := ts.URL + "/v3/enrollments/100/usagedetails/download?billingPeriod=202610"
	_, plain := get(t, s, u)
	_, plainRecs := parseUsageCSV(t, plain, "UsageDetail Report for Billing Period - 202610")

	_, body := get(t, s, u+"&sim-lang=fr")
	header, recs := parseUsageCSV(t, body, "Rapport UsageDetail pour la période de facturation - (UsageDetail Report for Billing Period -) 202610")
	if header[7] != "Coût (Cost)" || header[0] != "ID du compte (AccountId)" || header[39] != "ServiceTier (ServiceTier)" {
		t.Fatalf("header %q", header)
	}
	if len(recs) != len(plainRecs) {
		t.Fatal("localised rows differ")
	}

	s.SetCSVOptions(CSVOptions{Localised: true, NewlinesInFields: true})
	_, body = get(t, s, u)
	_, recs = parseUsageCSV(t, body, "Rapport UsageDetail pour la période de facturation - (UsageDetail Report for Billing Period -) 202610")
	if len(recs) != len(plainRecs) || !strings.Contains(recs[0][3], "\n  \"ServiceType\"") {
		t.Fatalf("%d rows; AdditionalInfo %q", len(recs), recs[0][3])
	}
	if bytes.Count([]byte(body), []byte("\r\n")) <= len(recs)+3 {
		t.Error("want CRLF inside quoted fields")
	}
}

type statusObj struct {
	ID          string `json:"id"`
	Status      int    `json:"status"`
	BlobPath    string `json:"blobPath"`
	ReportURL   string `json:"reportUrl"`
	RequestedOn string `json:"requestedOn"`
	StartDate   string `json:"startDate"`
	EndDate     string `json:"endDate"`
}

func submitAndPoll(t *testing.T, s *Server, base, q string) (statuses []int, last statusObj) {
	t.Helper()
	resp, body := do(t, s, http.MethodPost, base+"usagedetails/submit?"+q, true)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d %s", resp.StatusCode, body)
	}
	var st statusObj
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	statuses = append(statuses, st.Status)
	for i := 0; i < 10 && (st.Status == 1 || st.Status == 2); i++ {
		_, body = get(t, s, st.ReportURL)
		st = statusObj{}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, st.Status)
	}
	return statuses, st
}

func TestUsageReportFlow(t *testing.T) {
	s, ts := newTest(t, Options{UsageRowsPerDay: 10})
	base := ts.URL + "/v3/enrollments/100/"
	statuses, st := submitAndPoll(t, s, base, "billingPeriod=202610")
	if got := jsonInts(statuses); got != "[1,1,2,3]" {
		t.Fatalf("statuses %v", statuses)
	}
	if !strings.HasPrefix(st.ReportURL, ts.URL+"/v3/enrollments/100/usagedetails/submit/") || st.StartDate != "2026-10-01T00:00:00" || st.EndDate != "2026-10-31T00:00:00" {
		t.Errorf("status %+v", st)
	}
	if !strings.Contains(st.BlobPath, "://localhost:") || !strings.Contains(st.BlobPath, "sig=") {
		t.Fatalf("blobPath %q: want the other host name, signed", st.BlobPath)
	}
	// The blob host refuses the key, and counts it.
	if resp, _ := do(t, s, http.MethodGet, st.BlobPath, true); resp.StatusCode != 400 || s.BlobAuthorizations() != 1 {
		t.Fatalf("blob with key: %d, %d counted", resp.StatusCode, s.BlobAuthorizations())
	}
	resp, blob := do(t, s, http.MethodGet, st.BlobPath, false)
	_, download := get(t, s, base+"usagedetails/download?billingPeriod=202610")
	if resp.StatusCode != 200 || blob != download {
		t.Fatalf("blob %d, equal to the download: %v", resp.StatusCode, blob == download)
	}
	// A tampered or expired link is 403.
	if resp, _ := do(t, s, http.MethodGet, strings.Replace(st.BlobPath, "sig=", "sig=x", 1), false); resp.StatusCode != 403 {
		t.Errorf("bad sig: %d", resp.StatusCode)
	}
	s.SetCSVOptions(CSVOptions{WallNow: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	if resp, _ := do(t, s, http.MethodGet, st.BlobPath, false); resp.StatusCode != 403 {
		t.Errorf("expired: %d", resp.StatusCode)
	}
	// 36 months by date is fine for submit, not for download.
	if resp, _ := do(t, s, http.MethodPost, base+"usagedetails/submit?startTime=2026-01-01&endTime=2026-11-20", true); resp.StatusCode != 202 {
		t.Errorf("submit range: %d", resp.StatusCode)
	}
	if resp, _ := get(t, s, base+"usagedetails/submit/unknown"); resp.StatusCode != 404 {
		t.Errorf("unknown report: %d", resp.StatusCode)
	}
}

func jsonInts(v []int) string { b, _ := json.Marshal(v); return string(b) }

func TestUsageReportOutcomesAndFaults(t *testing.T) {
	s, ts := newTest(t, Options{UsageRowsPerDay: 5})
	s.SetCSVOptions(CSVOptions{ReportPolls: -1, PollRetryAfter: 1500 * time.Millisecond})
	base := ts.URL + "/v3/enrollments/100/"
	for _, want := range []int{ReportFailed, ReportNoDataFound, ReportTimedOut, ReportReadyToDownload} {
		s.AddReportOutcome(ReportOutcome{Status: want, Times: 1})
		_, st := submitAndPoll(t, s, base, "billingPeriod=202610")
		if st.Status != want || (st.BlobPath != "") != (want == ReportReadyToDownload) {
			t.Errorf("outcome %d: %+v", want, st)
		}
	}
	s.AddReportOutcome(ReportOutcome{ExpiredLink: true, Times: 1})
	_, st := submitAndPoll(t, s, base, "billingPeriod=202610")
	if resp, _ := do(t, s, http.MethodGet, st.BlobPath, false); resp.StatusCode != 403 {
		t.Errorf("expired link: %d", resp.StatusCode)
	}
	s.AddReportOutcome(ReportOutcome{Never: true, Times: 1})
	s.SetCSVOptions(CSVOptions{PollRetryAfter: 1500 * time.Millisecond})
	resp, body := do(t, s, http.MethodPost, base+"usagedetails/submit?billingPeriod=202610", true)
	_ = json.Unmarshal([]byte(body), &st)
	for i := 0; i < 5; i++ {
		resp, body = get(t, s, st.ReportURL)
	}
	if !strings.Contains(body, `"status":2`) || resp.Header.Get("Retry-After") != "1.5" {
		t.Errorf("never: %s %v", body, resp.Header)
	}

	// Throttling on submit and on poll, with the consumption header.
	s.AddFault(Fault{Report: RouteUsageSubmit, Status: 429, RetryAfter: 2 * time.Second, Times: 1})
	resp, _ = do(t, s, http.MethodPost, base+"usagedetails/submit?billingPeriod=202610", true)
	if resp.StatusCode != 429 || resp.Header.Get("x-ms-ratelimit-microsoft.consumption-retry-after") != "2" {
		t.Errorf("submit throttled: %d %v", resp.StatusCode, resp.Header)
	}
	s.AddFault(Fault{Report: RouteUsageReport, Status: 429, RetryAfter: time.Second, Times: 1})
	if resp, _ = get(t, s, st.ReportURL); resp.StatusCode != 429 || s.Responses(RouteUsageReport, 429) != 1 {
		t.Errorf("poll throttled: %d", resp.StatusCode)
	}
	// A truncated download breaks off mid-record.
	s.AddFault(Fault{Report: RouteUsageDownload, Truncate: true, Times: 1})
	req, _ := http.NewRequest(http.MethodGet, base+"usagedetails/download?billingPeriod=202610", nil)
	req.Header.Set("Authorization", "Bearer "+s.APIKey())
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r.Body)
	r.Body.Close()
	if err == nil {
		t.Error("truncated download read without error")
	}
}
