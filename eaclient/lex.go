package eaclient

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// lexer is the generic half of the usage scanner: a buffer it refills from
// a reader, and JSON lexing on it (white space, strings, numbers, literals,
// skipping whole values), validating the grammar exactly as encoding/json
// does. It knows nothing of usage rows (usage_fields.go) or of the page
// envelope (usage_scan.go).
//
// Parsing is done in restartable units: a unit starts at mark, and a
// function that runs out of buffer inside it returns errMore; the caller
// then rewinds to mark, reads more, and parses the unit again whole.
type lexer struct {
	r    io.Reader
	buf  []byte
	pos  int // next byte to read
	end  int // end of valid data
	mark int // start of the unit being parsed; kept across refills
	eof  bool
	// max bounds the buffer: a single unit larger than this is an error.
	max int
	// high: the last string scanned by str has bytes >= 0x80.
	high bool
	// spec and hi classify buf[:end], a bit a byte (classify.go): the
	// bytes that can stop a string, and those of 0x80 and above.
	spec, hi []uint64
}

// errMore means the buffer ended inside the unit being parsed.
var errMore = errors.New("need more input")

// scanBufSize is the initial buffer; a var so that tests can force refills.
var scanBufSize = 256 << 10

// readChunk is how much fill reads before parsing resumes.
const readChunk = 64 << 10

func (l *lexer) reset(r io.Reader, max int) {
	if len(l.buf) != scanBufSize {
		l.buf = make([]byte, scanBufSize)
	}
	*l = lexer{r: r, buf: l.buf, max: max, spec: l.spec[:0], hi: l.hi[:0]}
}

// fill reads more input, keeping the bytes from mark on, and classifies
// what it did not classify before.
func (l *lexer) fill() error {
	if l.eof {
		return io.ErrUnexpectedEOF
	}
	from := l.end &^ 63 // the block the new bytes start in
	if l.mark > 0 {
		from = 0 // the bytes move: classify them again
	}
	err := l.read()
	l.classify(from)
	return err
}

// read is fill's reading.
func (l *lexer) read() error {
	if l.mark > 0 {
		n := copy(l.buf, l.buf[l.mark:l.end])
		l.pos -= l.mark
		l.end = n
		l.mark = 0
	}
	if l.end == len(l.buf) {
		if len(l.buf) >= l.max {
			return fmt.Errorf("a single JSON value is larger than %d bytes", l.max)
		}
		nb := make([]byte, min(2*len(l.buf), l.max))
		copy(nb, l.buf[:l.end])
		l.buf = nb
	}
	// Read a good amount before parsing resumes: the unit being parsed is
	// parsed again from its start after every fill, so a reader that hands
	// out a few bytes at a time must not make that quadratic.
	want := min(readChunk, len(l.buf)-l.end)
	got, empty := 0, 0
	for got < want {
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		got += n
		if n == 0 && err == nil {
			if empty++; empty > 100 {
				return io.ErrNoProgress
			}
		}
		if err == io.EOF {
			l.eof = true
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

// rewind goes back to the start of the unit being parsed and reads more,
// so that it can be parsed again whole.
func (l *lexer) rewind() error {
	l.pos = l.mark
	if err := l.fill(); err != nil {
		if err == io.ErrUnexpectedEOF {
			return fmt.Errorf("truncated JSON body: %w", err)
		}
		return err
	}
	return nil
}

// unit runs parse, refilling and re-running it from the start while the
// buffer ends inside it.
func (l *lexer) unit(parse func() error) error {
	for {
		l.mark = l.pos
		err := parse()
		if err != errMore {
			return err
		}
		if err := l.rewind(); err != nil {
			return err
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// ws skips white space and returns the next byte; the fast path is no
// white space at all. It is over the compiler's inlining budget, so the
// row loop (rowObject), where it runs for every value, has it by hand.
func (l *lexer) ws() (byte, error) {
	if l.pos < l.end {
		if c := l.buf[l.pos]; c > ' ' {
			return c, nil
		}
	}
	return l.wsSlow()
}

const spaces = ' ' * lsb

func (l *lexer) wsSlow() (byte, error) {
	buf := l.buf[:l.end]
	i := l.pos
	for {
		// Indentation comes in runs: eight spaces at a time.
		for i+8 <= len(buf) && binary.LittleEndian.Uint64(buf[i:]) == spaces {
			i += 8
		}
		if i >= len(buf) {
			l.pos = i
			return 0, errMore
		}
		c := buf[i]
		if !isSpace(c) {
			l.pos = i
			return c, nil
		}
		i++
	}
}

func syntaxErr(what string, c byte) error {
	return fmt.Errorf("invalid character %q %s", c, what)
}

func (l *lexer) expect(want byte, what string) error {
	c, err := l.ws()
	if err != nil {
		return err
	}
	if c != want {
		return syntaxErr(what, c)
	}
	l.pos++
	return nil
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

// SWAR constants: a byte repeated over a word.
const (
	lsb    = 0x0101010101010101
	msb    = 0x8080808080808080
	quotes = '"' * lsb
	backs  = '\\' * lsb
)

// str scans a string from its opening quote and returns its raw contents,
// validating escapes and rejecting control characters as encoding/json
// does; l.high reports bytes of 0x80 and above (UTF-8 to validate). The
// masks (classify.go) take it from stop to stop: the closing quote, or an
// escape to validate.
func (l *lexer) str() (raw []byte, escaped bool, err error) {
	i := l.pos + 1
	for {
		j := l.nextSpecial(i)
		if j < 0 {
			return nil, false, errMore
		}
		switch c := l.buf[j]; {
		case c == '"':
			raw = l.buf[l.pos+1 : j]
			l.high = l.highIn(l.pos+1, j)
			l.pos = j + 1
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if i, err = escapeEnd(l.buf[:l.end], j); err != nil {
				return nil, false, err
			}
		default:
			return nil, false, syntaxErr("in string literal", c)
		}
	}
}

// escapeEnd validates the escape at buf[j] (a backslash) and returns the
// index after it.
func escapeEnd(buf []byte, j int) (int, error) {
	if j+1 >= len(buf) {
		return 0, errMore
	}
	switch buf[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return j + 2, nil
	case 'u':
		if j+6 > len(buf) {
			return 0, errMore
		}
		for _, h := range buf[j+2 : j+6] {
			if !isHex(h) {
				return 0, syntaxErr("in \\u hexadecimal character escape", h)
			}
		}
		return j + 6, nil
	}
	return 0, syntaxErr("in string escape code", buf[j+1])
}

// skipString scans past a string from its opening quote, validating it,
// when nothing needs its contents: str without the UTF-8 bookkeeping.
func (l *lexer) skipString() error {
	i := l.pos + 1
	for {
		j := l.nextSpecial(i)
		if j < 0 {
			return errMore
		}
		switch c := l.buf[j]; {
		case c == '"':
			l.pos = j + 1
			return nil
		case c == '\\':
			var err error
			if i, err = escapeEnd(l.buf[:l.end], j); err != nil {
				return err
			}
		default:
			return syntaxErr("in string literal", c)
		}
	}
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func (l *lexer) literal(lit string) error {
	if l.end-l.pos < len(lit) {
		if string(l.buf[l.pos:l.end]) != lit[:l.end-l.pos] {
			return syntaxErr("in literal "+lit+" (expecting '"+lit[l.end-l.pos:l.end-l.pos+1]+"')", l.buf[l.end-1])
		}
		return errMore
	}
	if string(l.buf[l.pos:l.pos+len(lit)]) != lit {
		for k := 0; k < len(lit); k++ {
			if l.buf[l.pos+k] != lit[k] {
				return syntaxErr("in literal "+lit, l.buf[l.pos+k])
			}
		}
	}
	l.pos += len(lit)
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits returns the index of the first byte at or after i that is not a
// decimal digit: eight bytes a word test while eight are left. A byte is
// flagged when its top bit is set, when adding 0x46 sets it (above '9') or
// when subtracting '0' borrows (below '0'); below the lowest flagged byte
// every byte is a digit, which neither carries nor borrows, so that one is
// exact.
func digits(b []byte, i int) int {
	for i+8 <= len(b) {
		v := binary.LittleEndian.Uint64(b[i:])
		if nd := (v | (v + 0x4646464646464646) | (v - 0x3030303030303030)) & msb; nd != 0 {
			return i + int(uint(bits.TrailingZeros64(nd))>>3)
		}
		i += 8
	}
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// number scans a JSON number, validating its grammar.
func (l *lexer) number() error {
	b := l.buf[:l.end]
	i := l.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return errMore
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i = digits(b, i+1)
	default:
		return syntaxErr("in numeric literal", c)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) {
			return errMore
		}
		if !isDigit(b[i]) {
			return syntaxErr("after decimal point in numeric literal", b[i])
		}
		i = digits(b, i+1)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) {
			return errMore
		}
		if !isDigit(b[i]) {
			return syntaxErr("in exponent of numeric literal", b[i])
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i >= len(b) {
		return errMore // the number may go on
	}
	l.pos = i
	return nil
}

// skipValue scans any JSON value, validating it.
func (l *lexer) skipValue() error {
	c, err := l.ws()
	if err != nil {
		return err
	}
	if c == '{' || c == '[' {
		return l.skipContainer()
	}
	return l.skipScalar(c)
}

// skipContainer scans an object or array from its opening delimiter,
// validating it, with an explicit stack so that deep nesting cannot
// overflow the goroutine stack.
func (l *lexer) skipContainer() error {
	var arr [32]byte
	stack := append(arr[:0], l.buf[l.pos])
	l.pos++
	first, after := true, false
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		closer := byte('}')
		if top == '[' {
			closer = ']'
		}
		c, err := l.ws()
		if err != nil {
			return err
		}
		if (first || after) && c == closer {
			l.pos++
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
			l.pos++
			if c, err = l.ws(); err != nil {
				return err
			}
		}
		if top == '{' {
			if c != '"' {
				return syntaxErr("looking for beginning of object key string", c)
			}
			if err := l.skipString(); err != nil {
				return err
			}
			if err := l.expect(':', "after object key"); err != nil {
				return err
			}
			if c, err = l.ws(); err != nil {
				return err
			}
		}
		if c == '{' || c == '[' {
			if len(stack) >= 10000 {
				return errors.New("exceeded max depth")
			}
			stack = append(stack, c)
			l.pos++
			first, after = true, false
			continue
		}
		if err := l.skipScalar(c); err != nil {
			return err
		}
		first, after = false, true
	}
	return nil
}

func (l *lexer) skipScalar(c byte) error {
	switch {
	case c == '"':
		return l.skipString()
	case c == 't':
		return l.literal("true")
	case c == 'f':
		return l.literal("false")
	case c == 'n':
		return l.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return l.number()
	}
	return syntaxErr("looking for beginning of value", c)
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func hasHigh(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&msb != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// foldEq reports whether b equals s under Unicode simple folding, as
// strings.EqualFold (and so encoding/json's field matching) does.
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

// unquote decodes a JSON string's raw contents exactly as encoding/json
// does: escapes, surrogate pairs (a lone surrogate becomes U+FFFD) and
// invalid UTF-8 (each bad byte becomes U+FFFD).
func unquote(s []byte) ([]byte, error) { return appendUnquote(nil, s) }

// appendUnquote is unquote appending to b. Runs of plain ASCII are copied
// whole.
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
			// Copy up to the next backslash or non-ASCII byte at once.
			n := r + 1
			for n < len(s) && s[n] != '\\' && s[n] < utf8.RuneSelf {
				n++
			}
			b = append(b, s[r:n]...)
			r = n
		default:
			rr, size := utf8.DecodeRune(s[r:])
			if rr == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, rr)
			} else {
				b = append(b, s[r:r+size]...)
			}
			r += size
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
