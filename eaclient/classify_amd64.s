//go:build amd64 && !purego

#include "textflag.h"

// SPECIAL leaves in R the 16-bit mask of the bytes of X that are a quote,
// a backslash or at most 0x1f (PMINUB+PCMPEQB: SSE2 has no unsigned
// less-than), with X8-X10 holding the three broadcast bytes.
#define SPECIAL(X, R) \
	MOVOU X, X4; PCMPEQB X8, X4; \
	MOVOU X, X5; PCMPEQB X9, X5; \
	MOVOU X, X6; PMINUB X10, X6; PCMPEQB X, X6; \
	POR X5, X4; POR X6, X4; \
	PMOVMSKB X4, R

// COMBINE joins the four 16-bit masks in AX, BX, DX and R9 into AX.
#define COMBINE \
	SHLQ $16, BX; SHLQ $32, DX; SHLQ $48, R9; \
	ORQ BX, AX; ORQ DX, AX; ORQ R9, AX

// func classifyBlocks(spec, hi []uint64, src []byte)
TEXT ·classifyBlocks(SB), NOSPLIT, $0-72
	MOVQ spec_base+0(FP), DI
	MOVQ spec_len+8(FP), CX
	MOVQ hi_base+24(FP), R8
	MOVQ src_base+48(FP), SI

	MOVQ $0x2222222222222222, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8
	MOVQ $0x5c5c5c5c5c5c5c5c, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9
	MOVQ $0x1f1f1f1f1f1f1f1f, AX
	MOVQ AX, X10
	PUNPCKLQDQ X10, X10

	TESTQ CX, CX
	JZ   done

loop:
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3

	// Bytes of 0x80 and above: their own top bits.
	PMOVMSKB X0, AX
	PMOVMSKB X1, BX
	PMOVMSKB X2, DX
	PMOVMSKB X3, R9
	COMBINE
	MOVQ AX, 0(R8)

	SPECIAL(X0, AX)
	SPECIAL(X1, BX)
	SPECIAL(X2, DX)
	SPECIAL(X3, R9)
	COMBINE
	MOVQ AX, 0(DI)

	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, R8
	DECQ CX
	JNZ  loop

done:
	RET
