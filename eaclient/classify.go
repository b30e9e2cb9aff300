package eaclient

import (
	"encoding/binary"
	"math/bits"
)

// The lexer finds the end of a string without looking at its bytes one by
// one or even a word at a time: when it reads input it classifies the
// whole buffer once, 64 bytes a step (classifyBlocks, SSE2 on amd64), into
// a bit mask of the bytes that can stop a string (a quote, a backslash or
// a control character) and one of the bytes of 0x80 and above (UTF-8 to
// validate). A string's end is then the next set bit: a couple of word
// operations however long the string, where a usage row has some forty
// strings. Everything else (escapes, validation) is as before, from the
// stop the masks point at.

// classify computes the masks of buf[from:end]; from is a multiple of 64.
// Bits past end stay clear, so that a search runs out at end.
func (l *lexer) classify(from int) {
	n := (l.end + 63) >> 6
	if cap(l.spec) < n {
		c := (len(l.buf) + 63) >> 6
		spec, hi := make([]uint64, n, c), make([]uint64, n, c)
		copy(spec, l.spec[:from>>6])
		copy(hi, l.hi[:from>>6])
		l.spec, l.hi = spec, hi
	}
	l.spec, l.hi = l.spec[:n], l.hi[:n]
	first, full := from>>6, l.end>>6
	if first < full {
		classifyBlocks(l.spec[first:full], l.hi[first:full], l.buf[first<<6:full<<6])
	}
	if full < n {
		var s, h uint64
		for i, c := range l.buf[full<<6 : l.end] {
			if c == '"' || c == '\\' || c < 0x20 {
				s |= 1 << i
			}
			if c >= 0x80 {
				h |= 1 << i
			}
		}
		l.spec[full], l.hi[full] = s, h
	}
}

// nextSpecial returns the index of the first quote, backslash or control
// character at or after i, or -1 when there is none before end.
func (l *lexer) nextSpecial(i int) int {
	w := i >> 6
	if w >= len(l.spec) {
		return -1
	}
	if m := l.spec[w] >> (uint(i) & 63); m != 0 {
		return i + bits.TrailingZeros64(m)
	}
	for w++; w < len(l.spec); w++ {
		if m := l.spec[w]; m != 0 {
			return w<<6 + bits.TrailingZeros64(m)
		}
	}
	return -1
}

// highIn reports whether buf[a:b] has a byte of 0x80 or above.
func (l *lexer) highIn(a, b int) bool {
	if a >= b {
		return false
	}
	wa, wb := a>>6, (b-1)>>6
	lo := ^uint64(0) << (uint(a) & 63)
	hiMask := ^uint64(0) >> (63 - uint(b-1)&63)
	if wa == wb {
		return l.hi[wa]&lo&hiMask != 0
	}
	if l.hi[wa]&lo != 0 || l.hi[wb]&hiMask != 0 {
		return true
	}
	for w := wa + 1; w < wb; w++ {
		if l.hi[w] != 0 {
			return true
		}
	}
	return false
}

// classifyBlocksSWAR is classifyBlocks in portable Go, eight bytes a word
// with exact per-byte tests (no borrow crosses a byte): the implementation
// where there is no assembly, and the one the tests hold the assembly to.
func classifyBlocksSWAR(spec, hi []uint64, src []byte) {
	for k := range spec {
		var s, h uint64
		for w := 0; w < 8; w++ {
			v := binary.LittleEndian.Uint64(src[k<<6+w<<3:])
			s |= movemask(zeroBytes(v^quotes)|zeroBytes(v^backs)|below20(v)) << (8 * w)
			h |= movemask(v&msb) << (8 * w)
		}
		spec[k], hi[k] = s, h
	}
}

const low7 = 0x7f7f7f7f7f7f7f7f

// zeroBytes flags (top bit) the bytes of t that are zero.
func zeroBytes(t uint64) uint64 { return ^((t&low7 + low7) | t) & msb }

// below20 flags the bytes of v below 0x20.
func below20(v uint64) uint64 { return ^((v&low7 + 0x6060606060606060) | v) & msb }

// movemask gathers the top bits of the eight bytes of x into eight bits.
func movemask(x uint64) uint64 { return (x >> 7) * 0x0102040810204080 >> 56 }
