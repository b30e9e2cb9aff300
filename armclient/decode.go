package armclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/bodylimit"
)

// flexFloat accepts a JSON number, a numeric string, "" or null (ARM's
// decimals are numbers, but be lenient as the EA API taught us).
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*f = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*f = 0
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %.40s", s)
	}
	*f = flexFloat(v)
	return nil
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02",
}

// parseTime reads ARM timestamps; one without a zone is UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp: %.40q", s)
}

// wireTime keeps the parsed time with the offset it was written in.
type wireTime struct{ time.Time }

func (w *wireTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		w.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: want a string, got %.40s", b)
	}
	if strings.TrimSpace(s) == "" {
		w.Time = time.Time{}
		return nil
	}
	t, err := parseTime(s)
	if err != nil {
		return err
	}
	w.Time = t
	return nil
}

// day returns the calendar date as written (in the timestamp's own offset)
// at midnight UTC: Consumption writes usage dates as local midnight with a
// Pacific offset ("2018-09-01T00:00:00-07:00"), which is the usage day.
func (w wireTime) day() time.Time {
	if w.IsZero() {
		return time.Time{}
	}
	y, m, d := w.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dayString(t time.Time) string { return t.UTC().Format("2006-01-02") }

// revisionHash accumulates the content hash that stands in for an ETag.
type revisionHash struct {
	h   hash.Hash
	enc *json.Encoder
}

func newRevisionHash(report string) *revisionHash {
	h := sha256.New()
	h.Write([]byte(report))
	h.Write([]byte{0})
	return &revisionHash{h: h, enc: json.NewEncoder(h)}
}

// add hashes a decoded record (its JSON encoding: struct fields in order).
func (r *revisionHash) add(v any) {
	_ = r.enc.Encode(v)
}

func (r *revisionHash) sum() string {
	return "sha256:" + hex.EncodeToString(r.h.Sum(nil)[:16])
}

// getJSON GETs u (one ARM object, no paging) and decodes it into v.
// found is false on 204 No Content.
func (c *Client) getJSON(ctx context.Context, report string, u *url.URL, v any) (found bool, err error) {
	resp, err := c.do(ctx, request{report: report, method: http.MethodGet, u: u})
	if err != nil {
		return false, err
	}
	defer resp.close()
	if resp.status == http.StatusNoContent {
		return false, nil
	}
	dec := json.NewDecoder(resp.body)
	if err := dec.Decode(v); err != nil {
		return false, c.decodeError(ctx, report, resp.status, err)
	}
	return true, nil
}

func (c *Client) decodeError(ctx context.Context, report string, status int, err error) error {
	switch {
	case errors.Is(err, bodylimit.ErrTooLarge):
		return &Error{Report: report, Kind: KindProtocol, Status: status, Message: fmt.Sprintf("response body larger than %d bytes", c.cfg.MaxBodyBytes)}
	case ctx.Err() != nil:
		return &Error{Report: report, Kind: KindTransport, Err: fmt.Errorf("reading body: %w", ctx.Err())}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Report: report, Kind: KindDecode, Status: status, Err: err}
}

// getList GETs a Consumption/Billing list ({"value":[...],"nextLink":...}),
// follows nextLink on the ARM host, and calls each with every element.
// A 204 is an empty list.
func getList[W any](ctx context.Context, c *Client, report string, u *url.URL, each func(*W) error) (pages int, err error) {
	seen := map[string]bool{}
	for u != nil {
		if pages >= c.cfg.MaxPages {
			return pages, &Error{Report: report, Kind: KindProtocol, Message: fmt.Sprintf("more than %d pages", c.cfg.MaxPages)}
		}
		key := u.String()
		if seen[key] {
			return pages, &Error{Report: report, Kind: KindProtocol, Message: "paging loop: a nextLink repeats"}
		}
		seen[key] = true
		next, err := getPage(ctx, c, report, u, each)
		if err != nil {
			return pages, err
		}
		pages++
		u = nil
		if next != "" {
			if u, err = c.link(report, next); err != nil {
				return pages, err
			}
		}
	}
	return pages, nil
}

func getPage[W any](ctx context.Context, c *Client, report string, u *url.URL, each func(*W) error) (next string, err error) {
	resp, err := c.do(ctx, request{report: report, method: http.MethodGet, u: u})
	if err != nil {
		return "", err
	}
	defer resp.close()
	if resp.status == http.StatusNoContent {
		return "", nil
	}
	next, err = decodeListBody(resp, each)
	if err != nil {
		return "", c.decodeError(ctx, report, resp.status, err)
	}
	return next, nil
}

// decodeListBody reads {"value":[...],"nextLink":"..."} element by element.
func decodeListBody[W any](resp *response, each func(*W) error) (next string, err error) {
	dec := json.NewDecoder(resp.body)
	if err := expectDelim(dec, '{'); err != nil {
		return "", err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		key, _ := tok.(string)
		switch strings.ToLower(key) {
		case "value":
			tok, err := dec.Token()
			if err != nil {
				return "", err
			}
			if tok == nil { // "value": null
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return "", fmt.Errorf("value: want an array, got %v", tok)
			}
			for dec.More() {
				var w W
				if err := dec.Decode(&w); err != nil {
					return "", err
				}
				if err := each(&w); err != nil {
					return "", err
				}
			}
			if _, err := dec.Token(); err != nil {
				return "", err
			}
		case "nextlink":
			var s *string
			if err := dec.Decode(&s); err != nil {
				return "", fmt.Errorf("nextLink: %w", err)
			}
			if s != nil {
				next = strings.TrimSpace(*s)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", err
			}
		}
	}
	return next, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}
