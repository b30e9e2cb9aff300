package eaclient

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// TestClassifyBlocks holds the assembly (where there is one) and the
// portable version to a byte-by-byte classification, on random blocks
// that hold every byte value.
func TestClassifyBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + rng.IntN(8)
		src := make([]byte, 64*n)
		for i := range src {
			switch rng.IntN(4) {
			case 0:
				src[i] = byte(rng.IntN(256))
			case 1:
				src[i] = "\"\\\x00\x1f\x20\x7f\x80\xff"[rng.IntN(8)]
			default:
				src[i] = byte('a' + rng.IntN(26))
			}
		}
		if trial == 0 {
			for i := range src {
				src[i] = byte(i)
			}
		}
		wantSpec, wantHi := make([]uint64, n), make([]uint64, n)
		for i, c := range src {
			if c == '"' || c == '\\' || c < 0x20 {
				wantSpec[i>>6] |= 1 << (i & 63)
			}
			if c >= 0x80 {
				wantHi[i>>6] |= 1 << (i & 63)
			}
		}
		for name, classify := range map[string]func(spec, hi []uint64, src []byte){"classifyBlocks": classifyBlocks, "SWAR": classifyBlocksSWAR} {
			spec, hi := make([]uint64, n), make([]uint64, n)
			classify(spec, hi, src)
			for k := range n {
				if spec[k] != wantSpec[k] || hi[k] != wantHi[k] {
					t.Fatalf("%s, block %d of %q: spec %064b hi %064b; want %064b %064b", name, k, src[64*k:64*k+64], spec[k], hi[k], wantSpec[k], wantHi[k])
				}
			}
		}
	}
}

// TestLexerMasks checks the masks against the buffer after every fill, as
// refills move, grow and extend it, and the searches on them.
func TestLexerMasks(t *testing.T) {
	withSmallBuffer(t)
	rng := rand.New(rand.NewPCG(5, 6))
	input := make([]byte, 5000)
	for i := range input {
		input[i] = "ab\"\\\x01\xc3 x"[rng.IntN(8)]
	}
	for _, r := range []func() *lexer{
		func() *lexer { var l lexer; l.reset(bytes.NewReader(input), 1<<20); return &l },
		func() *lexer { var l lexer; l.reset(iotest.OneByteReader(bytes.NewReader(input)), 1<<20); return &l },
	} {
		l := r()
		for step := 0; ; step++ {
			l.mark = min(l.end, rng.IntN(l.end+1))
			l.pos = l.mark
			if err := l.fill(); err != nil {
				break
			}
			for i := 0; i < l.end; i++ {
				c := l.buf[i]
				special := c == '"' || c == '\\' || c < 0x20
				if got := l.spec[i>>6]>>(i&63)&1 == 1; got != special {
					t.Fatalf("step %d: byte %d (%q) special = %v", step, i, c, got)
				}
				if got := l.hi[i>>6]>>(i&63)&1 == 1; got != (c >= 0x80) {
					t.Fatalf("step %d: byte %d (%q) high = %v", step, i, c, got)
				}
			}
			for range 20 {
				a := rng.IntN(l.end + 1)
				want := -1
				for j := a; j < l.end; j++ {
					if c := l.buf[j]; c == '"' || c == '\\' || c < 0x20 {
						want = j
						break
					}
				}
				if got := l.nextSpecial(a); got != want {
					t.Fatalf("nextSpecial(%d) = %d, want %d", a, got, want)
				}
				b := a + rng.IntN(l.end-a+1)
				if got, want := l.highIn(a, b), hasHighSlow(l.buf[a:b]); got != want {
					t.Fatalf("highIn(%d, %d) = %v, want %v", a, b, got, want)
				}
			}
		}
	}
}

func hasHighSlow(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// TestDigits holds the word-at-a-time digit run to a byte loop, with every
// byte value after a run of every length.
func TestDigits(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for c := 0; c < 256; c++ {
			b := []byte("1234567890123456789012345")[:n]
			b = append(b, byte(c), '5', '5', '5', '5', '5', '5', '5', '5', '5')
			want := n
			if isDigit(byte(c)) {
				want = n + 10
			}
			if got := digits(b, 0); got != want {
				t.Fatalf("digits(%q) = %d, want %d", b, got, want)
			}
		}
	}
}
