// Portions of this file (eiselLemire64) follow Go's strconv package
// (internal/strconv/atofeisel.go): Copyright 2020 The Go Authors. All
// rights reserved. Use of that source code is governed by a BSD-style
// license that can be found in Go's LICENSE file.

package eaclient

import (
	"math"
	"math/big"
	"math/bits"
)

// Usage amounts and quantities are written with up to seventeen
// significant digits (.NET's round-trip format), too many for exactFloat's
// exact path; strconv.ParseFloat reads them correctly, but after a general
// scan that costs more than the rest of the number's decoding. Given the
// digits as an integer and a power of ten, the Eisel-Lemire algorithm (the
// one ParseFloat itself runs next) gives the same correctly rounded value,
// or says that it cannot, and the caller falls back to ParseFloat.

const (
	elPow10Min = -40
	elPow10Max = 40
)

// elPow10 holds the 128-bit mantissas of 10^e for e in [elPow10Min,
// elPow10Max], scaled so that the top bit is set and rounded down, as in
// strconv's table; computed once with math/big.
var elPow10 = func() (tab [elPow10Max - elPow10Min + 1][2]uint64) {
	one, ten := big.NewInt(1), big.NewInt(10)
	b1p64, b1p128 := new(big.Int).Lsh(one, 64), new(big.Int).Lsh(one, 128)
	r2, r1p128 := big.NewRat(2, 1), new(big.Rat).SetInt(b1p128)
	for e := elPow10Min; e <= elPow10Max; e++ {
		var r *big.Rat
		if e >= 0 {
			r = new(big.Rat).SetInt(new(big.Int).Exp(ten, big.NewInt(int64(e)), nil))
		} else {
			r = new(big.Rat).SetFrac(one, new(big.Int).Exp(ten, big.NewInt(int64(-e)), nil))
		}
		for r.Cmp(r1p128) < 0 {
			r.Mul(r, r2)
		}
		for r.Cmp(r1p128) >= 0 {
			r.Quo(r, r2)
		}
		d := new(big.Int).Div(r.Num(), r.Denom())
		hi, lo := new(big.Int).DivMod(d, b1p64, new(big.Int))
		tab[e-elPow10Min] = [2]uint64{hi.Uint64(), lo.Uint64()}
	}
	return tab
}()

// eiselLemire64 returns man * 10^exp10 correctly rounded, or ok=false when
// the algorithm cannot decide (the caller then uses strconv.ParseFloat).
func eiselLemire64(man uint64, exp10 int, neg bool) (f float64, ok bool) {
	if man == 0 {
		if neg {
			f = math.Copysign(0, -1)
		}
		return f, true
	}
	if exp10 < elPow10Min || exp10 > elPow10Max {
		return 0, false
	}
	pow := elPow10[exp10-elPow10Min]
	exp2 := 1 + (exp10*108853)>>15 // 1 + floor(exp10 * log2(10))

	// Normalization.
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	retExp2 := uint64(exp2+63+1023) - uint64(clz)

	// Multiplication.
	xHi, xLo := bits.Mul64(man, pow[0])

	// Wider approximation.
	if xHi&0x1FF == 0x1FF && xLo+man < man {
		yHi, yLo := bits.Mul64(man, pow[1])
		mergedHi, mergedLo := xHi, xLo+yHi
		if mergedLo < xLo {
			mergedHi++
		}
		if mergedHi&0x1FF == 0x1FF && mergedLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		xHi, xLo = mergedHi, mergedLo
	}

	// Shifting to 54 bits.
	msb := xHi >> 63
	retMantissa := xHi >> (msb + 9)
	retExp2 -= 1 ^ msb

	// Half-way ambiguity.
	if xLo == 0 && xHi&0x1FF == 0 && retMantissa&3 == 1 {
		return 0, false
	}

	// From 54 to 53 bits.
	retMantissa += retMantissa & 1
	retMantissa >>= 1
	if retMantissa>>53 > 0 {
		retMantissa >>= 1
		retExp2++
	}
	// Subnormal, infinite or NaN: not for this path.
	if retExp2-1 >= 0x7FF-1 {
		return 0, false
	}
	retBits := retExp2<<52 | retMantissa&(1<<52-1)
	if neg {
		retBits |= 1 << 63
	}
	return math.Float64frombits(retBits), true
}
