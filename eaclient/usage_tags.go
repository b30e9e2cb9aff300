package eaclient

import (
	"unicode/utf8"
)

// readTags reads a tags value of the common form, JSON inside a JSON
// string ("{  \"CostCenter\": \"1000052\",  \"env\": \"prod\"}"), in
// one pass over the raw bytes, validating the outer string as it goes. With
// UsageWant.TagKeys it keeps only the wanted keys' values (s.tagVals): no
// map, no copy of the tags that no label reads; otherwise every tag goes
// into the reused map s.tags. Keys and values are views of the buffer, or
// of the arena when they hold \u escapes. The tags are a fifth of a real
// row's bytes and most of its escapes.
//
// It accepts only what it is sure decodes, through flexTags, to the same
// values: keys and values that are plain UTF-8 with no escapes but the
// quotes around them and \uXXXX that stand for neither a quote, a
// backslash nor a control character, and spaces between the tokens.
// Anything else is ok=false with nothing kept, and the caller reads the
// value the general way (decodeTags). errMore means the buffer ended
// inside it.
func (s *usageScanner) readTags() (ok bool, err error) {
	if len(s.tags) > 0 {
		clear(s.tags)
	}
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
	if len(s.tags) > 0 {
		s.row.Tags = s.tags
	}
	return true, nil
}

// keepTag keeps a tag: in the map, or in tagVals when its key is wanted
// (the last of duplicate keys wins, as in encoding/json's map). false: the
// pair is not of the sure form.
func (s *usageScanner) keepTag(key []byte, keyEsc bool, val []byte, valEsc bool) bool {
	if hasHigh(key) && !utf8.Valid(key) {
		return false // encoding/json would replace the bad bytes first
	}
	k := s.unescaped(key, keyEsc)
	if !s.tagKeys {
		if hasHigh(val) && !utf8.Valid(val) {
			return false
		}
		if s.tags == nil {
			s.tags = map[string]string{}
		}
		s.tags[k] = s.unescaped(val, valEsc)
		return true
	}
	for w, wk := range s.want.TagKeys {
		if len(wk) != len(k) || wk != k {
			continue
		}
		if hasHigh(val) && !utf8.Valid(val) {
			return false
		}
		s.tagVals[w] = s.unescaped(val, valEsc)
	}
	return true
}

// unescaped returns the contents of an inner string: a view of the buffer,
// or, with \u escapes, unescaped into the arena.
func (s *usageScanner) unescaped(raw []byte, esc bool) string {
	if !esc {
		return unsafeString(raw)
	}
	n := len(s.arena)
	s.arena, _ = appendUnquote(s.arena, raw)
	return unsafeString(s.arena[n:len(s.arena):len(s.arena)])
}

// tagsAbandoned forgets what readTags kept, for the general way.
func (s *usageScanner) tagsAbandoned(st innerStatus) (bool, error) {
	clear(s.tagVals)
	clear(s.tags)
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
