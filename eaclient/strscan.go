package eaclient

import (
	"encoding/binary"
	"math/bits"
)

// scanStringBlocksSWAR is scanStringBlocks in portable Go, eight bytes a
// word: the implementation where there is no assembly, and the one the
// tests hold the assembly to.
func scanStringBlocksSWAR(b []byte) (n int, high bool) {
	var acc uint64
	i := 0
	for ; i+16 <= len(b); i += 16 {
		v0 := binary.LittleEndian.Uint64(b[i:])
		v1 := binary.LittleEndian.Uint64(b[i+8:])
		s0, s1 := special(v0), special(v1)
		if s0|s1 != 0 {
			if s0 == 0 {
				acc |= v0
				s0, v0 = s1, v1
				i += 8
			}
			k := uint(bits.TrailingZeros64(s0)) >> 3
			acc |= v0 & (1<<(8*k) - 1)
			return i + int(k), acc&msb != 0
		}
		acc |= v0 | v1
	}
	return i, acc&msb != 0
}
