package usagecsv

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Values: numbers, dates, booleans and tags, as the files write them.

// parseNumber reads a number in the invariant culture: an optional sign,
// digits with an optional '.' fraction, an optional exponent (1.2E-05).
// Surrounding spaces are ignored and an empty value is 0. Thousands
// separators, decimal commas, hexadecimal, Inf and NaN are errors.
func parseNumber(s string) (float64, error) {
	if v, ok := fastNumber(s); ok {
		return v, nil
	}
	s = trimSpace(s)
	if s == "" {
		return 0, nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, fmt.Errorf("not a number: %q", clip(s))
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", clip(s))
	}
	return v, nil
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastNumber reads the common form, [-]digits[.digits], when the digits
// fit in 2^53 and the fraction in 22 places: the value is then an exact
// integer divided by an exact power of ten, one correctly rounded
// division, the same value strconv.ParseFloat returns (its own first fast
// path). false for anything else.
func fastNumber(s string) (float64, bool) {
	i := 0
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		i = 1
	}
	var m uint64
	digits, frac, zeros := 0, -1, 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if frac >= 0 {
				return 0, false
			}
			frac = 0
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		digits++
		if frac >= 0 {
			if c == '0' {
				zeros++ // trailing zeros of the fraction change nothing
				continue
			}
			for ; zeros > 0; zeros-- {
				m *= 10
				frac++
				if m >= 1<<53 {
					return 0, false
				}
			}
			frac++
		}
		m = m*10 + uint64(c-'0')
		if m >= 1<<53 {
			return 0, false
		}
	}
	if digits == 0 || frac > 22 || frac == 0 && zeros == 0 {
		return 0, false
	}
	v := float64(m)
	if frac > 0 {
		v /= pow10[frac]
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseBool reads True/False in any case (and 1/0, yes/no); an empty value
// is false.
func parseBool(s string) (bool, error) {
	s = trimSpace(s)
	if len(s) <= 5 {
		var low [5]byte
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			low[i] = c
		}
		switch string(low[:len(s)]) {
		case "true", "1", "yes":
			return true, nil
		case "false", "0", "no", "":
			return false, nil
		}
	}
	return false, fmt.Errorf("not a boolean: %q", clip(s))
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// dateCache remembers the last date parsed: a file's rows come day by day,
// so the same text repeats for thousands of rows.
type dateCache struct {
	raw []byte
	t   time.Time
	ok  bool
}

func (c *dateCache) parse(s string) (time.Time, error) {
	if c.ok && string(c.raw) == s {
		return c.t, nil
	}
	t, err := parseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	c.raw = append(c.raw[:0], s...)
	c.t, c.ok = t, true
	return t, nil
}

// dateLayouts are the forms past the fast ones: timestamps, with or without
// a zone, and the US form with a time of day. A time without a zone is UTC.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02 15:04:05.9999999",
	"2006-01-02 15:04:05Z07:00",
	"1/2/2006 15:04:05",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 3:04 PM",
	"1/2/2006 15:04",
}

// parseDate reads the date forms the files use: yyyy-MM-dd (EA download,
// older Cost Details datasets), MM/dd/yyyy and M/d/yyyy (Cost Details, EA
// portal files), and RFC 3339 or ISO timestamps; the month always comes
// first in the slashed form. An empty value is the zero time.
func parseDate(s string) (time.Time, error) {
	s = trimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := fastDate(s); ok {
		return t, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", clip(s))
}

// fastDate parses yyyy-MM-dd and M/d/yyyy (one or two digits of month and
// day), checking the day against the month.
func fastDate(s string) (time.Time, bool) {
	var y, m, d int
	switch {
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		var ok1, ok2, ok3 bool
		y, ok1 = digits(s[0:4])
		m, ok2 = digits(s[5:7])
		d, ok3 = digits(s[8:10])
		if !(ok1 && ok2 && ok3) {
			return time.Time{}, false
		}
	case len(s) >= 8 && len(s) <= 10:
		i := strings.IndexByte(s, '/')
		if i < 1 || i > 2 {
			return time.Time{}, false
		}
		j := strings.IndexByte(s[i+1:], '/') + i + 1
		if j-i-1 < 1 || j-i-1 > 2 || len(s)-j-1 != 4 {
			return time.Time{}, false
		}
		var ok1, ok2, ok3 bool
		m, ok1 = digits(s[:i])
		d, ok2 = digits(s[i+1 : j])
		y, ok3 = digits(s[j+1:])
		if !(ok1 && ok2 && ok3) {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 31 April
	}
	return t, true
}

func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, len(s) > 0
}

// Tags come as JSON in the Tags column, after the CSV unquoting:
//
//	{"env":"prod","team":"x"}            compact
//	{  "env": "prod",  "team": "x"}      the EA files' "{  " style
//	"env": "prod","team": "x"            without the braces (Cost Details)
//
// The common case, an object of plain strings, is read without allocating:
// keys and values alias the buffer, and strings with JSON escapes are
// unescaped into the row's arena. Anything else (non-string values, nested
// objects, odd escapes, invalid UTF-8) goes through encoding/json, and is
// read as the JSON source's tags are: null becomes "", other values their
// JSON text. Tags that are not a JSON object are dropped, not an error:
// they are labels, not money.

type tagReader struct {
	m     map[string]string
	arena []byte
}

// read parses s into t.m (cleared first) and returns it, or nil for no
// tags.
func (t *tagReader) read(s string) map[string]string {
	if len(t.m) > 0 {
		clear(t.m)
	}
	i := skipWS(s, 0)
	if i == len(s) {
		return nil
	}
	braces := s[i] == '{'
	if !braces && s[i] != '"' {
		return nil
	}
	if hasHigh(s) && !utf8.ValidString(s) {
		return t.slow(s, braces)
	}
	if t.m == nil {
		t.m = make(map[string]string, 8)
	}
	if braces {
		i = skipWS(s, i+1)
		if i < len(s) && s[i] == '}' {
			return nil // {}: no tags (and {} followed by more is not JSON)
		}
	}
	for {
		k, ok := t.str(s, &i)
		if !ok {
			return t.slow(s, braces)
		}
		i = skipWS(s, i)
		if i >= len(s) || s[i] != ':' {
			return t.slow(s, braces)
		}
		i = skipWS(s, i+1)
		v, ok := t.str(s, &i)
		if !ok {
			return t.slow(s, braces)
		}
		t.m[k] = v
		i = skipWS(s, i)
		if i >= len(s) {
			if braces {
				return t.slow(s, braces)
			}
			return t.m
		}
		switch s[i] {
		case ',':
			i = skipWS(s, i+1)
			continue
		case '}':
			if braces && skipWS(s, i+1) == len(s) {
				return t.m
			}
		}
		return t.slow(s, braces)
	}
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// str reads a JSON string at s[*i]; false for anything the fast path does
// not handle.
func (t *tagReader) str(s string, i *int) (string, bool) {
	j := *i
	if j >= len(s) || s[j] != '"' {
		return "", false
	}
	start := j + 1
	esc := false
	for j = start; j < len(s); j++ {
		c := s[j]
		if c == '"' {
			break
		}
		if c == '\\' {
			esc = true
			j++
			continue
		}
		if c < 0x20 {
			return "", false
		}
	}
	if j >= len(s) {
		return "", false
	}
	*i = j + 1
	raw := s[start:j]
	if !esc {
		return raw, true
	}
	n := len(t.arena)
	var ok bool
	if t.arena, ok = appendUnescape(t.arena, raw); !ok {
		return "", false
	}
	return unsafeString(t.arena[n:len(t.arena):len(t.arena)]), true
}

// appendUnescape appends the JSON string contents s, unescaped, to b; false
// for an invalid escape.
func appendUnescape(b []byte, s string) ([]byte, bool) {
	for r := 0; r < len(s); {
		c := s[r]
		if c != '\\' {
			k := strings.IndexByte(s[r:], '\\')
			if k < 0 {
				return append(b, s[r:]...), true
			}
			b = append(b, s[r:r+k]...)
			r += k
			continue
		}
		if r+1 >= len(s) {
			return b, false
		}
		switch e := s[r+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
			r += 2
		case 'b':
			b = append(b, '\b')
			r += 2
		case 'f':
			b = append(b, '\f')
			r += 2
		case 'n':
			b = append(b, '\n')
			r += 2
		case 'r':
			b = append(b, '\r')
			r += 2
		case 't':
			b = append(b, '\t')
			r += 2
		case 'u':
			rr := hex4(s[r:])
			if rr < 0 {
				return b, false
			}
			r += 6
			if utf16.IsSurrogate(rr) {
				if r2 := hex4(s[r:]); r2 >= 0 {
					if d := utf16.DecodeRune(rr, r2); d != utf8.RuneError {
						b = utf8.AppendRune(b, d)
						r += 6
						continue
					}
				}
				rr = utf8.RuneError
			}
			b = utf8.AppendRune(b, rr)
		default:
			return b, false
		}
	}
	return b, true
}

// hex4 decodes \uXXXX at the start of s, or returns -1.
func hex4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range []byte(s[2:6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// slow reads tags with encoding/json (allocating), into t.m.
func (t *tagReader) slow(s string, braces bool) map[string]string {
	clear(t.m)
	src := s
	if !braces {
		src = "{" + s + "}"
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil || len(m) == 0 {
		return nil
	}
	if t.m == nil {
		t.m = make(map[string]string, len(m))
	}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			t.m[k] = v
		case nil:
			t.m[k] = ""
		default:
			enc, _ := json.Marshal(v)
			t.m[k] = string(enc)
		}
	}
	return t.m
}

// hasHigh reports bytes of 0x80 and above, eight at a time.
func hasHigh(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))&msb != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
