//go:build amd64 && !purego

#include "textflag.h"

// func scanStringBlocks(b []byte) (n int, high bool)
//
// SSE2 (every amd64 has it), sixteen bytes a step: one compare each for a
// quote and a backslash, and PMINUB+PCMPEQB for the bytes at or below 0x1f
// (SSE2 has no unsigned less-than); PMOVMSKB of the data itself gives the
// bytes of 0x80 and above.
TEXT ·scanStringBlocks(SB), NOSPLIT, $0-33
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	XORQ DI, DI
	XORQ R9, R9

	MOVQ $0x2222222222222222, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8
	MOVQ $0x5c5c5c5c5c5c5c5c, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9
	MOVQ $0x1f1f1f1f1f1f1f1f, AX
	MOVQ AX, X10
	PUNPCKLQDQ X10, X10

loop:
	LEAQ 16(DI), AX
	CMPQ AX, CX
	JGT  done
	MOVOU (SI)(DI*1), X0
	PMOVMSKB X0, R10
	MOVOU X0, X1
	PCMPEQB X8, X1
	MOVOU X0, X2
	PCMPEQB X9, X2
	MOVOU X0, X3
	PMINUB X10, X3
	PCMPEQB X0, X3
	POR  X2, X1
	POR  X3, X1
	PMOVMSKB X1, AX
	TESTL AX, AX
	JNZ  found
	ORL  R10, R9
	ADDQ $16, DI
	JMP  loop

found:
	BSFL AX, CX
	// Only the high bytes before the special one count.
	MOVL $1, BX
	SHLL CX, BX
	DECL BX
	ANDL BX, R10
	ORL  R10, R9
	ADDQ CX, DI

done:
	MOVQ DI, n+24(FP)
	TESTL R9, R9
	SETNE high+32(FP)
	RET
