//go:build amd64 && !purego

#include "textflag.h"

// MASK compares the four vectors X0-X3 with the broadcast byte in CONST
// and leaves the 64-bit mask of equal bytes in AX.
#define MASK(CONST) \
	MOVOU X0, X4; PCMPEQB CONST, X4; PMOVMSKB X4, AX; \
	MOVOU X1, X5; PCMPEQB CONST, X5; PMOVMSKB X5, BX; \
	MOVOU X2, X6; PCMPEQB CONST, X6; PMOVMSKB X6, CX; \
	MOVOU X3, X7; PCMPEQB CONST, X7; PMOVMSKB X7, DX; \
	SHLQ $16, BX; SHLQ $32, CX; SHLQ $48, DX; \
	ORQ BX, AX; ORQ CX, AX; ORQ DX, AX

// func classify(b *[64]byte) (q, c, n uint64)
TEXT ·classify(SB), NOSPLIT, $0-32
	MOVQ b+0(FP), SI
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3

	MOVQ $0x2222222222222222, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8
	MOVQ $0x2c2c2c2c2c2c2c2c, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9
	MOVQ $0x0a0a0a0a0a0a0a0a, AX
	MOVQ AX, X10
	PUNPCKLQDQ X10, X10

	MASK(X8)
	MOVQ AX, q+8(FP)
	MASK(X9)
	MOVQ AX, c+16(FP)
	MASK(X10)
	MOVQ AX, n+24(FP)
	RET
