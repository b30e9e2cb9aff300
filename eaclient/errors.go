package eaclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/apierr"
)

// Kind classifies a failed API call by what the caller can do about it
// (internal/apierr, shared with armclient).
type Kind = apierr.Kind

// The kinds of failure of the EA API.
const (
	KindTransport        = apierr.Transport
	KindBadRequest       = apierr.BadRequest
	KindUnauthorized     = apierr.Unauthorized
	KindForbidden        = apierr.Forbidden
	KindNotFound         = apierr.NotFound
	KindThrottled        = apierr.Throttled
	KindServer           = apierr.Server
	KindUnexpectedStatus = apierr.UnexpectedStatus
	KindDecode           = apierr.Decode
	KindProtocol         = apierr.Protocol
	KindReportFailed     = apierr.ReportFailed
)

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
func (e *Error) Cause() string { return apierr.Cause(e.Kind, e.Status) }

// KindOf returns the Kind of an error returned by the client, and false for
// any other error.
func KindOf(err error) (Kind, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind, true
	}
	return 0, false
}

// excerpt turns an error body into one short printable line, with the key
// (should a server ever echo it) replaced.
func excerpt(body []byte, key string) string {
	s := string(body)
	if key != "" {
		s = strings.ReplaceAll(s, key, "<secret>")
	}
	return apierr.Excerpt(s, maxExcerpt)
}

// maxExcerpt bounds how much of an error body goes into an error message.
const maxExcerpt = 200
