package eaclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Kind classifies a failed API call by what the caller can do about it.
type Kind int

const (
	// KindTransport: no HTTP response (connection refused, timeout, reset).
	KindTransport Kind = iota
	// KindBadRequest: 400, invalid parameters (or no data for the range).
	KindBadRequest
	// KindUnauthorized: 401, the API key is missing, invalid or expired.
	KindUnauthorized
	// KindForbidden: 403, the key's scope does not cover the report.
	KindForbidden
	// KindNotFound: 404, unknown route or enrollment, or no data for the period.
	KindNotFound
	// KindThrottled: 429, retries exhausted.
	KindThrottled
	// KindServer: 5xx, retries exhausted.
	KindServer
	// KindUnexpectedStatus: any other status code.
	KindUnexpectedStatus
	// KindDecode: the response body is not what the report should return.
	KindDecode
	// KindProtocol: the server broke the protocol (a nextLink to a foreign
	// host, a paging loop, a body over the size limit).
	KindProtocol
	// KindReportFailed: the asynchronous usage report ended as Failed (4)
	// or TimedOut (7), missed its deadline, or its blob link expired again
	// after a resubmission.
	KindReportFailed
)

var kindNames = map[Kind]string{
	KindTransport:        "transport error",
	KindBadRequest:       "bad request",
	KindUnauthorized:     "unauthorized",
	KindForbidden:        "forbidden",
	KindNotFound:         "not found",
	KindThrottled:        "throttled",
	KindServer:           "server error",
	KindUnexpectedStatus: "unexpected status",
	KindDecode:           "decode error",
	KindProtocol:         "protocol error",
	KindReportFailed:     "report failed",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the error every Client method returns. It names the report, and
// carries the HTTP status and a short excerpt of the response body when there
// was a response. It never contains the API key.
type Error struct {
	Report   string
	Kind     Kind
	Status   int    // HTTP status code, 0 when there was no response
	Message  string // excerpt of the response body or a description
	Attempts int    // requests made, including retries
	Err      error  // underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Report)
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d %s (%s)", e.Status, http.StatusText(e.Status), e.Kind)
	} else {
		b.WriteString(e.Kind.String())
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Cause classifies the failure without its details ("HTTP 401
// unauthorized", "transport error"): the exporter logs a failure streak
// again when its cause changes.
func (e *Error) Cause() string { return cause(e.Kind.String(), e.Status) }

func cause(kind string, status int) string {
	if status != 0 {
		return fmt.Sprintf("HTTP %d %s", status, kind)
	}
	return kind
}

// KindOf returns the Kind of an error returned by the client, and false for
// any other error.
func KindOf(err error) (Kind, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind, true
	}
	return 0, false
}

func kindForStatus(status int) Kind {
	switch {
	case status == http.StatusBadRequest:
		return KindBadRequest
	case status == http.StatusUnauthorized:
		return KindUnauthorized
	case status == http.StatusForbidden:
		return KindForbidden
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusTooManyRequests:
		return KindThrottled
	case status >= 500:
		return KindServer
	default:
		return KindUnexpectedStatus
	}
}

// maxExcerpt bounds how much of an error body goes into an error message:
// enough to read an API error, not enough to flood a log with an HTML page.
const maxExcerpt = 200

// excerpt turns an error body into one short printable line, with the key
// (should a server ever echo it) replaced.
func excerpt(body []byte, key string) string {
	s := string(body)
	if key != "" {
		s = strings.ReplaceAll(s, key, "<secret>")
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
