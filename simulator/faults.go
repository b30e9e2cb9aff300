package simulator

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault describes a misbehaviour to inject. Faults are matched in the order
// they were added; the first that matches a request applies to it.
type Fault struct {
	// Report limits the fault to one report ("usage_details", ...); empty
	// matches every report.
	Report string
	// Times is how many requests the fault applies to; 0 means until
	// ClearFaults.
	Times int
	// Status answers with this status and a JSON error body (Body when set).
	Status int
	Body   string
	// RetryAfter is sent with the status: 429 in the consumption header,
	// other statuses in Retry-After, as the real API documented.
	RetryAfter time.Duration
	// Latency delays the response; Hang never answers (until the client
	// gives up).
	Latency time.Duration
	Hang    bool
	// Body faults on a 200: the body cut in half, broken JSON, an HTML
	// error page, an empty dataset, or an endless body of HugeBytes.
	Truncate  bool
	Malformed bool
	HTML      bool
	Empty     bool
	HugeBytes int64
	// NextLink overrides a usage page's nextLink: "self" points it back at
	// the page itself, "endless" always to one more page, anything else is
	// used as the link (e.g. another host).
	NextLink string

	left int
}

// AddFault injects f until it has been applied f.Times times.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.left = f.Times
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFault(report string, r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Report != "" && f.Report != report {
			continue
		}
		if f.Times > 0 {
			f.left--
			if f.left <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return f
	}
	return nil
}

// delay applies Latency and Hang; false means the client went away.
func (f *Fault) delay(r *http.Request) bool { return delay(r, f.Latency, f.Hang) }

// delay waits latency before an answer, or (hang) until the client gives
// up, for both modes' faults; false means the client went away.
func delay(r *http.Request, latency time.Duration, hang bool) bool {
	if hang {
		<-r.Context().Done()
		return false
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return false
		case <-t.C:
		}
	}
	return true
}

func (f *Fault) writeStatus(w http.ResponseWriter) {
	if f.RetryAfter > 0 {
		secs := strconv.Itoa(int((f.RetryAfter + time.Second - 1) / time.Second))
		if f.RetryAfter < time.Second {
			secs = strconv.FormatFloat(f.RetryAfter.Seconds(), 'f', -1, 64)
		}
		if f.Status == http.StatusTooManyRequests {
			w.Header().Set("x-ms-ratelimit-microsoft.consumption-retry-after", secs)
		} else {
			w.Header().Set("Retry-After", secs)
		}
	}
	if f.Body != "" {
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return
	}
	writeError(w, f.Status, http.StatusText(f.Status))
}

func (f *Fault) bodyFault() string {
	switch {
	case f.Truncate:
		return "truncate"
	case f.Malformed:
		return "malformed"
	case f.HTML:
		return "html"
	case f.Empty:
		return "empty"
	case f.HugeBytes > 0:
		return "huge"
	case f.NextLink != "":
		return "nextlink"
	}
	return ""
}

// mangle applies a body fault to a rendered 200 body.
func (f *Fault) mangle(body []byte, req request, r *http.Request, next string) []byte {
	switch {
	case f.Truncate:
		return body[:len(body)/2]
	case f.Malformed:
		return append([]byte(`{"id":"x","data":[{"cost":1.5,,}`), body[len(body)/2:]...)
	case f.HTML:
		return []byte("<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>The service is temporarily unavailable</h1></body></html>")
	case f.Empty:
		if req.report == "usage_details" {
			return []byte(`{"id":"empty","data":[],"nextLink":null}`)
		}
		return []byte("[]")
	case f.NextLink != "" && req.report == "usage_details":
		link := f.NextLink
		switch link {
		case "self":
			link = nextLink(r, req.skip)
		case "endless":
			link = nextLink(r, req.skip+1)
		}
		if next == "" {
			// Insert a link into the last page's null.
			return []byte(strings.Replace(string(body), `"nextLink":null`, `"nextLink":"`+link+`"`, 1))
		}
		return []byte(strings.Replace(string(body), `"nextLink":"`+next+`"`, `"nextLink":"`+link+`"`, 1))
	}
	return body
}

// writeHuge sends a valid-looking array that never ends: a report that
// should be small but is not.
func (f *Fault) writeHuge(w http.ResponseWriter, etag string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString("[")
	// Elements, not white space: a real oversized answer is many rows.
	pad := []byte(strings.Repeat(`{"id":"huge","meterId":"00000000-0000-0000-0000-000000000000","unitPrice":1},`, 800))
	for n := int64(0); n < f.HugeBytes; n += int64(len(pad)) {
		if _, err := bw.Write(pad); err != nil {
			return
		}
	}
	_, _ = bw.WriteString("]")
	_ = bw.Flush()
}
