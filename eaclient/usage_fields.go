package eaclient

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// The usage-row half of the scanner: which JSON field maps to which
// UsageRow member, and how each kind of value decodes, to the same value
// as the reference decoder's usageWire and flex types. The JSON lexing is
// in lex.go, the page and row structure in usage_scan.go.

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
	name  string
	lower string // name in lower case: every name is all ASCII letters
	kind  fieldKind
	bit   billing.UsageField // the UsageRow member it feeds
	off   uintptr            // of the UsageRow string member, for fString
}

var usageFieldTable = []field{
	{name: "cost", kind: fCost, bit: billing.FieldCost},
	{name: "extendedCost", kind: fExtendedCost, bit: billing.FieldCost},
	{name: "date", kind: fDate, bit: billing.FieldDate},
	{name: "consumedQuantity", kind: fQuantity, bit: billing.FieldQuantity},
	{name: "chargesBilledSeparately", kind: fBool, bit: billing.FieldChargesBilledSeparately},
	{name: "tags", kind: fTags, bit: billing.FieldTags},
	{name: "departmentName", kind: fString, bit: billing.FieldDepartment, off: unsafe.Offsetof(billing.UsageRow{}.Department)},
	{name: "accountName", kind: fString, bit: billing.FieldAccountName, off: unsafe.Offsetof(billing.UsageRow{}.AccountName)},
	{name: "costCenter", kind: fString, bit: billing.FieldCostCenter, off: unsafe.Offsetof(billing.UsageRow{}.CostCenter)},
	{name: "subscriptionGuid", kind: fString, bit: billing.FieldSubscriptionID, off: unsafe.Offsetof(billing.UsageRow{}.SubscriptionID)},
	{name: "subscriptionName", kind: fString, bit: billing.FieldSubscriptionName, off: unsafe.Offsetof(billing.UsageRow{}.SubscriptionName)},
	{name: "meterId", kind: fString, bit: billing.FieldMeterID, off: unsafe.Offsetof(billing.UsageRow{}.MeterID)},
	{name: "meterCategory", kind: fString, bit: billing.FieldMeterCategory, off: unsafe.Offsetof(billing.UsageRow{}.MeterCategory)},
	{name: "meterSubCategory", kind: fString, bit: billing.FieldMeterSubcategory, off: unsafe.Offsetof(billing.UsageRow{}.MeterSubcategory)},
	{name: "meterName", kind: fString, bit: billing.FieldMeterName, off: unsafe.Offsetof(billing.UsageRow{}.MeterName)},
	{name: "meterRegion", kind: fString, bit: billing.FieldMeterRegion, off: unsafe.Offsetof(billing.UsageRow{}.MeterRegion)},
	{name: "unitOfMeasure", kind: fString, bit: billing.FieldUnitOfMeasure, off: unsafe.Offsetof(billing.UsageRow{}.UnitOfMeasure)},
	{name: "resourceGroup", kind: fString, bit: billing.FieldResourceGroup, off: unsafe.Offsetof(billing.UsageRow{}.ResourceGroup)},
	{name: "resourceLocation", kind: fString, bit: billing.FieldResourceLocation, off: unsafe.Offsetof(billing.UsageRow{}.ResourceLocation)},
	{name: "serviceName", kind: fString, bit: billing.FieldServiceName, off: unsafe.Offsetof(billing.UsageRow{}.ServiceName)},
	{name: "serviceTier", kind: fString, bit: billing.FieldServiceTier, off: unsafe.Offsetof(billing.UsageRow{}.ServiceTier)},
	{name: "product", kind: fString, bit: billing.FieldProduct, off: unsafe.Offsetof(billing.UsageRow{}.Product)},
	{name: "consumedService", kind: fString, bit: billing.FieldConsumedService, off: unsafe.Offsetof(billing.UsageRow{}.ConsumedService)},
}

// Field names are recognised without hashing them: the set is small and
// fixed, and no two names share their length, first and last letter, so
// those three (letters folded to lower case) index a table; the one
// candidate is then compared, folding ASCII case.
const fieldSlots = 128

var (
	fieldSlot            [fieldSlots]*field
	fieldMulA, fieldMulB uint
)

func init() {
	for i := range usageFieldTable {
		usageFieldTable[i].lower = strings.ToLower(usageFieldTable[i].name)
	}
	// Find multipliers that give every field a slot of its own.
	for a := uint(1); a < 64; a++ {
	next:
		for b := uint(1); b < 64; b++ {
			clear(fieldSlot[:])
			fieldMulA, fieldMulB = a, b
			for i := range usageFieldTable {
				f := &usageFieldTable[i]
				h := fieldHash(f.name)
				if fieldSlot[h] != nil {
					continue next
				}
				fieldSlot[h] = f
			}
			return
		}
	}
	panic("eaclient: no collision-free field table")
}

func fieldHash[S string | []byte](key S) uint {
	n := uint(len(key))
	return (n*fieldMulA + uint(key[0]|0x20)*fieldMulB + uint(key[n-1]|0x20)) % fieldSlots
}

// lookupField finds a field the way encoding/json does: an exact or a
// case-insensitive match (Unicode simple folding, as strings.EqualFold).
func lookupField(key []byte) *field {
	if n := len(key); n >= 4 && n <= 23 {
		if f := fieldSlot[fieldHash(key)]; f != nil && len(f.lower) == n {
			// Every name is letters only: c|0x20 matches a letter in
			// either case and nothing else.
			i := 0
			for i < n && key[i]|0x20 == f.lower[i] {
				i++
			}
			if i == n {
				return f
			}
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

// usageFields is what a row's fields decoded to before the cost rule
// (cost, else extendedCost) is applied.
type usageFields struct {
	cost, extendedCost       float64
	hasCost, hasExtendedCost bool
	// extendedCost is only the fallback for a row without cost, so a
	// plain number is not parsed until the row turns out to need it:
	// extStart:extEnd is where it lies in the buffer, valid until the
	// next row.
	extDeferred      bool
	extStart, extEnd int
}

func (s *usageScanner) resetRow() {
	s.row = billing.UsageRow{}
	s.w = usageFields{}
	s.arena = s.arena[:0]
	if len(s.tagVals) > 0 {
		clear(s.tagVals)
	}
	// s.tags is cleared by decodeTags, which alone points row.Tags at it.
}

// value decodes the value at pos (not white space) into field f.
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
			*(*string)(unsafe.Add(unsafe.Pointer(&s.row), f.off)) = s.text(raw, esc)
			return nil
		case 'n':
			return s.literal("null") // leaves the field as it was
		}
		if err := s.skipValue(); err != nil {
			return err
		}
		return fmt.Errorf("json: cannot unmarshal %s into Go struct field usageWire.%s of type string", kindOf(c), f.name)
	case fCost, fExtendedCost:
		if f.kind == fExtendedCost && (c == '-' || '0' <= c && c <= '9') {
			if err := s.number(); err != nil {
				return err
			}
			if deferrable(s.buf[start:s.pos]) {
				s.w.hasExtendedCost, s.w.extDeferred = true, true
				s.w.extStart, s.w.extEnd = start, s.pos
				return nil
			}
			s.pos = start
		}
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
		v, err := s.float(c, start)
		if err != nil {
			return err
		}
		if f.kind == fCost {
			s.w.cost, s.w.hasCost = v, true
		} else {
			s.w.extendedCost, s.w.hasExtendedCost, s.w.extDeferred = v, true, false
		}
		return nil
	case fQuantity:
		v, err := s.float(c, start)
		if err != nil {
			return err
		}
		s.row.Quantity = v
		return nil
	case fBool:
		if c == '"' {
			raw, esc, err := s.str()
			if err != nil {
				return err
			}
			if !esc && !s.high {
				if v, ok := asciiBool(bytes.TrimSpace(raw)); ok {
					s.row.ChargesBilledSeparately = v
					return nil
				}
			}
		} else if err := s.skipValue(); err != nil {
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
		if c == '"' {
			if ok, err := s.readTags(); ok || err != nil {
				return err
			}
			s.pos = start
		}
		if err := s.skipValue(); err != nil {
			return err
		}
		if err := s.decodeTags(s.buf[start:s.pos]); err != nil || !s.tagKeys {
			return err
		}
		for i, k := range s.want.TagKeys {
			s.tagVals[i] = s.row.Tags[k]
		}
		return nil
	}
	return s.skipValue()
}

// float64pow10 are the powers of ten a float64 holds exactly.
var float64pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactFloat parses a JSON number (valid grammar) whose digits, without
// the point, make an integer below 2^53 and whose power of ten is within
// ±22: both are exact float64s, so one multiplication or division gives
// the correctly rounded value, the one strconv.ParseFloat returns (it takes
// the same path, after a slower general scan). Costs with fifteen decimals
// and integer ids are of this kind. Other numbers of up to nineteen digits
// go through eiselLemire64, as in ParseFloat; false for the rest.
func exactFloat(num []byte) (float64, bool) {
	i, neg := 0, num[0] == '-'
	if neg {
		i = 1
	}
	intEnd := digits(num, i)
	fracStart, fracEnd := intEnd, intEnd
	if intEnd < len(num) && num[intEnd] == '.' {
		fracStart = intEnd + 1
		fracEnd = digits(num, fracStart)
	}
	if intEnd-i+fracEnd-fracStart > 19 {
		return 0, false // may not fit a uint64
	}
	var m uint64
	for _, c := range num[i:intEnd] {
		m = m*10 + uint64(c-'0')
	}
	for _, c := range num[fracStart:fracEnd] {
		m = m*10 + uint64(c-'0')
	}
	exp := fracStart - fracEnd
	if i = fracEnd; i < len(num) { // the exponent
		i++
		sign := 1
		switch num[i] {
		case '-':
			sign, i = -1, i+1
		case '+':
			i++
		}
		e := 0
		for ; i < len(num); i++ {
			if e = e*10 + int(num[i]-'0'); e > 1000 {
				return 0, false
			}
		}
		exp += sign * e
	}
	f := float64(m)
	switch {
	case m>>53 != 0:
		return eiselLemire64(m, exp, neg)
	case m == 0:
	case exp < 0 && exp >= -22:
		f /= float64pow10[-exp]
	case exp >= 0 && exp <= 22:
		f *= float64pow10[exp]
	default:
		return eiselLemire64(m, exp, neg)
	}
	if neg {
		f = -f
	}
	return f, true
}

// deferrable reports whether a JSON number (valid grammar) parses without
// error, so that parsing it can wait: no exponent and fewer than 300
// characters keep it below 1e300, far from overflowing a float64.
func deferrable(num []byte) bool {
	if len(num) >= 300 {
		return false
	}
	for _, c := range num {
		if c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

// asciiBool reads a flexBool string's words ("True", "false", "0", ...)
// in plain ASCII; false for anything else.
func asciiBool(b []byte) (v, ok bool) {
	if len(b) > 5 {
		return false, false
	}
	var low [5]byte
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	switch string(low[:len(b)]) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no", "", "null":
		return false, true
	}
	return false, false
}

// float reads a number the way flexFloat does, without allocating for a
// JSON number or a plain numeric string.
func (s *usageScanner) float(c byte, start int) (float64, error) {
	if c == '-' || '0' <= c && c <= '9' {
		if err := s.number(); err != nil {
			return 0, err
		}
		if v, ok := exactFloat(s.buf[start:s.pos]); ok {
			return v, nil
		}
		if v, err := strconv.ParseFloat(unsafeString(s.buf[start:s.pos]), 64); err == nil {
			return v, nil
		}
	} else if c == '"' {
		raw, esc, err := s.str()
		if err != nil {
			return 0, err
		}
		if !esc && !s.high {
			// What json.Unmarshal into a string gives, as is: trim it and
			// parse it as flexFloat does.
			t := bytes.TrimSpace(raw)
			if len(t) == 0 {
				return 0, nil
			}
			if v, err := strconv.ParseFloat(unsafeString(t), 64); err == nil {
				return v, nil
			}
		}
	} else if err := s.skipValue(); err != nil {
		return 0, err
	}
	var f flexFloat
	if err := f.UnmarshalJSON(s.buf[start:s.pos]); err != nil {
		return 0, err
	}
	return float64(f), nil
}

// text returns a string field's value: a view of the buffer when it needs
// no unescaping, else unescaped into the row's arena.
func (s *usageScanner) text(raw []byte, esc bool) string {
	if !esc && (!s.high || utf8.Valid(raw)) {
		return unsafeString(raw)
	}
	start := len(s.arena)
	s.arena, _ = appendUnquote(s.arena, raw) // validated by str
	return unsafeString(s.arena[start:len(s.arena):len(s.arena)])
}

func (s *usageScanner) finishRow() {
	switch {
	case s.w.hasCost:
		s.row.Cost = s.w.cost
	case s.w.hasExtendedCost:
		if s.w.extDeferred {
			// deferrable made sure that this cannot fail.
			s.w.extendedCost, _ = strconv.ParseFloat(unsafeString(s.buf[s.w.extStart:s.w.extEnd]), 64)
		}
		s.row.Cost = s.w.extendedCost
	}
	if s.tagKeys {
		s.row.TagValues = s.tagVals
	}
	if s.row.Tags != nil && len(s.row.Tags) == 0 {
		s.row.Tags = nil
	}
}

// decodeTags reads a tags value that readTags (the common form, in one
// pass) did not: escaped quotes inside keys or values are unescaped into the
// arena and parsed flat into the reused map; anything else goes through
// flexTags, the reference decoder's code, so that it decodes the same.
func (s *usageScanner) decodeTags(raw []byte) error {
	if len(s.tags) > 0 {
		clear(s.tags)
	}
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
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b) // {} is no tags
	}
	for {
		k, ok := plainString(b, &i)
		if !ok {
			return false
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		v, ok := plainString(b, &i)
		if !ok {
			return false
		}
		if s.tags == nil {
			s.tags = map[string]string{}
		}
		s.tags[k] = v
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			if skipSpace(b, i+1) != len(b) {
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
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// plainString reads a string without escapes or control characters, and
// of valid UTF-8, at b[*i]; false for anything else.
func plainString(b []byte, i *int) (string, bool) {
	if *i >= len(b) || b[*i] != '"' {
		return "", false
	}
	j := bytes.IndexByte(b[*i+1:], '"')
	if j < 0 {
		return "", false
	}
	v := b[*i+1 : *i+1+j]
	high := false
	for _, c := range v {
		if c < 0x20 || c == '\\' {
			return "", false
		}
		if c >= utf8.RuneSelf {
			high = true
		}
	}
	if high && !utf8.Valid(v) {
		return "", false
	}
	*i += j + 2
	return unsafeString(v), true
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
	if d > 28 && d > time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
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
