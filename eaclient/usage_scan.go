package eaclient

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// The usage-details report is the one that is big: millions of rows of
// about 1.3 KB each, downloaded again whenever the current month's ETag
// moves. decodeUsagePageReference reads it with encoding/json into structs;
// this scanner reads the same pages several times faster and with next to
// no allocation, by
//
//   - scanning the bytes once, in a buffer it refills, and validating the
//     JSON grammar as it goes (so that it accepts exactly what
//     encoding/json accepts);
//   - decoding only the fields a UsageRow carries and skipping the rest;
//   - handing out strings that point into its buffer instead of copying
//     them (valid only during the callback: a consumer that keeps one
//     clones it); strings with escapes are unescaped into a per-row arena;
//   - parsing the common forms of numbers, dates and tags on fast paths and
//     falling back to the reference decoder's own code for anything else,
//     so that every quirk decodes to the same value.
//
// The differential tests and fuzzers in usage_scan_test.go hold it to the
// reference decoder's results on every dataset and fuzz input.

// errMore means the buffer ended inside the unit being parsed.
var errMore = errors.New("need more input")

type usageScanner struct {
	r    io.Reader
	buf  []byte
	pos  int // next byte to read
	end  int // end of valid data
	mark int // start of the unit being parsed; kept across refills
	eof  bool
	// max bounds the buffer: a single row larger than this is an error.
	max int

	arena []byte // unescaped strings of the current row
	tags  map[string]string
	row   billing.UsageRow
	w     usageFields
	first bool // at the first element of the data array
	done  bool // the data array ended
	high  bool // the last string scanned has bytes >= 0x80
}

// usageFields is what a row's fields decoded to before the cost rule
// (cost, else extendedCost) is applied.
type usageFields struct {
	cost, extendedCost       float64
	hasCost, hasExtendedCost bool
}

// scanBufSize is the initial buffer; a var so that tests can force refills.
var scanBufSize = 256 << 10

func newUsageScanner(r io.Reader, maxRow int) *usageScanner {
	return &usageScanner{r: r, buf: make([]byte, scanBufSize), max: maxRow, tags: map[string]string{}}
}

// DecodeUsagePage decodes one usage-details page ({id, data, nextLink}, in
// any key order) from r, calling fn with each row, and returns the page's
// nextLink. The row, and every string in it, is valid only until fn
// returns. It decodes exactly what encoding/json would, to the same values.
func DecodeUsagePage(r io.Reader, fn func(*billing.UsageRow) error) (next string, err error) {
	s := newUsageScanner(r, DefaultMaxPageBytes)
	return s.page(fn)
}

// fill reads more input, keeping the bytes from mark on.
func (s *usageScanner) fill() error {
	if s.eof {
		return io.ErrUnexpectedEOF
	}
	if s.mark > 0 {
		n := copy(s.buf, s.buf[s.mark:s.end])
		s.pos -= s.mark
		s.end = n
		s.mark = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= s.max {
			return fmt.Errorf("a single JSON value is larger than %d bytes", s.max)
		}
		nb := make([]byte, min(2*len(s.buf), s.max))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	// Read a good amount before parsing resumes: the unit being parsed is
	// parsed again from its start after every fill, so a reader that hands
	// out a few bytes at a time must not make that quadratic.
	want := min(64<<10, len(s.buf)-s.end)
	got, empty := 0, 0
	for got < want {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		got += n
		if n == 0 && err == nil {
			if empty++; empty > 100 {
				return io.ErrNoProgress
			}
		}
		if err == io.EOF {
			s.eof = true
			if got == 0 {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// unit runs parse, refilling and re-running it from the start while the
// buffer ends inside it.
func (s *usageScanner) unit(parse func() error) error {
	for {
		s.mark = s.pos
		err := parse()
		if err != errMore {
			return err
		}
		if err := s.rewind(); err != nil {
			return err
		}
	}
}

// rewind goes back to the start of the unit being parsed and reads more,
// so that it can be parsed again whole.
func (s *usageScanner) rewind() error {
	s.pos = s.mark
	if err := s.fill(); err != nil {
		if err == io.ErrUnexpectedEOF {
			return fmt.Errorf("truncated JSON body: %w", err)
		}
		return err
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// ws skips white space and returns the next byte.
func (s *usageScanner) ws() (byte, error) {
	for s.pos < s.end {
		c := s.buf[s.pos]
		if !isSpace(c) {
			return c, nil
		}
		s.pos++
	}
	return 0, errMore
}

func syntaxErr(what string, c byte) error {
	return fmt.Errorf("invalid character %q %s", c, what)
}

func (s *usageScanner) expect(want byte, what string) error {
	c, err := s.ws()
	if err != nil {
		return err
	}
	if c != want {
		return syntaxErr(what, c)
	}
	s.pos++
	return nil
}

// page parses the envelope. Each key/value pair of the envelope, and each
// row of data, is one restartable unit.
func (s *usageScanner) page(fn func(*billing.UsageRow) error) (string, error) {
	var next string
	if err := s.unit(func() error { return s.expect('{', "looking for beginning of value") }); err != nil {
		return "", err
	}
	first := true
	for {
		var key []byte
		done := false
		// The key, or the end of the envelope.
		err := s.unit(func() error {
			c, err := s.ws()
			if err != nil {
				return err
			}
			if c == '}' {
				s.pos++
				done = true
				return nil
			}
			if !first {
				if c != ',' {
					return syntaxErr("after object key:value pair", c)
				}
				s.pos++
				if c, err = s.ws(); err != nil {
					return err
				}
			}
			if c != '"' {
				return syntaxErr("looking for beginning of object key string", c)
			}
			raw, esc, err := s.str()
			if err != nil {
				return err
			}
			key = raw
			if esc {
				if key, err = unquote(raw); err != nil {
					return err
				}
			}
			return s.expect(':', "after object key")
		})
		if err != nil {
			return "", err
		}
		if done {
			break
		}
		first = false
		switch {
		case foldEq(key, "data"):
			if err := s.data(fn); err != nil {
				return "", err
			}
		case foldEq(key, "nextLink"):
			err := s.unit(func() error {
				c, err := s.ws()
				if err != nil {
					return err
				}
				switch c {
				case 'n':
					if err := s.literal("null"); err != nil {
						return err
					}
					next = "" // a *string set to nil: no link
					return nil
				case '"':
					raw, esc, err := s.str()
					if err != nil {
						return err
					}
					v := raw
					if esc || hasHigh(raw) {
						if v, err = unquote(raw); err != nil {
							return err
						}
					}
					next = string(v)
					return nil
				}
				start := s.pos
				if err := s.skipValue(); err != nil {
					return err
				}
				return fmt.Errorf("json: cannot unmarshal %s into Go value of type string", kindOf(s.buf[start]))
			})
			if err != nil {
				return "", err
			}
		default:
			if err := s.unit(s.skipValue); err != nil {
				return "", err
			}
		}
	}
	// Nothing but white space may follow.
	for {
		for s.pos < s.end {
			if !isSpace(s.buf[s.pos]) {
				return "", errors.New("unexpected data after the JSON value")
			}
			s.pos++
		}
		s.mark = s.pos
		if err := s.fill(); err != nil {
			if err == io.ErrUnexpectedEOF {
				return next, nil
			}
			return "", err
		}
	}
}

func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	default:
		return "number"
	}
}

// data parses the rows array (or null).
func (s *usageScanner) data(fn func(*billing.UsageRow) error) error {
	isNull := false
	err := s.unit(func() error {
		c, err := s.ws()
		if err != nil {
			return err
		}
		switch c {
		case 'n':
			isNull = true
			return s.literal("null")
		case '[':
			s.pos++
			return nil
		}
		return fmt.Errorf("usage page: want data to be an array, got %s", kindOf(c))
	})
	if err != nil || isNull {
		return err
	}
	s.first = true
	for {
		s.mark = s.pos
		err := s.nextRow()
		if err == errMore {
			// The unit loop, inlined: a closure per row would allocate.
			if err := s.rewind(); err != nil {
				return err
			}
			continue
		}
		if err != nil || s.done {
			return err
		}
		s.first = false
		s.finishRow()
		if err := fn(&s.row); err != nil {
			return err
		}
	}
}

// nextRow parses the next row of the data array, or its end (s.done).
func (s *usageScanner) nextRow() error {
	s.done = false
	c, err := s.ws()
	if err != nil {
		return err
	}
	if c == ']' {
		s.pos++
		s.done = true
		return nil
	}
	if !s.first {
		if c != ',' {
			return syntaxErr("after array element", c)
		}
		s.pos++
		if c, err = s.ws(); err != nil {
			return err
		}
	}
	if c == 'n' {
		// encoding/json decodes null into a struct as nothing: a zero row.
		s.resetRow()
		return s.literal("null")
	}
	if c != '{' {
		if err := s.skipValue(); err != nil {
			return err
		}
		return fmt.Errorf("json: cannot unmarshal %s into Go value of type eaclient.usageWire", kindOf(c))
	}
	return s.rowObject()
}

// Fields of a row, by kind of value.
type fieldKind uint8

const (
	fSkip fieldKind = iota
	fString
	fCost
	fExtendedCost
	fQuantity
	fDate
	fBool
	fTags
)

type field struct {
	name string
	kind fieldKind
	str  func(*billing.UsageRow) *string
}

var usageFieldTable = []field{
	{"cost", fCost, nil},
	{"extendedCost", fExtendedCost, nil},
	{"date", fDate, nil},
	{"consumedQuantity", fQuantity, nil},
	{"chargesBilledSeparately", fBool, nil},
	{"tags", fTags, nil},
	{"departmentName", fString, func(r *billing.UsageRow) *string { return &r.Department }},
	{"accountName", fString, func(r *billing.UsageRow) *string { return &r.AccountName }},
	{"costCenter", fString, func(r *billing.UsageRow) *string { return &r.CostCenter }},
	{"subscriptionGuid", fString, func(r *billing.UsageRow) *string { return &r.SubscriptionID }},
	{"subscriptionName", fString, func(r *billing.UsageRow) *string { return &r.SubscriptionName }},
	{"meterId", fString, func(r *billing.UsageRow) *string { return &r.MeterID }},
	{"meterCategory", fString, func(r *billing.UsageRow) *string { return &r.MeterCategory }},
	{"meterSubCategory", fString, func(r *billing.UsageRow) *string { return &r.MeterSubcategory }},
	{"meterName", fString, func(r *billing.UsageRow) *string { return &r.MeterName }},
	{"meterRegion", fString, func(r *billing.UsageRow) *string { return &r.MeterRegion }},
	{"unitOfMeasure", fString, func(r *billing.UsageRow) *string { return &r.UnitOfMeasure }},
	{"resourceGroup", fString, func(r *billing.UsageRow) *string { return &r.ResourceGroup }},
	{"resourceLocation", fString, func(r *billing.UsageRow) *string { return &r.ResourceLocation }},
	{"serviceName", fString, func(r *billing.UsageRow) *string { return &r.ServiceName }},
	{"serviceTier", fString, func(r *billing.UsageRow) *string { return &r.ServiceTier }},
	{"product", fString, func(r *billing.UsageRow) *string { return &r.Product }},
	{"consumedService", fString, func(r *billing.UsageRow) *string { return &r.ConsumedService }},
}

// fieldIndex maps each field's lower-cased name to it. No two fields fold
// to the same name, so a case-insensitive match is the one encoding/json
// would pick.
var fieldIndex = func() map[string]*field {
	m := map[string]*field{}
	for i := range usageFieldTable {
		m[strings.ToLower(usageFieldTable[i].name)] = &usageFieldTable[i]
	}
	return m
}()

// lookupField finds a field the way encoding/json does: an exact or a
// case-insensitive match (Unicode simple folding, as strings.EqualFold).
func lookupField(key []byte) *field {
	if len(key) <= 32 {
		var low [32]byte
		ascii := true
		for i, c := range key {
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			low[i] = c
		}
		if ascii {
			return fieldIndex[string(low[:len(key)])]
		}
	}
	if hasHigh(key) {
		// Non-ASCII letters can fold to ASCII ones (K, ſ).
		for i := range usageFieldTable {
			if strings.EqualFold(string(key), usageFieldTable[i].name) {
				return &usageFieldTable[i]
			}
		}
	}
	return nil
}

func foldEq(b []byte, s string) bool {
	if len(b) == len(s) {
		i := 0
		for ; i < len(b); i++ {
			c, d := b[i], s[i]
			if c >= utf8.RuneSelf {
				break
			}
			if c == d {
				continue
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if 'A' <= d && d <= 'Z' {
				d += 'a' - 'A'
			}
			if c != d {
				return false
			}
		}
		if i == len(b) {
			return true
		}
	}
	return hasHigh(b) && strings.EqualFold(string(b), s)
}

func hasHigh(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// rowObject parses one row from its '{'.
func (s *usageScanner) resetRow() {
	s.row = billing.UsageRow{}
	s.w = usageFields{}
	s.arena = s.arena[:0]
	clear(s.tags)
}

func (s *usageScanner) rowObject() error {
	s.resetRow()
	s.pos++ // '{'
	c, err := s.ws()
	if err != nil {
		return err
	}
	if c == '}' {
		s.pos++
		return nil
	}
	for {
		if c != '"' {
			return syntaxErr("looking for beginning of object key string", c)
		}
		raw, esc, err := s.str()
		if err != nil {
			return err
		}
		key := raw
		if esc {
			if key, err = unquote(raw); err != nil {
				return err
			}
		}
		if err := s.expect(':', "after object key"); err != nil {
			return err
		}
		if _, err := s.ws(); err != nil {
			return err
		}
		if f := lookupField(key); f != nil {
			if err := s.value(f); err != nil {
				return err
			}
		} else if err := s.skipValue(); err != nil {
			return err
		}
		c, err = s.ws()
		if err != nil {
			return err
		}
		s.pos++
		switch c {
		case '}':
			return nil
		case ',':
		default:
			return syntaxErr("after object key:value pair", c)
		}
		if c, err = s.ws(); err != nil {
			return err
		}
	}
}

// value decodes the value at pos into field f.
func (s *usageScanner) value(f *field) error {
	start := s.pos
	c := s.buf[s.pos]
	switch f.kind {
	case fString:
		switch c {
		case '"':
			raw, esc, err := s.str()
			if err != nil {
				return err
			}
			*f.str(&s.row) = s.text(raw, esc)
			return nil
		case 'n':
			return s.literal("null") // leaves the field as it was
		}
		if err := s.skipValue(); err != nil {
			return err
		}
		return fmt.Errorf("json: cannot unmarshal %s into Go struct field usageWire.%s of type string", kindOf(c), f.name)
	case fCost, fExtendedCost:
		if c == 'n' {
			// A null pointer: the field counts as absent.
			if err := s.literal("null"); err != nil {
				return err
			}
			if f.kind == fCost {
				s.w.hasCost = false
			} else {
				s.w.hasExtendedCost = false
			}
			return nil
		}
		if err := s.skipValue(); err != nil {
			return err
		}
		v, err := parseFlexFloat(s.buf[start:s.pos])
		if err != nil {
			return err
		}
		if f.kind == fCost {
			s.w.cost, s.w.hasCost = v, true
		} else {
			s.w.extendedCost, s.w.hasExtendedCost = v, true
		}
		return nil
	case fQuantity:
		if err := s.skipValue(); err != nil {
			return err
		}
		v, err := parseFlexFloat(s.buf[start:s.pos])
		if err != nil {
			return err
		}
		s.row.Quantity = v
		return nil
	case fBool:
		if err := s.skipValue(); err != nil {
			return err
		}
		raw := s.buf[start:s.pos]
		switch string(raw) {
		case "true":
			s.row.ChargesBilledSeparately = true
			return nil
		case "false":
			s.row.ChargesBilledSeparately = false
			return nil
		}
		var b flexBool
		if err := b.UnmarshalJSON(raw); err != nil {
			return err
		}
		s.row.ChargesBilledSeparately = bool(b)
		return nil
	case fDate:
		if err := s.skipValue(); err != nil {
			return err
		}
		raw := s.buf[start:s.pos]
		if t, ok := fastTime(raw); ok {
			s.row.Date = t
			return nil
		}
		var t flexTime
		if err := t.UnmarshalJSON(raw); err != nil {
			return err
		}
		s.row.Date = time.Time(t)
		return nil
	case fTags:
		if err := s.skipValue(); err != nil {
			return err
		}
		return s.decodeTags(s.buf[start:s.pos])
	}
	return s.skipValue()
}

// text returns a string field's value: a view of the buffer when it needs
// no unescaping, else unescaped into the row's arena.
func (s *usageScanner) text(raw []byte, esc bool) string {
	if !esc && !s.high {
		return unsafeString(raw)
	}
	if !esc && utf8.Valid(raw) {
		return unsafeString(raw)
	}
	start := len(s.arena)
	s.arena, _ = appendUnquote(s.arena, raw) // validated by str
	return unsafeString(s.arena[start:len(s.arena):len(s.arena)])
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (s *usageScanner) finishRow() {
	switch {
	case s.w.hasCost:
		s.row.Cost = s.w.cost
	case s.w.hasExtendedCost:
		s.row.Cost = s.w.extendedCost
	}
	if len(s.tags) > 0 {
		s.row.Tags = s.tags
	} else if s.row.Tags != nil && len(s.row.Tags) == 0 {
		s.row.Tags = nil
	}
}

// decodeTags reads the tags value. The common form, a JSON string holding a
// flat object of plain strings, is read into the reused map with views of
// the arena; anything else goes through flexTags, the reference decoder's
// code, so that it decodes the same.
func (s *usageScanner) decodeTags(raw []byte) error {
	clear(s.tags)
	s.row.Tags = nil
	if len(raw) >= 2 && raw[0] == '"' {
		inner := raw[1 : len(raw)-1]
		if bytes.IndexByte(inner, '\\') >= 0 {
			// Escaped quotes inside: unescape into the arena, then parse flat.
			start := len(s.arena)
			var err error
			if s.arena, err = appendUnquote(s.arena, inner); err != nil {
				return err
			}
			inner = s.arena[start:len(s.arena):len(s.arena)]
			if s.flatTags(inner) {
				return nil
			}
		} else if len(bytes.TrimSpace(inner)) == 0 {
			return nil
		}
	}
	clear(s.tags)
	var t flexTags
	if err := t.UnmarshalJSON(raw); err != nil {
		return err
	}
	s.row.Tags = t
	return nil
}

// flatTags parses {"k": "v", ...} with plain (escape-free, valid UTF-8)
// strings into s.tags; false for anything else.
func (s *usageScanner) flatTags(b []byte) bool {
	i := 0
	skip := func() {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
	}
	plain := func() (string, bool) {
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			c := b[j]
			if c < 0x20 || c == '\\' {
				return "", false
			}
			j++
		}
		if j >= len(b) {
			return "", false
		}
		v := b[i+1 : j]
		if hasHigh(v) && !utf8.Valid(v) {
			return "", false
		}
		i = j + 1
		return unsafeString(v), true
	}
	skip()
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i++
	skip()
	if i < len(b) && b[i] == '}' {
		i++
		skip()
		return i == len(b) // {} is no tags
	}
	for {
		skip()
		k, ok := plain()
		if !ok {
			return false
		}
		skip()
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i++
		skip()
		v, ok := plain()
		if !ok {
			return false
		}
		s.tags[k] = v
		skip()
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			i++
			skip()
			if i != len(b) {
				clear(s.tags)
				return false
			}
			if len(s.tags) > 0 {
				s.row.Tags = s.tags
			}
			return true
		}
		if b[i] != ',' {
			return false
		}
		i++
	}
}

// str scans a string from its opening quote and returns its raw contents,
// validating escapes and rejecting control characters as encoding/json
// does. high reports bytes of 0x80 and above (UTF-8 to validate).
//
// Strings are most of the bytes of a usage row, so the scan looks at eight
// bytes at a time (SWAR): one word test says whether any of them is a
// quote, a backslash or a control character.
func (s *usageScanner) str() (raw []byte, escaped bool, err error) {
	raw, escaped, s.high, err = s.strHigh()
	return raw, escaped, err
}

const (
	lsb    = 0x0101010101010101
	msb    = 0x8080808080808080
	quotes = '"' * lsb
	backs  = '\\' * lsb
)

func (s *usageScanner) strHigh() (raw []byte, escaped, high bool, err error) {
	i := s.pos + 1
	buf := s.buf[:s.end]
	for {
		// Find the first quote, backslash or control character: eight
		// bytes at a time while a whole word is left, then byte by byte.
		// In a word, the lowest byte flagged by the test is always a real
		// match (borrows only carry upwards), so its index is exact.
		j := -1
		var acc uint64
		for i+8 <= len(buf) {
			v := binary.LittleEndian.Uint64(buf[i:])
			q, b := v^quotes, v^backs
			special := (((q - lsb) &^ q) | ((b - lsb) &^ b) | ((v - 0x20*lsb) &^ v)) & msb
			if special != 0 {
				k := uint(bits.TrailingZeros64(special)) >> 3
				acc |= v & (1<<(8*k) - 1)
				j = i + int(k)
				break
			}
			acc |= v
			i += 8
		}
		if acc&msb != 0 {
			high = true
		}
		if j < 0 {
			for j = i; j < len(buf); j++ {
				c := buf[j]
				if c == '"' || c == '\\' || c < 0x20 {
					break
				}
				if c >= utf8.RuneSelf {
					high = true
				}
			}
			if j >= len(buf) {
				return nil, false, false, errMore
			}
		}
		switch c := buf[j]; {
		case c == '"':
			raw = buf[s.pos+1 : j]
			s.pos = j + 1
			return raw, escaped, high, nil
		case c == '\\':
			escaped = true
			if j+1 >= len(buf) {
				return nil, false, false, errMore
			}
			switch buf[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i = j + 2
			case 'u':
				if j+6 > len(buf) {
					return nil, false, false, errMore
				}
				for _, h := range buf[j+2 : j+6] {
					if !isHex(h) {
						return nil, false, false, syntaxErr("in \\u hexadecimal character escape", h)
					}
				}
				i = j + 6
			default:
				return nil, false, false, syntaxErr("in string escape code", buf[j+1])
			}
		default:
			return nil, false, false, syntaxErr("in string literal", c)
		}
	}
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func (s *usageScanner) literal(lit string) error {
	if s.end-s.pos < len(lit) {
		if string(s.buf[s.pos:s.end]) != lit[:s.end-s.pos] {
			return syntaxErr("in literal "+lit+" (expecting '"+lit[s.end-s.pos:s.end-s.pos+1]+"')", s.buf[s.end-1])
		}
		return errMore
	}
	for k := 0; k < len(lit); k++ {
		if s.buf[s.pos+k] != lit[k] {
			return syntaxErr("in literal "+lit, s.buf[s.pos+k])
		}
	}
	s.pos += len(lit)
	return nil
}

// number scans a JSON number, validating its grammar.
func (s *usageScanner) number() error {
	i := s.pos
	b := s.buf[:s.end]
	at := func() (byte, bool) {
		if i < len(b) {
			return b[i], true
		}
		return 0, false
	}
	if c, ok := at(); ok && c == '-' {
		i++
	}
	c, ok := at()
	if !ok {
		return errMore
	}
	switch {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		for i++; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
	default:
		return syntaxErr("in numeric literal", c)
	}
	// digits consumes one digit or more; what says where, for the error.
	digits := func(what string) error {
		c, ok := at()
		if !ok {
			return errMore
		}
		if c < '0' || c > '9' {
			return syntaxErr(what, c)
		}
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		}
		return nil
	}
	if c, ok := at(); ok && c == '.' {
		i++
		if err := digits("after decimal point in numeric literal"); err != nil {
			return err
		}
	}
	if c, ok := at(); ok && (c == 'e' || c == 'E') {
		i++
		if c, ok := at(); ok && (c == '+' || c == '-') {
			i++
		}
		if err := digits("in exponent of numeric literal"); err != nil {
			return err
		}
	}
	if i >= len(b) {
		return errMore // the number may go on
	}
	s.pos = i
	return nil
}

// skipValue scans any JSON value, validating it.
func (s *usageScanner) skipValue() error {
	c, err := s.ws()
	if err != nil {
		return err
	}
	if c == '{' || c == '[' {
		return s.skipContainer()
	}
	return s.skipScalar(c)
}

// skipContainer scans an object or array from its opening delimiter,
// validating it, with an explicit stack so that deep nesting cannot
// overflow the goroutine stack.
func (s *usageScanner) skipContainer() error {
	var arr [32]byte
	stack := append(arr[:0], s.buf[s.pos])
	s.pos++
	first, after := true, false
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		closer := byte('}')
		if top == '[' {
			closer = ']'
		}
		c, err := s.ws()
		if err != nil {
			return err
		}
		if (first || after) && c == closer {
			s.pos++
			stack = stack[:len(stack)-1]
			first, after = false, true
			continue
		}
		if after {
			if c != ',' {
				if top == '{' {
					return syntaxErr("after object key:value pair", c)
				}
				return syntaxErr("after array element", c)
			}
			s.pos++
			if c, err = s.ws(); err != nil {
				return err
			}
		}
		if top == '{' {
			if c != '"' {
				return syntaxErr("looking for beginning of object key string", c)
			}
			if _, _, err := s.str(); err != nil {
				return err
			}
			if err := s.expect(':', "after object key"); err != nil {
				return err
			}
			if c, err = s.ws(); err != nil {
				return err
			}
		}
		if c == '{' || c == '[' {
			if len(stack) >= 10000 {
				return errors.New("exceeded max depth")
			}
			stack = append(stack, c)
			s.pos++
			first, after = true, false
			continue
		}
		if err := s.skipScalar(c); err != nil {
			return err
		}
		first, after = false, true
	}
	return nil
}

func (s *usageScanner) skipScalar(c byte) error {
	switch {
	case c == '"':
		_, _, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return syntaxErr("looking for beginning of value", c)
}

// parseFlexFloat reads a number the way flexFloat does, without allocating
// for a plain JSON number.
func parseFlexFloat(raw []byte) (float64, error) {
	if len(raw) > 0 && (raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
		if v, err := strconv.ParseFloat(unsafeString(raw), 64); err == nil {
			return v, nil
		}
	}
	var f flexFloat
	if err := f.UnmarshalJSON(raw); err != nil {
		return 0, err
	}
	return float64(f), nil
}

// fastTime parses "yyyy-MM-ddTHH:mm:ss" with an optional "Z" or ".fff" +
// "Z", the forms the API sends, to the same instant parseTime would; false
// for anything else.
func fastTime(raw []byte) (time.Time, bool) {
	if len(raw) < 21 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return time.Time{}, false
	}
	b := raw[1 : len(raw)-1]
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(p, n int) (int, bool) {
		v := 0
		for _, c := range b[p : p+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	if d > time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		k := 1
		scale := 100000000
		for ; k < len(rest) && rest[k] >= '0' && rest[k] <= '9'; k++ {
			if k > 9 {
				return time.Time{}, false
			}
			nsec += int(rest[k]-'0') * scale
			scale /= 10
		}
		if k == 1 || k > 8 { // 1 to 7 fractional digits, as the layouts allow
			return time.Time{}, false
		}
		rest = rest[k:]
	}
	switch string(rest) {
	case "", "Z":
	default:
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC), true
}

// unquote decodes a JSON string's raw contents exactly as encoding/json
// does: escapes, surrogate pairs (a lone surrogate becomes U+FFFD) and
// invalid UTF-8 (each bad byte becomes U+FFFD).
func unquote(s []byte) ([]byte, error) { return appendUnquote(nil, s) }

// appendUnquote is unquote appending to b.
func appendUnquote(b, s []byte) ([]byte, error) {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			if r >= len(s) {
				return nil, errors.New("invalid string escape")
			}
			switch s[r] {
			case '"', '\\', '/', '\'', 'b', 'f', 'n', 'r', 't':
				b = append(b, simpleEscapes[s[r]])
				r++
			case 'u':
				rr := getu4(s[r-1:])
				if rr < 0 {
					return nil, errors.New("invalid \\u escape")
				}
				r += 5
				if utf16.IsSurrogate(rr) {
					if rr1 := getu4(s[r:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
							r += 6
							b = utf8.AppendRune(b, dec)
							break
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
			default:
				return nil, errors.New("invalid string escape")
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return b, nil
}

// simpleEscapes maps the letter after a backslash to the byte it stands for.
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', '\'': '\'', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c = c - '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
