package simulator

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// A tiny append-only JSON writer: the simulator serves gigabytes of usage
// rows in benchmarks, so rows are written straight into a buffer rather than
// through encoding/json and reflection.

type jw struct{ b []byte }

func (w *jw) raw(s string) { w.b = append(w.b, s...) }

// key writes `"name":` preceded by a comma unless it opens an object.
func (w *jw) key(name string) {
	if n := len(w.b); n > 0 && w.b[n-1] != '{' && w.b[n-1] != '[' && w.b[n-1] != ',' {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
}

func (w *jw) str(name, v string) { w.key(name); w.b = appendString(w.b, v) }

func (w *jw) num(name string, v float64) {
	w.key(name)
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
}

func (w *jw) int(name string, v int64) { w.key(name); w.b = strconv.AppendInt(w.b, v, 10) }

func (w *jw) bool(name string, v bool) { w.key(name); w.b = strconv.AppendBool(w.b, v) }

func (w *jw) time(name string, t time.Time, layout string) {
	w.key(name)
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, layout)
	w.b = append(w.b, '"')
}

func (w *jw) open()  { w.sep(); w.b = append(w.b, '{') }
func (w *jw) close() { w.b = append(w.b, '}') }

// sep writes the comma between array elements.
func (w *jw) sep() {
	if n := len(w.b); n > 0 && w.b[n-1] == '}' {
		w.b = append(w.b, ',')
	}
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
