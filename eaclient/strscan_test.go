package eaclient

import (
	"math/rand/v2"
	"testing"
)

// TestScanStringBlocks holds the assembly (where there is one) to the
// portable implementation: every length up to 80, each kind of stop byte
// at every position, high bytes before and after it.
func TestScanStringBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	stops := []byte{'"', '\\', 0x00, 0x1f, '\n'}
	plain := []byte("abcXYZ019 -_:/{}")
	for n := 0; n <= 80; n++ {
		for trial := 0; trial < 40; trial++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = plain[rng.IntN(len(plain))]
			}
			if n > 0 && trial%4 != 0 {
				b[rng.IntN(n)] = stops[rng.IntN(len(stops))]
			}
			if n > 0 && trial%3 == 0 {
				b[rng.IntN(n)] = byte(0x80 + rng.IntN(0x80))
			}
			if n > 0 && trial%5 == 0 {
				b[rng.IntN(n)] = 0x20 // the first byte that is not a control character
			}
			gotN, gotHigh := scanStringBlocks(b)
			wantN, wantHigh := scanStringBlocksSWAR(b)
			if gotN != wantN || gotHigh != wantHigh {
				t.Fatalf("%q: scanStringBlocks = %d, %v; SWAR = %d, %v", b, gotN, gotHigh, wantN, wantHigh)
			}
			// The contract itself, apart from either implementation.
			stop := -1
			for i, c := range b[:n/16*16] {
				if c == '"' || c == '\\' || c < 0x20 {
					stop = i
					break
				}
			}
			if stop < 0 {
				stop = n / 16 * 16
			}
			high := false
			for _, c := range b[:stop] {
				high = high || c >= 0x80
			}
			if wantN != stop || wantHigh != high {
				t.Fatalf("%q: got %d, %v; want %d, %v", b, wantN, wantHigh, stop, high)
			}
		}
	}
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
