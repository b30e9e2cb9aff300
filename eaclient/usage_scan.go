package eaclient

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// The usage-details report is the one that is big: millions of rows of
// about 1.4 KB each, downloaded again whenever the current month's ETag
// moves. decodeUsagePageReference reads it with encoding/json into structs;
// this scanner reads the same pages many times faster and with next to no
// allocation, by
//
//   - scanning the bytes once, in a buffer it refills, and validating the
//     JSON grammar as it goes (so that it accepts exactly what
//     encoding/json accepts): lex.go;
//   - decoding only the fields the consumer reads (billing.UsageWant: a
//     label layout reads a handful of a row's forty-odd fields and a few
//     of its tags) and skipping the rest, recognising field names without
//     hashing them: usage_fields.go; tags are read in one pass over the
//     escaped JSON, only the wanted ones and without a map for a label
//     layout: usage_tags.go;
//   - finding the ends of strings through bit masks of the whole buffer,
//     classified once per read (SSE2 on amd64): classify.go;
//   - predicting each row's keys from the row before: the rows of a page
//     share their keys and layout, so the bytes from the end of one value
//     to the start of the next (`,"meterName":` or `,\n    "meterName": `)
//     are compared whole with the same stretch of the previous row, and
//     only scanned and looked up when they differ;
//   - handing out strings that point into its buffer instead of copying
//     them (valid only during the callback: a consumer that keeps one
//     clones it); strings with escapes are unescaped into a per-row arena;
//   - parsing the common forms of numbers, dates and tags on fast paths and
//     falling back to the reference decoder's own code for anything else,
//     so that every quirk decodes to the same value;
//   - reusing scanners (buffer, arena, tags map, predicted keys) from page
//     to page.
//
// The differential tests and fuzzers in usage_scan_test.go hold it to the
// reference decoder's results on every dataset and fuzz input.

type usageScanner struct {
	lexer

	arena []byte // unescaped strings of the current row
	tags  map[string]string
	row   billing.UsageRow
	w     usageFields
	first bool // at the first element of the data array
	done  bool // the data array ended

	// keys predicts a row's keys: keys[i] is the i-th separator of the
	// previous row, from the end of a value (or the row's '{') to the
	// start of the next value, and the field its key named (nil when the
	// consumer does not want it). keysFor is the want they were made for.
	keys    []keySlot
	keysFor billing.UsageField

	// want is what of a row the consumer reads. Fields it does not want
	// are skipped like unknown ones; with TagKeys (tagKeys), only those
	// tags are kept, in tagVals, and no tags map is built.
	want    billing.UsageWant
	fields  billing.UsageField // want.Fields, every field for zero
	tagKeys bool
	tagVals []string
}

type keySlot struct {
	sep []byte
	f   *field
	// A separator of up to 32 bytes (nearly all, indented pages' too) is
	// also held as four little-endian words and masks of its bytes, and
	// compared with four loads and no branch instead of a call to memequal.
	short bool
	w, m  [4]uint64
}

var scannerPool = sync.Pool{New: func() any { return new(usageScanner) }}

// newUsageScanner returns a scanner reading r, from a pool: page returns
// it there when it is done, so it must not be used after page.
func newUsageScanner(r io.Reader, maxRow int, want billing.UsageWant) *usageScanner {
	s := scannerPool.Get().(*usageScanner)
	s.lexer.reset(r, maxRow)
	s.want = want
	s.fields = want.Fields
	if s.fields == 0 {
		s.fields = billing.AllUsageFields
	}
	s.tagKeys = s.fields&billing.FieldTags == 0 && len(want.TagKeys) > 0
	if s.tagKeys {
		// Tags are decoded, into tagVals instead of a map.
		s.fields |= billing.FieldTags
		s.tagVals = make([]string, len(want.TagKeys))
	}
	if s.keysFor != s.fields {
		// The predicted keys point at the fields the last want wanted.
		s.keys, s.keysFor = s.keys[:0], s.fields
	}
	return s
}

// wanted returns f, or nil when the consumer does not read it.
func (s *usageScanner) wanted(f *field) *field {
	if f == nil || f.bit&s.fields == 0 {
		return nil
	}
	return f
}

func (s *usageScanner) release() {
	s.r = nil
	s.row = billing.UsageRow{}
	s.want, s.tagVals = billing.UsageWant{}, nil
	// A caller that kept a row past its callback (which it must not) keeps
	// the tags map too: the next page makes its own (one allocation a page).
	s.tags = nil
	if len(s.buf) > scanBufSize || cap(s.arena) > 1<<20 {
		return // grown for an outsized row: let it go
	}
	scannerPool.Put(s)
}

// DecodeUsagePage decodes one usage-details page ({id, data, nextLink}, in
// any key order) from r, calling fn with each row, and returns the page's
// nextLink. The row, and every string in it, is valid only until fn
// returns. It decodes exactly what encoding/json would, to the same values.
func DecodeUsagePage(r io.Reader, fn func(*billing.UsageRow) error) (next string, err error) {
	return newUsageScanner(r, DefaultMaxPageBytes, billing.UsageWant{}).page(fn)
}

// DecodeUsagePageFor is DecodeUsagePage for a consumer that reads only
// what want names: the fields it does not want are skipped (and left
// zero), and with want.TagKeys only those tags are kept, in the row's
// TagValues.
func DecodeUsagePageFor(r io.Reader, want billing.UsageWant, fn func(*billing.UsageRow) error) (next string, err error) {
	return newUsageScanner(r, DefaultMaxPageBytes, want).page(fn)
}

// page parses the envelope, then releases the scanner. Each key/value pair
// of the envelope, and each row of data, is one restartable unit.
func (s *usageScanner) page(fn func(*billing.UsageRow) error) (string, error) {
	defer s.release()
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
			if err := s.unit(func() (err error) { next, err = s.nextLink(); return err }); err != nil {
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

// nextLink decodes the envelope's nextLink as a *string.
func (s *usageScanner) nextLink() (string, error) {
	c, err := s.ws()
	if err != nil {
		return "", err
	}
	switch c {
	case 'n':
		// A *string set to nil: no link.
		return "", s.literal("null")
	case '"':
		raw, esc, err := s.str()
		if err != nil {
			return "", err
		}
		v := raw
		if esc || s.high {
			if v, err = unquote(raw); err != nil {
				return "", err
			}
		}
		return string(v), nil
	}
	start := s.pos
	if err := s.skipValue(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("json: cannot unmarshal %s into Go value of type string", kindOf(s.buf[start]))
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

// rowObject parses one row from its '{'.
func (s *usageScanner) rowObject() error {
	s.resetRow()
	for k := 0; ; k++ {
		// The separator before the k-th value: as predicted, or scanned.
		sepStart := s.pos
		var f *field
		if k < len(s.keys) {
			slot := &s.keys[k]
			if p := s.pos; slot.short && p+32 <= s.end {
				b := s.buf[p : p+32 : p+32]
				if (binary.LittleEndian.Uint64(b)^slot.w[0])&slot.m[0]|
					(binary.LittleEndian.Uint64(b[8:])^slot.w[1])&slot.m[1]|
					(binary.LittleEndian.Uint64(b[16:])^slot.w[2])&slot.m[2]|
					(binary.LittleEndian.Uint64(b[24:])^slot.w[3])&slot.m[3] == 0 {
					s.pos = p + len(slot.sep)
					f = slot.f
					goto value
				}
			} else if n := p + len(slot.sep); n <= s.end && string(s.buf[p:n]) == string(slot.sep) {
				s.pos = n
				f = slot.f
				goto value
			}
		}
		{
			end, key, err := s.separator(k == 0)
			if err != nil || end {
				return err
			}
			f = s.wanted(lookupField(key))
			s.predict(k, s.buf[sepStart:s.pos], f)
		}
	value:
		// s.ws(), inlined: the predicted separator takes in the white
		// space before the value, so it is nearly always the fast path.
		var c byte
		if p := s.pos; p < s.end && s.buf[p] > ' ' {
			c = s.buf[p]
		} else {
			var err error
			if c, err = s.wsSlow(); err != nil {
				return err
			}
		}
		switch {
		case f != nil:
			if err := s.value(f); err != nil {
				return err
			}
		case c == '"':
			if err := s.skipString(); err != nil {
				return err
			}
		case c == '-' || '0' <= c && c <= '9':
			if err := s.number(); err != nil {
				return err
			}
		default:
			if err := s.skipValue(); err != nil {
				return err
			}
		}
	}
}

// separator scans what comes before a row's next value: '{' (first) or
// ',', the key and ':'. end reports the end of the row instead.
func (s *usageScanner) separator(first bool) (end bool, key []byte, err error) {
	var c byte
	if first {
		s.pos++ // '{'
		if c, err = s.ws(); err != nil {
			return false, nil, err
		}
		if c == '}' {
			s.pos++
			return true, nil, nil
		}
	} else {
		if c, err = s.ws(); err != nil {
			return false, nil, err
		}
		s.pos++
		switch c {
		case '}':
			return true, nil, nil
		case ',':
		default:
			return false, nil, syntaxErr("after object key:value pair", c)
		}
		if c, err = s.ws(); err != nil {
			return false, nil, err
		}
	}
	if c != '"' {
		return false, nil, syntaxErr("looking for beginning of object key string", c)
	}
	raw, esc, err := s.str()
	if err != nil {
		return false, nil, err
	}
	key = raw
	if esc {
		if key, err = unquote(raw); err != nil {
			return false, nil, err
		}
	}
	if err := s.expect(':', "after object key"); err != nil {
		return false, nil, err
	}
	if _, err := s.ws(); err != nil {
		return false, nil, err
	}
	return false, key, nil
}

// predict records the k-th separator of this row for the next.
func (s *usageScanner) predict(k int, sep []byte, f *field) {
	if k > len(s.keys) || len(sep) > 256 {
		return
	}
	if k == len(s.keys) {
		s.keys = append(s.keys, keySlot{})
	}
	slot := &s.keys[k]
	slot.sep = append(slot.sep[:0], sep...)
	slot.f = f
	slot.short = len(sep) <= 32
	if slot.short {
		var pad [32]byte
		copy(pad[:], sep)
		for i := range slot.w {
			slot.w[i] = binary.LittleEndian.Uint64(pad[8*i:])
			n := min(max(len(sep)-8*i, 0), 8) // bytes of sep in word i
			slot.m[i] = uint64(1)<<(8*n) - 1
			if n == 8 {
				slot.m[i] = ^uint64(0)
			}
		}
	}
}
