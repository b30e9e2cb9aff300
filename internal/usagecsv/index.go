package usagecsv

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
)

// The fast path of the scanner. Scanning field by field costs a branch
// that the processor cannot predict at the end of every field; a row of
// the Cost Details report has 57 of them. Instead the buffer is indexed 64
// bytes at a time, without branches, in the way of simdjson and simdcsv
// (with SWAR words instead of vector registers):
//
//  1. three 64-bit masks say which bytes are quotes, commas and newlines
//     (an exact byte compare per 8-byte word, and a multiply that gathers
//     the eight top bits into a byte);
//  2. a prefix XOR of the quote mask, carried from block to block, says
//     which bytes are inside quotes (escaped "" pairs close and reopen, so
//     they need no special case);
//  3. the commas and newlines outside quotes are the delimiters: their
//     offsets go to a list, one trailing-zero count each;
//  4. the grammar is checked with masks too: an opening quote must follow a
//     delimiter (or start the record), and a closing quote must be followed
//     by a quote, a delimiter or "\r\n".
//
// Records are then cut from the delimiter list, a few instructions a field.
// Anything the masks flag (a stray quote: an error in the making), and the
// last record when the input does not end with a newline, are handed to the
// exact scanner (scan), which decides as encoding/csv would; the index then
// restarts after that record. Both paths produce the same spans, and the
// differential tests and the fuzzer hold both to encoding/csv.

// indexChunk bounds how much is indexed ahead at a time (and so the
// delimiter list).
const indexChunk = 64 << 10

// errSlow: the fast path hands the record to the exact scanner.
var errSlow = errors.New("slow path")

type index struct {
	at      int     // the next byte to index
	delims  []int32 // offsets of the delimiters indexed and not consumed
	di      int
	nls     []int32 // offsets of newlines inside quotes
	ni      int
	inside  uint64 // all ones when s.at is inside quotes
	prevOK  uint64 // 1 when the byte before s.at may precede an opening quote
	pending bool   // the byte before s.at is a closing quote, its follower unchecked
	stopped bool   // indexing stopped at a flagged byte
}

// resetIndex restarts the index at pos, the start of a record.
func (s *scanner) resetIndex() {
	s.ix.at = s.pos
	s.ix.delims = s.ix.delims[:0]
	s.ix.di = 0
	s.ix.nls = s.ix.nls[:0]
	s.ix.ni = 0
	s.ix.inside = 0
	s.ix.prevOK = 1
	s.ix.pending = false
	s.ix.stopped = false
}

const lo7 = 0x7f7f7f7f7f7f7f7f

// gather packs the top bits of the eight bytes of m into a byte.
func gather(m uint64) uint64 { return (m >> 7) * 0x0102040810204080 >> 56 }

// word classifies the eight bytes of w: the bytes of its quote, comma and
// newline masks. A byte equals an ASCII c exactly when its low seven bits
// XOR c's, plus 0x7f, do not carry into the top bit, and its own top bit is
// clear; no carry crosses a byte, so every byte is exact.
func word(w uint64) (q, c, n uint64) {
	low := w & lo7
	ascii := msb &^ w
	q = gather(ascii &^ ((low ^ quotes) + lo7))
	c = gather(ascii &^ ((low ^ commas) + lo7))
	n = gather(ascii &^ ((low ^ nls) + lo7))
	return q, c, n
}

// classifySWAR returns the masks of quotes, commas and newlines of b, a
// word at a time; classify is this, or on amd64 the same in SSE2
// (classify_amd64.s).
func classifySWAR(b *[64]byte) (q, c, n uint64) {
	q0, c0, n0 := word(binary.LittleEndian.Uint64(b[0:]))
	q1, c1, n1 := word(binary.LittleEndian.Uint64(b[8:]))
	q2, c2, n2 := word(binary.LittleEndian.Uint64(b[16:]))
	q3, c3, n3 := word(binary.LittleEndian.Uint64(b[24:]))
	q4, c4, n4 := word(binary.LittleEndian.Uint64(b[32:]))
	q5, c5, n5 := word(binary.LittleEndian.Uint64(b[40:]))
	q6, c6, n6 := word(binary.LittleEndian.Uint64(b[48:]))
	q7, c7, n7 := word(binary.LittleEndian.Uint64(b[56:]))
	q = q0 | q1<<8 | q2<<16 | q3<<24 | q4<<32 | q5<<40 | q6<<48 | q7<<56
	c = c0 | c1<<8 | c2<<16 | c3<<24 | c4<<32 | c5<<40 | c6<<48 | c7<<56
	n = n0 | n1<<8 | n2<<16 | n3<<24 | n4<<32 | n5<<40 | n6<<48 | n7<<56
	return q, c, n
}

func prefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// indexMore indexes up to indexChunk more bytes of the buffer, appending
// to the (consumed) delimiter list.
func (s *scanner) indexMore() {
	ix := &s.ix
	ix.delims = ix.delims[:0]
	ix.di = 0
	if ix.ni > 0 {
		ix.nls = append(ix.nls[:0], ix.nls[ix.ni:]...)
		ix.ni = 0
	}
	end := s.end
	lim := min(end, ix.at+indexChunk)
	var tail [64]byte
	for ix.at < lim {
		at := ix.at
		var blk *[64]byte
		n := 64
		if at+64 <= end {
			blk = (*[64]byte)(s.buf[at : at+64])
		} else {
			n = copy(tail[:], s.buf[at:end])
			clear(tail[n:])
			blk = &tail
		}
		q, c, nl := classify(blk)
		in := prefixXor(q) ^ ix.inside
		ix.inside = uint64(int64(in) >> 63)
		structural := q | c | nl
		bad := uint64(0)
		if ix.pending && structural&1 == 0 && !s.crlfAt(at) {
			bad |= 1
		}
		// Opening quotes must follow a delimiter or a quote (an escape).
		bad |= q & in &^ (structural<<1 | ix.prevOK)
		// Closing quotes must be followed by a quote, a delimiter or CRLF.
		closeBad := q &^ in &^ (structural >> 1)
		last := uint64(1) << (n - 1)
		ix.pending = n == 64 && closeBad&last != 0
		closeBad &^= last // the follower is in the next block
		for m := closeBad; m != 0; m &= m - 1 {
			if p := at + bits.TrailingZeros64(m); !s.crlfAt(p + 1) {
				bad |= m & -m
				break
			}
		}
		ix.prevOK = structural >> 63
		d := (c | nl) &^ in
		inl := nl & in
		if bad != 0 {
			// Keep what comes before the first flagged byte, and stop:
			// the exact scanner takes the record from there.
			keep := bad&-bad - 1
			d &= keep
			inl &= keep
			ix.stopped = true
		}
		// Eight offsets at a time, written whether or not there are as
		// many (the count advances by the real number): the loop runs once
		// for most blocks, so its end is predictable.
		for cnt := bits.OnesCount64(d); cnt > 0; cnt -= 8 {
			k := len(ix.delims)
			if cap(ix.delims)-k < 8 {
				ix.delims = append(ix.delims, make([]int32, 8)...)[:k]
			}
			out := ix.delims[k : k+8]
			for j := range out {
				out[j] = int32(at + bits.TrailingZeros64(d))
				d &= d - 1
			}
			ix.delims = ix.delims[:k+min(cnt, 8)]
		}
		for ; inl != 0; inl &= inl - 1 {
			ix.nls = append(ix.nls, int32(at+bits.TrailingZeros64(inl)))
		}
		ix.at = at + n
		if ix.stopped {
			return
		}
	}
}

// crlfAt reports "\r\n" at buf[p:].
func (s *scanner) crlfAt(p int) bool {
	return p+1 < s.end && s.buf[p] == '\r' && s.buf[p+1] == '\n'
}

// fast cuts the next record from the index. It returns errMore when the
// buffer ends inside the record, errSlow for the exact scanner to take it,
// io.EOF at the end of the input.
func (s *scanner) fast() error {
	buf := s.buf
	ix := &s.ix
record:
	s.recLine = s.line + 1
	fields := s.fields[:0]
	fs := s.pos
	nl := 0
	for {
		if ix.di == len(ix.delims) {
			if ix.stopped || ix.at >= s.end {
				if s.eof || ix.stopped {
					if s.pos >= s.end && s.eof {
						return io.EOF
					}
					return errSlow
				}
				return errMore
			}
			s.indexMore()
			continue
		}
		d := int(ix.delims[ix.di])
		ix.di++
		e := d
		isNL := buf[d] == '\n'
		if isNL && e > fs && buf[e-1] == '\r' {
			e--
		}
		if isNL && e == fs && len(fields) == 0 {
			// An empty line.
			s.pos = d + 1
			s.line++
			goto record
		}
		if len(fields) >= s.limit {
			s.fields = fields
			return errTooManyFields
		}
		if fs < e && buf[fs] == '"' {
			if e-1 <= fs || buf[e-1] != '"' {
				return errSlow
			}
			flags := fQuoted
			for ix.ni < len(ix.nls) && int(ix.nls[ix.ni]) < e {
				flags |= fNL
				nl++
				ix.ni++
			}
			fields = append(fields, span{int32(fs + 1), int32(e - 1), flags})
		} else {
			fields = append(fields, span{int32(fs), int32(e), 0})
		}
		fs = d + 1
		if isNL {
			s.fields = fields
			s.line += 1 + nl
			s.pos = d + 1
			return nil
		}
	}
}
