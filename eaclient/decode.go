package eaclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The EA API's JSON is loose: numbers arrive as strings and strings as
// numbers, booleans as "False", timestamps with or without a zone and with
// up to seven fractional digits (and, in captured responses, "T00: 00: 00").
// These types accept every form seen in real responses. Unknown fields are
// ignored by encoding/json, and field names match case-insensitively, which
// covers "Cost" (v2) and "PurchasingsubscriptionGuid" (the docs' spelling).

// flexFloat accepts a JSON number, a numeric string, "" or null.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		*f = 0
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
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

// flexString accepts a string, a number (billingPeriodId: 201507) or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("want a string, got %.40s", b)
	default:
		*f = flexString(b)
	}
	return nil
}

// flexBool accepts true/false, "True"/"False" in any case, "" and null.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		*f = true
	case "false", "0", "no", "", "null":
		*f = false
	default:
		return fmt.Errorf("not a boolean: %.40s", s)
	}
	return nil
}

// flexTime accepts the API's timestamp forms and reads a time without a zone
// as UTC, which the API documents all its times to be.
type flexTime time.Time

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02 15:04:05.9999999",
	"2006-01-02",
	"01/02/2006 15:04:05",
	"01/02/2006",
}

func (f *flexTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = flexTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: want a string, got %.40s", b)
	}
	t, err := parseTime(s)
	if err != nil {
		return err
	}
	*f = flexTime(t)
	return nil
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	// "2019-05-01T00: 00: 00" in a captured response.
	if strings.Contains(s, ": ") {
		s = strings.ReplaceAll(s, ": ", ":")
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp %q", truncate(s, 40))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// flexTags reads resource tags, which the API sends as JSON inside a string
// ("{  \"env\": \"prod\"}"), as "", or (in some versions) as an object.
// Tags that are not a JSON object are dropped rather than failing a whole
// report: they are labels, not money.
type flexTags map[string]string

func (f *flexTags) UnmarshalJSON(b []byte) error {
	*f = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = bytes.TrimSpace([]byte(s))
	}
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
			out[k] = ""
		default:
			enc, _ := json.Marshal(v)
			out[k] = string(enc)
		}
	}
	*f = out
	return nil
}

// decodeArray streams a JSON array, decoding one element at a time into a
// fresh W and passing it to fn: memory does not grow with the array. A JSON
// null stands for an empty array. If the body is a single object (balance
// summary on v1/v2), it is passed as the only element.
func decodeArray[W any](r io.Reader, fn func(*W) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return bodyErr(err)
	}
	switch tok {
	case nil:
		return trailing(dec)
	case json.Delim('{'):
		// A lone object: decode the rest of it through a reader that puts
		// the brace back.
		var w W
		rest := io.MultiReader(strings.NewReader("{"), dec.Buffered(), r)
		d2 := json.NewDecoder(rest)
		if err := d2.Decode(&w); err != nil {
			return bodyErr(err)
		}
		if err := fn(&w); err != nil {
			return err
		}
		return trailing(d2)
	case json.Delim('['):
	default:
		return fmt.Errorf("want a JSON array, got %v", tokenString(tok))
	}
	for dec.More() {
		var w W
		if err := dec.Decode(&w); err != nil {
			return bodyErr(err)
		}
		if err := fn(&w); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return bodyErr(err)
	}
	return trailing(dec)
}

// trailing fails on anything but white space after the JSON value.
func trailing(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return errors.New("unexpected data after the JSON value")
		}
		return bodyErr(err)
	}
	return nil
}

// bodyErr names a truncated body as such.
func bodyErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated JSON body: %w", err)
	}
	return err
}

func tokenString(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return string(t)
	case string:
		return fmt.Sprintf("string %q", truncate(t, 40))
	default:
		return fmt.Sprintf("%v", t)
	}
}
