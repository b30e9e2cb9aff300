package simulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ARMFault is a misbehaviour of the ARM mode. Faults are matched in the
// order they were added; the first whose Route matches applies. A fault
// with a Status answers after the bearer token was checked (a throttled or
// failing ARM still authenticates); Latency and Hang apply before anything.
type ARMFault struct {
	// Route limits the fault to one route (ARMRoute*); empty matches every
	// ARM, blob and token route.
	Route string
	// Times is how many requests the fault applies to; 0 means until
	// ClearFaults.
	Times int
	// Status answers with this status and an ARM error body (Body when set).
	Status int
	Body   string
	// RetryAfter goes with the status, in the header(s) RetryHeader names:
	// RetryHeaderDefault (the provider's documented one on 429, Retry-After
	// otherwise), RetryHeaderAll, or a header name from RetryHeaderNames
	// (retry-after-ms and x-ms-retry-after-ms carry milliseconds, the
	// others seconds).
	RetryAfter  time.Duration
	RetryHeader string
	// Latency delays the answer; Hang never answers.
	Latency time.Duration
	Hang    bool
	// Body faults on a 200: cut in half, broken JSON, an empty list.
	Truncate  bool
	Malformed bool
	Empty     bool
	// NextLink on a list page: "self" points back at the page, "endless"
	// always to one more page, "foreign" to another host, anything else is
	// used as the link.
	NextLink string
	// Operation faults, on the POST that starts a price sheet or Cost
	// Details operation: AsyncFail makes it end Failed, AsyncNever never
	// end (202 forever), NoData end NoDataFound (Cost Details) or the POST
	// answer 204, ExpiredLink complete with links already past validTill
	// (the blob host refuses them with 403).
	AsyncFail   bool
	AsyncNever  bool
	NoData      bool
	ExpiredLink bool

	left int
}

// AddFault injects f until it has been applied f.Times times.
func (a *ARM) AddFault(f ARMFault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f.left = f.Times
	a.faults = append(a.faults, &f)
}

// ClearFaults removes every fault.
func (a *ARM) ClearFaults() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults = nil
}

func (a *ARM) takeFault(route string, r *http.Request) *ARMFault {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, f := range a.faults {
		if f.Route != "" && f.Route != route {
			continue
		}
		if f.Times > 0 {
			f.left--
			if f.left <= 0 {
				a.faults = append(a.faults[:i:i], a.faults[i+1:]...)
			}
		}
		return f
	}
	return nil
}

// delay applies Latency and Hang; false means the client went away.
func (f *ARMFault) delay(r *http.Request) bool { return delay(r, f.Latency, f.Hang) }

func (f *ARMFault) writeStatus(w http.ResponseWriter, provider string) {
	if f.RetryAfter > 0 {
		kind := f.RetryHeader
		if kind == RetryHeaderDefault && f.Status != http.StatusTooManyRequests {
			kind = "Retry-After"
		}
		secs := strconv.Itoa(int((f.RetryAfter + time.Second - 1) / time.Second))
		ms := strconv.FormatInt(f.RetryAfter.Milliseconds(), 10)
		for _, h := range retryHeaders(provider, kind) {
			if strings.HasSuffix(strings.ToLower(h), "-ms") {
				w.Header().Set(h, ms)
			} else {
				w.Header().Set(h, secs)
			}
		}
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return
	}
	code, msg := strconv.Itoa(f.Status), http.StatusText(f.Status)
	switch f.Status {
	case http.StatusTooManyRequests:
		msg = "Too many requests. Please retry."
	case http.StatusServiceUnavailable:
		code, msg = "ServiceUnavailable", "The service is temporarily unavailable. Please retry later."
	case http.StatusGatewayTimeout:
		code, msg = "GatewayTimeout", "Service timed out while processing the request. Reduce the date range"
	case http.StatusInternalServerError:
		code, msg = "InternalServerError", "Encountered internal server error. Diagnostic information: timestamp '"+time.Now().UTC().Format("20060102T150405Z")+"'."
	case http.StatusBadRequest:
		code = "BadRequest"
	}
	armError(w, f.Status, code, msg)
}

func (f *ARMFault) mangle(body []byte) []byte {
	switch {
	case f.Truncate:
		return body[:len(body)/2]
	case f.Malformed:
		return append([]byte(`{"value":[{"properties":{"amount":1.5,,}`), body[len(body)/2:]...)
	case f.Empty:
		return []byte(`{"value":[]}`)
	}
	return body
}
