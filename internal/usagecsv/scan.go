package usagecsv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"unsafe"
)

// The CSV half of the reader: a buffer refilled from an io.Reader, and a
// record scanner on it that splits records exactly as encoding/csv does
// (Comma ',', no comment character, LazyQuotes false, TrimLeadingSpace
// false, any number of fields per record):
//
//   - a record ends at '\n' outside quotes; "\r\n" is a line end too, and a
//     '\r' just before the end of input is dropped;
//   - empty lines are skipped;
//   - a field that starts with '"' is quoted: it ends at the next '"' that
//     is not doubled, which a ',' or a line end must follow; inside it ""
//     stands for ", and "\r\n" for "\n";
//   - a '"' anywhere else in a field is an error (ErrBareQuote), as is
//     anything but a ',' or a line end after a closing quote, or the input
//     ending inside quotes (ErrQuote).
//
// The scanner finds a record's field boundaries first, without changing the
// buffer, so that a record the buffer cut short can be scanned again whole
// after a refill. Only then are the fields that are read unescaped, in
// place (the unescaped text is never longer), and handed out as strings
// that alias the buffer: no copy and no allocation per field.

// span is one field of the current record: buf[s:e] is its text (the
// contents of a quoted field, without the quotes).
type span struct {
	s, e  int32
	flags uint8
}

const (
	fQuoted uint8 = 1 << iota // quoted: "" inside to unescape before use
	fNL                       // quoted, with a newline inside: "\r\n" to "\n"
	fFixed                    // unescaped in place already
)

var (
	errMore = errors.New("need more input") // the buffer ended inside the record
	// ErrQuote is a quoted field that is not closed, or a closing quote
	// followed by something other than a comma or a line end.
	ErrQuote = errors.New(`extraneous or missing " in quoted-field`)
	// ErrBareQuote is a quote inside an unquoted field.
	ErrBareQuote = errors.New(`bare " in non-quoted-field`)
	// ErrRecordTooLarge is a single record larger than Options.MaxRecordBytes.
	ErrRecordTooLarge = errors.New("record larger than the limit")
	errTooManyFields  = errors.New("too many fields in a record")
)

// maxFields bounds the fields of a record before the header is known (the
// header's count bounds them after): a record of commas must not make the
// field table grow with the buffer.
const maxFields = 4096

// readChunk is how much fill reads, at least, before scanning resumes: a
// record the buffer cut short is scanned again from its start after every
// fill, so a reader that hands out a few bytes at a time must not make that
// quadratic.
const readChunk = 64 << 10

type scanner struct {
	r      io.Reader
	buf    []byte
	pos    int // start of the next record
	end    int // end of valid data in buf
	eof    bool
	rerr   error // a read error, returned once the data before it is used
	max    int   // the largest a buffer may grow for one record
	nread  int64
	fields []span
	limit  int // fields per record allowed (maxFields, or the header's count)

	line    int // lines consumed (ended) so far
	recLine int // the line the current record starts on (1-based)

	ix index // the fast path's index (index.go)
}

func (s *scanner) reset(r io.Reader, size, max int) {
	if len(s.buf) != size {
		s.buf = make([]byte, size)
	}
	*s = scanner{r: r, buf: s.buf, max: max, fields: s.fields[:0], limit: maxFields,
		ix: index{delims: s.ix.delims[:0], nls: s.ix.nls[:0]}}
	s.resetIndex()
}

// fill reads more input, keeping the bytes from pos (the record being
// scanned) on: they move to the front of the buffer, which grows, up to
// max, only when they fill it.
func (s *scanner) fill() error {
	if s.rerr != nil {
		return s.rerr
	}
	if s.eof {
		return io.ErrUnexpectedEOF // not reached: the scanner handles the end
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= s.max {
			return ErrRecordTooLarge
		}
		nb := make([]byte, min(2*len(s.buf), s.max))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	want := min(readChunk, len(s.buf)-s.end)
	got, empty := 0, 0
	for got < want {
		n, err := s.r.Read(s.buf[s.end:])
		if n < 0 || n > len(s.buf)-s.end {
			return errors.New("usagecsv: invalid count from Read")
		}
		s.end += n
		got += n
		s.nread += int64(n)
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			s.rerr = err
			if got > 0 {
				return nil // use what came first
			}
			return err
		}
		if n == 0 {
			if empty++; empty > 100 {
				s.rerr = io.ErrNoProgress
				return s.rerr
			}
		}
	}
	return nil
}

// next scans the next record into s.fields, reading as needed: on the
// fast path (index.go), or with the exact scanner for what that hands over.
// It returns io.EOF at the end of the input.
func (s *scanner) next() error {
	for {
		err := s.fast()
		if err == errSlow {
			err = s.scan(s.end, s.eof)
			if err == nil || err == io.EOF {
				s.resetIndex()
				return err
			}
		}
		if err != errMore {
			return err
		}
		if err := s.fill(); err != nil {
			return err
		}
		s.resetIndex()
	}
}

// SWAR constants: a byte repeated over a word.
const (
	lsb    = 0x0101010101010101
	msb    = 0x8080808080808080
	commas = ',' * lsb
	nls    = '\n' * lsb
	quotes = '"' * lsb
)

// stops flags, in each byte's top bit, the bytes of v that are a comma, a
// newline or a quote. The lowest flagged byte is always a real match
// (borrows only carry upwards), so its index is exact.
func stops(v uint64) uint64 {
	a, b, c := v^commas, v^nls, v^quotes
	return (((a - lsb) &^ a) | ((b - lsb) &^ b) | ((c - lsb) &^ c)) & msb
}

// scan splits the record at pos in buf[:end]; atEOF says that no more
// input follows end. It returns errMore when the record may go on past end
// (pos and the line count then stand at the record's start, after any empty
// lines skipped), io.EOF when only empty lines remained, or a syntax error.
func (s *scanner) scan(end int, atEOF bool) error {
	buf := s.buf[:end]
	i := s.pos
	// Empty lines.
	for {
		if i >= len(buf) {
			s.pos = i
			if atEOF {
				return io.EOF
			}
			return errMore
		}
		c := buf[i]
		if c == '\n' {
			i++
			s.line++
			continue
		}
		if c == '\r' {
			if i+1 < len(buf) {
				if buf[i+1] == '\n' {
					i += 2
					s.line++
					continue
				}
				break
			}
			if atEOF {
				i++ // a '\r' at the very end is dropped
				continue
			}
			s.pos = i
			return errMore
		}
		break
	}
	s.pos = i
	s.recLine = s.line + 1
	fields := s.fields[:0]
	nl := 0 // newlines inside quoted fields
	for {
		if len(fields) >= s.limit {
			s.fields = fields
			return errTooManyFields
		}
		if i < len(buf) && buf[i] == '"' {
			// Quoted field.
			j := i + 1
			flags := fQuoted
			for {
				k := bytes.IndexByte(buf[j:], '"')
				if k < 0 {
					if atEOF {
						s.fields = fields
						return ErrQuote
					}
					return errMore
				}
				j += k
				if j+1 < len(buf) && buf[j+1] == '"' {
					j += 2
					continue
				}
				break
			}
			if n := bytes.Count(buf[i+1:j], nlByte); n > 0 {
				flags |= fNL
				nl += n
			}
			fields = append(fields, span{int32(i + 1), int32(j), flags})
			// After the closing quote: a comma, a line end, or the end.
			k := j + 1
			if k >= len(buf) {
				if !atEOF {
					return errMore
				}
				s.pos = k
				break
			}
			switch buf[k] {
			case ',':
				i = k + 1
				if i >= len(buf) && !atEOF {
					return errMore
				}
				continue
			case '\n':
				s.pos = k + 1
			case '\r':
				if k+1 < len(buf) {
					if buf[k+1] != '\n' {
						s.fields = fields
						return ErrQuote
					}
					s.pos = k + 2
				} else {
					if !atEOF {
						return errMore
					}
					s.pos = k + 1
				}
			default:
				s.fields = fields
				return ErrQuote
			}
			break
		}
		// Unquoted field: up to the next comma, newline or quote, eight
		// bytes a test.
		j := i
		for j+8 <= len(buf) {
			if m := stops(binary.LittleEndian.Uint64(buf[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				goto found
			}
			j += 8
		}
		for ; j < len(buf); j++ {
			if c := buf[j]; c == ',' || c == '\n' || c == '"' {
				goto found
			}
		}
		// The end of the data.
		if !atEOF {
			return errMore
		}
		{
			e := j
			if e > i && buf[e-1] == '\r' {
				e--
			}
			fields = append(fields, span{int32(i), int32(e), 0})
			s.pos = j
			break
		}
	found:
		switch buf[j] {
		case ',':
			fields = append(fields, span{int32(i), int32(j), 0})
			i = j + 1
			if i >= len(buf) && !atEOF {
				return errMore
			}
			continue
		case '\n':
			e := j
			if e > i && buf[e-1] == '\r' {
				e--
			}
			fields = append(fields, span{int32(i), int32(e), 0})
			s.pos = j + 1
		default: // '"'
			s.fields = fields
			return ErrBareQuote
		}
		break
	}
	s.fields = fields
	s.line += 1 + nl
	return nil
}

var nlByte = []byte{'\n'}

// field returns field k of the current record, unescaping it in place the
// first time. The string aliases the buffer: it is valid until the next
// record is scanned.
func (s *scanner) field(k int) string {
	f := &s.fields[k]
	if f.flags&(fQuoted|fFixed) == fQuoted {
		s.unquote(f)
	}
	return unsafeString(s.buf[f.s:f.e])
}

// unquote unescapes a quoted field in place: "" to ", and (when it has
// newlines) "\r\n" to "\n".
func (s *scanner) unquote(f *span) {
	f.flags |= fFixed
	b := s.buf[f.s:f.e]
	w := 0
	if f.flags&fNL == 0 {
		k := bytes.IndexByte(b, '"')
		if k < 0 {
			return
		}
		// Only "" pairs: copy the runs between them.
		w = k + 1
		for r := k + 2; r < len(b); {
			k := bytes.IndexByte(b[r:], '"')
			if k < 0 {
				w += copy(b[w:], b[r:])
				break
			}
			w += copy(b[w:], b[r:r+k+1])
			r += k + 2
		}
	} else {
		for r := 0; r < len(b); r++ {
			c := b[r]
			if c == '"' {
				r++ // the pair's second quote
			} else if c == '\r' && r+1 < len(b) && b[r+1] == '\n' {
				continue
			}
			b[w] = c
			w++
		}
	}
	f.e = f.s + int32(w)
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
