// Package apierr is what the two sources' clients (eaclient, armclient)
// share about failed calls: the kinds of failure, by what an operator can
// do about them, their names in logs and on /status, the kind of an HTTP
// status, which failures are worth retrying and the retry policy with its
// backoff, and how much of an error body goes into a message. Each client keeps its own Error type (the EA one
// names the report and status, the ARM one also the service's code and a
// hint about the missing role).
package apierr

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind classifies a failed call by what the operator can do about it.
type Kind int

const (
	// Transport: no HTTP response (connection refused, timeout, reset).
	Transport Kind = iota
	// Auth: no token: the identity authority refused the credential
	// (wrong secret, unknown client, expired certificate) or is
	// unreachable (ARM only).
	Auth
	// BadRequest: 400, invalid parameters (or no data for the range).
	BadRequest
	// Unauthorized: 401, the API key or the token was refused.
	Unauthorized
	// Forbidden: 403, the key's scope or the principal's role does not
	// cover the report.
	Forbidden
	// NotFound: 404, unknown route or enrollment, or no data for the period.
	NotFound
	// Throttled: 429, retries exhausted.
	Throttled
	// Server: 5xx, retries exhausted.
	Server
	// UnexpectedStatus: any other status code.
	UnexpectedStatus
	// Decode: the response body is not what the report should return.
	Decode
	// Protocol: the server broke the protocol (a link to a foreign host, a
	// paging loop, a body over the size limit).
	Protocol
	// ReportFailed: the EA asynchronous usage report ended as Failed (4) or
	// TimedOut (7), missed its deadline, or its blob link expired again
	// after a resubmission.
	ReportFailed
	// Async: an ARM asynchronous report failed, timed out, or its download
	// link was refused (expired).
	Async
)

var names = map[Kind]string{
	Transport:        "transport error",
	Auth:             "authentication failed",
	BadRequest:       "bad request",
	Unauthorized:     "unauthorized",
	Forbidden:        "forbidden",
	NotFound:         "not found",
	Throttled:        "throttled",
	Server:           "server error",
	UnexpectedStatus: "unexpected status",
	Decode:           "decode error",
	Protocol:         "protocol error",
	ReportFailed:     "report failed",
	Async:            "asynchronous report failed",
}

func (k Kind) String() string {
	if s, ok := names[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ForStatus returns the kind of an HTTP status that is neither 200 nor 304.
func ForStatus(status int) Kind {
	switch {
	case status == http.StatusBadRequest:
		return BadRequest
	case status == http.StatusUnauthorized:
		return Unauthorized
	case status == http.StatusForbidden:
		return Forbidden
	case status == http.StatusNotFound:
		return NotFound
	case status == http.StatusTooManyRequests:
		return Throttled
	case status >= 500:
		return Server
	default:
		return UnexpectedStatus
	}
}

// Retryable reports whether a failure is worth another attempt: a
// transport error (unless the caller cancelled), throttling, and the 5xx
// statuses that mean "try again".
func Retryable(k Kind, status int, err error) bool {
	switch k {
	case Transport:
		return !errors.Is(err, context.Canceled)
	case Throttled:
		return true
	case Server:
		switch status {
		case 500, 502, 503, 504:
			return true
		}
	}
	return false
}

// Cause is a failure's class without its details ("HTTP 401
// unauthorized", "transport error"): the exporter logs a failure streak
// again when its cause changes.
func Cause(k Kind, status int) string {
	if status != 0 {
		return fmt.Sprintf("HTTP %d %s", status, k)
	}
	return k.String()
}

// Excerpt turns an error body into one printable line of at most max
// bytes (and an ellipsis): enough to read an API error, not enough to flood
// a log with an HTML page. The caller removes secrets first.
func Excerpt(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// Retry is a client's retry policy.
type Retry struct {
	// MaxAttempts is the number of requests made at most, the first included.
	MaxAttempts int
	// InitialBackoff is the wait before the first retry that has no
	// server-given wait; each next one doubles, with jitter, up to
	// MaxBackoff.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// MaxElapsed bounds the time spent on one request including its
	// retries. A server-given wait that would go past it ends the retries
	// at once.
	MaxElapsed time.Duration
}

// Or returns r with each zero or negative field taken from def.
func (r Retry) Or(def Retry) Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = def.MaxAttempts
	}
	if r.InitialBackoff <= 0 {
		r.InitialBackoff = def.InitialBackoff
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = def.MaxBackoff
	}
	if r.MaxElapsed <= 0 {
		r.MaxElapsed = def.MaxElapsed
	}
	return r
}

// Backoff returns the wait before retry number attempt: exponential with
// "equal jitter" (half fixed, half random), so that many exporters
// throttled at once do not come back in step.
func (r Retry) Backoff(attempt int) time.Duration {
	d := r.InitialBackoff << (attempt - 1)
	if d <= 0 || d > r.MaxBackoff {
		d = r.MaxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}
