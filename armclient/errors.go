package armclient

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/apierr"
)

// Kind classifies a failed call by what the operator can do about it
// (internal/apierr, shared with eaclient).
type Kind = apierr.Kind

// The kinds of failure of ARM and its identity authority.
const (
	KindTransport        = apierr.Transport
	KindAuth             = apierr.Auth
	KindBadRequest       = apierr.BadRequest
	KindUnauthorized     = apierr.Unauthorized
	KindForbidden        = apierr.Forbidden
	KindNotFound         = apierr.NotFound
	KindThrottled        = apierr.Throttled
	KindServer           = apierr.Server
	KindUnexpectedStatus = apierr.UnexpectedStatus
	KindDecode           = apierr.Decode
	KindProtocol         = apierr.Protocol
	KindAsync            = apierr.Async
)

// Error is the error every Client method returns (besides the billing
// sentinels, which it may wrap). It names the report, the HTTP status, the
// service's error code and message. It never contains a token or a SAS
// signature.
type Error struct {
	Report   string
	Kind     Kind
	Status   int    // HTTP status, 0 when there was no response
	Code     string // the service's error code, e.g. AuthorizationFailed
	Message  string // the service's message or a description
	Hint     string // what to do about it (the missing role)
	Attempts int
	Err      error
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
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil && e.Kind != KindAuth {
		b.WriteString(": ")
		b.WriteString(redact(e.Err.Error()))
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Cause classifies the failure without its details ("HTTP 403
// forbidden: AuthorizationFailed", "transport error"): the exporter logs a
// failure streak again when its cause changes.
func (e *Error) Cause() string {
	c := e.Kind.String()
	if e.Status != 0 {
		c = fmt.Sprintf("HTTP %d %s", e.Status, c)
	}
	if e.Code != "" {
		c += ": " + e.Code
	}
	return c
}

func (e *Error) retryable() bool { return apierr.Retryable(e.Kind, e.Status, e.Err) }

// KindOf returns the Kind of an error returned by the client.
func KindOf(err error) (Kind, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind, true
	}
	return 0, false
}

// armErrorBody is the ARM error shape, {"error":{"code","message"}}, read
// leniently (common-types v3/v5 add target, details, additionalInfo; some
// services answer with the inner object only).
type armErrorBody struct {
	Error *struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Details []struct {
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
		} `json:"details"`
	} `json:"error"`
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
}

func rawCode(r json.RawMessage) string {
	if len(r) == 0 || string(r) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(r, &s) == nil {
		return s
	}
	return strings.Trim(string(r), `"`) // {"code":429}
}

// parseServiceError extracts the code and message of an ARM JSON error or
// an Azure Storage XML error; else an excerpt of the body.
func parseServiceError(body []byte) (code, message string) {
	trimmed := strings.TrimSpace(string(body))
	if strings.HasPrefix(trimmed, "{") {
		var b armErrorBody
		if json.Unmarshal(body, &b) == nil {
			if b.Error != nil {
				code, message = rawCode(b.Error.Code), b.Error.Message
				if message == "" && len(b.Error.Details) > 0 {
					message = b.Error.Details[0].Message
				}
			} else {
				code, message = rawCode(b.Code), b.Message
			}
			if code != "" || message != "" {
				return code, excerpt(message)
			}
		}
	}
	trimmed = strings.TrimPrefix(trimmed, "\ufeff")
	if strings.HasPrefix(trimmed, "<") {
		var x struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		if xml.Unmarshal([]byte(trimmed), &x) == nil && (x.Code != "" || x.Message != "") {
			// Storage messages end with "RequestId:... Time:..." lines.
			msg, _, _ := strings.Cut(x.Message, "\n")
			return x.Code, excerpt(msg)
		}
	}
	return "", excerpt(trimmed)
}

// newStatusError builds the error of a non-2xx ARM response.
func newStatusError(report string, status int, body []byte, wait time.Duration) *Error {
	code, msg := parseServiceError(body)
	e := &Error{Report: report, Kind: apierr.ForStatus(status), Status: status, Code: code, Message: msg}
	switch status {
	case http.StatusUnauthorized:
		e.Hint = "the token was refused: check the tenant, and that the principal is assigned an EA billing role on the enrollment"
	case http.StatusForbidden:
		e.Hint = roleHint(report)
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if wait > 0 {
			e.Message = strings.TrimSpace(e.Message + fmt.Sprintf(" (asked to retry after %s)", wait.Round(time.Second)))
		}
	}
	return e
}

// roleHint names the EA billing role a report needs.
func roleHint(report string) string {
	const reader = "the service principal needs the EA billing role EnrollmentReader (role definition 24f8edb6-1668-4659-b5e2-40bb5f3a7d7e) on the enrollment, assigned through billingRoleAssignments; Azure RBAC roles do not grant it"
	switch report {
	case ReportReservationCharges, ReportReservationDetails:
		return reader + "; reservation transactions may need EA purchaser (da6647fb-7651-49ee-be91-c43c4877f0c4)"
	case ReportBalanceSummary:
		return reader + "; DepartmentReader cannot see the balance"
	}
	return reader
}

// describeTokenError turns an azidentity error into one line: the
// authority's status, error and AADSTS description when it answered.
func describeTokenError(err error) string {
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) && af.RawResponse != nil {
		resp := af.RawResponse
		var body []byte
		if resp.Body != nil {
			body, _ = io.ReadAll(io.LimitReader(resp.Body, 16<<10))
			resp.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		var o struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		host := ""
		if resp.Request != nil && resp.Request.URL != nil {
			host = " from " + resp.Request.URL.Host
		}
		if json.Unmarshal(body, &o) == nil && (o.Error != "" || o.Description != "") {
			desc, _, _ := strings.Cut(o.Description, "\r\n") // drop "Trace ID: ..." lines
			desc, _, _ = strings.Cut(desc, "\n")
			return fmt.Sprintf("token request refused%s: HTTP %d %s: %s", host, resp.StatusCode, o.Error, excerpt(desc))
		}
		return fmt.Sprintf("token request refused%s: HTTP %d: %s", host, resp.StatusCode, excerpt(string(body)))
	}
	s := err.Error()
	s, _, _ = strings.Cut(s, "\n")
	return excerpt(s)
}

// maxExcerpt bounds a message taken from an error body: ARM and Entra ID
// messages carry codes, correlation ids and the missing role.
const maxExcerpt = 300

var (
	jwtPattern    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.?[A-Za-z0-9_-]*`)
	bearerPattern = regexp.MustCompile(`(?i)bearer\s+[^\s"',]+`)
	sigPattern    = regexp.MustCompile(`(?i)([?&](sig|signature|se|skoid|sktid|client_secret|client_assertion)=)[^&\s"']+`)
)

// redact removes anything that looks like a token or a SAS signature.
func redact(s string) string {
	s = bearerPattern.ReplaceAllString(s, "Bearer <redacted>")
	s = jwtPattern.ReplaceAllString(s, "<redacted>")
	s = sigPattern.ReplaceAllString(s, "${1}<redacted>")
	return s
}

// excerpt turns a message into one short printable, redacted line.
func excerpt(s string) string { return apierr.Excerpt(redact(s), maxExcerpt) }
