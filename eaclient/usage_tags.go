package eaclient

import (
	"unicode/utf8"
)

// wantedTags reads a tags value of the common form, JSON inside a JSON
// string ("{  \"CostCenter\": \"1000052\",  \"env\": \"prod\"}"), when the
// consumer wants only some tag keys (UsageWant.TagKeys). It walks the raw
// bytes once, validating the outer string as it goes, and keeps only the
// wanted keys' values in s.tagVals: no map, no copy of the tags that no
// label reads. The tags are a fifth of a real row's bytes and most of its
// escapes, and reading them through decodeTags scanned them twice and
// built a map of every tag.
//
// It accepts only what it is sure decodes, through flexTags, to the same
// values: keys and values that are plain UTF-8 with no escapes but the
// quotes around them and \uXXXX that stand for neither a quote, a
// backslash nor a control character, and spaces between the tokens.
// Anything else is ok=false with nothing kept, and the caller reads the
// value the general way. errMore means the buffer ended inside it.
func (s *usageScanner) wantedTags() (ok bool, err error) {
	buf := s.buf[:s.end]
	i := rawSpaces(buf, s.pos+1) // after the outer string's opening quote
	if i >= len(buf) {
		return false, errMore
	}
	if buf[i] != '{' {
		return false, nil
	}
	i = rawSpaces(buf, i+1)
	if i >= len(buf) {
		return false, errMore
	}
	if buf[i] != '}' {
		for {
			key, keyEsc, next, st := innerString(&s.lexer, i)
			if st != innerOK {
				return s.tagsAbandoned(st)
			}
			i = rawSpaces(buf, next)
			if i >= len(buf) {
				return s.tagsAbandoned(innerMore)
			}
			if buf[i] != ':' {
				return s.tagsAbandoned(innerNo)
			}
			val, valEsc, next, st := innerString(&s.lexer, rawSpaces(buf, i+1))
			if st != innerOK {
				return s.tagsAbandoned(st)
			}
			if !s.keepTag(key, keyEsc, val, valEsc) {
				return s.tagsAbandoned(innerNo)
			}
			i = rawSpaces(buf, next)
			if i >= len(buf) {
				return s.tagsAbandoned(innerMore)
			}
			if buf[i] == '}' {
				break
			}
			if buf[i] != ',' {
				return s.tagsAbandoned(innerNo)
			}
			i = rawSpaces(buf, i+1)
		}
	}
	// The inner object's '}': only spaces, then the outer closing quote.
	i = rawSpaces(buf, i+1)
	if i >= len(buf) {
		return s.tagsAbandoned(innerMore)
	}
	if buf[i] != '"' {
		return s.tagsAbandoned(innerNo)
	}
	s.pos = i + 1
	return true, nil
}

// keepTag stores val if key is wanted (the last of duplicate keys wins, as
// in encoding/json's map). false: the pair is not of the sure form.
func (s *usageScanner) keepTag(key []byte, keyEsc bool, val []byte, valEsc bool) bool {
	if hasHigh(key) && !utf8.Valid(key) {
		return false // encoding/json would replace the bad bytes first
	}
	k := unsafeString(key)
	if keyEsc {
		n := len(s.arena)
		s.arena, _ = appendUnquote(s.arena, key)
		k = unsafeString(s.arena[n:len(s.arena):len(s.arena)])
	}
	for w, wk := range s.want.TagKeys {
		if len(wk) != len(k) || wk != k {
			continue
		}
		if hasHigh(val) && !utf8.Valid(val) {
			return false
		}
		v := unsafeString(val)
		if valEsc {
			n := len(s.arena)
			s.arena, _ = appendUnquote(s.arena, val)
			v = unsafeString(s.arena[n:len(s.arena):len(s.arena)])
		}
		s.tagVals[w] = v
	}
	return true
}

// tagsAbandoned forgets what wantedTags kept, for the general way.
func (s *usageScanner) tagsAbandoned(st innerStatus) (bool, error) {
	clear(s.tagVals)
	if st == innerMore {
		return false, errMore
	}
	return false, nil
}

type innerStatus uint8

const (
	innerOK   innerStatus = iota
	innerNo               // not the sure form
	innerMore             // the buffer ended
)

// rawSpaces skips the raw spaces at buf[i:]: the only white space that can
// stand unescaped inside a JSON string.
func rawSpaces(buf []byte, i int) int {
	for i < len(buf) && buf[i] == ' ' {
		i++
	}
	return i
}

// innerString reads \"...\" at buf[i]: a string of the inner JSON, inside
// the outer string. raw is its contents, esc whether they hold \uXXXX
// escapes (each validated, and none standing for a quote, a backslash or a
// control character, which would change the inner JSON); next is the index
// after its closing \".
func innerString(l *lexer, i int) (raw []byte, esc bool, next int, st innerStatus) {
	buf := l.buf[:l.end]
	if i+1 >= len(buf) {
		return nil, false, 0, innerMore
	}
	if buf[i] != '\\' || buf[i+1] != '"' {
		return nil, false, 0, innerNo
	}
	start := i + 2
	j := start
	for {
		if j = l.nextSpecial(j); j < 0 || j+1 >= len(buf) {
			return nil, false, 0, innerMore
		}
		if buf[j] != '\\' {
			return nil, false, 0, innerNo // the outer string ends, or a control character
		}
		switch buf[j+1] {
		case '"':
			return buf[start:j], esc, j + 2, innerOK
		case 'u':
			if j+6 > len(buf) {
				return nil, false, 0, innerMore
			}
			if r := getu4(buf[j:]); r < 0x20 || r == '"' || r == '\\' {
				return nil, false, 0, innerNo
			}
			esc = true
			j += 6
		default:
			return nil, false, 0, innerNo
		}
	}
}
