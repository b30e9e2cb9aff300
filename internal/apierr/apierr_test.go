package apierr

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestForStatus(t *testing.T) {
	for status, want := range map[int]Kind{400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 429: Throttled,
		500: Server, 503: Server, 418: UnexpectedStatus, 302: UnexpectedStatus} {
		if got := ForStatus(status); got != want {
			t.Errorf("%d: %v, want %v", status, got, want)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		k      Kind
		status int
		err    error
		want   bool
	}{
		{Transport, 0, fmt.Errorf("dial: refused"), true},
		{Transport, 0, fmt.Errorf("read: %w", context.Canceled), false},
		{Throttled, 429, nil, true},
		{Server, 503, nil, true},
		{Server, 501, nil, false},
		{Unauthorized, 401, nil, false},
		{Decode, 200, nil, false},
	} {
		if got := Retryable(tc.k, tc.status, tc.err); got != tc.want {
			t.Errorf("%v %d %v: %v", tc.k, tc.status, tc.err, got)
		}
	}
}

func TestNamesAndCause(t *testing.T) {
	for k := Transport; k <= Async; k++ {
		if strings.HasPrefix(k.String(), "kind(") {
			t.Errorf("kind %d has no name", int(k))
		}
	}
	if got := Cause(Unauthorized, 401); got != "HTTP 401 unauthorized" {
		t.Errorf("Cause = %q", got)
	}
	if got := Cause(Transport, 0); got != "transport error" {
		t.Errorf("Cause = %q", got)
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("é", 300)
	got := Excerpt("  <html>\n\t"+long, 200)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > 200+len("…") || strings.ContainsAny(got, "\n\t") {
		t.Errorf("Excerpt = %q", got)
	}
	if got := Excerpt("bad \xff byte", 200); got != "bad ? byte" {
		t.Errorf("Excerpt = %q", got)
	}
}

func TestRetry(t *testing.T) {
	def := Retry{MaxAttempts: 4, InitialBackoff: time.Second, MaxBackoff: time.Minute, MaxElapsed: 5 * time.Minute}
	got := Retry{MaxAttempts: 2, MaxBackoff: -1}.Or(def)
	if want := (Retry{MaxAttempts: 2, InitialBackoff: time.Second, MaxBackoff: time.Minute, MaxElapsed: 5 * time.Minute}); got != want {
		t.Errorf("Or = %+v, want %+v", got, want)
	}
	r := Retry{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for attempt := 1; attempt < 70; attempt++ {
		full := time.Second
		if attempt < 5 {
			full = 100 * time.Millisecond << (attempt - 1)
		}
		if d := r.Backoff(attempt); d < full/2 || d > full {
			t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, full/2, full)
		}
	}
}
