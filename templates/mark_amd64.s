#include "textflag.h"

// markStart in every byte, and markBreak - markStart.
DATA markStarts<>+0x00(SB)/8, $0x0101010101010101
DATA markStarts<>+0x08(SB)/8, $0x0101010101010101
DATA markStarts<>+0x10(SB)/8, $0x0101010101010101
DATA markStarts<>+0x18(SB)/8, $0x0101010101010101
GLOBL markStarts<>(SB), RODATA|NOPTR, $32
DATA markSpans<>+0x00(SB)/8, $0x0404040404040404
DATA markSpans<>+0x08(SB)/8, $0x0404040404040404
DATA markSpans<>+0x10(SB)/8, $0x0404040404040404
DATA markSpans<>+0x18(SB)/8, $0x0404040404040404
GLOBL markSpans<>(SB), RODATA|NOPTR, $32

// func indexMarkAVX2(p *byte, n int) int
TEXT ·indexMarkAVX2(SB), NOSPLIT, $0-24
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), DX
	VMOVDQU markStarts<>(SB), Y10
	VMOVDQU markSpans<>(SB), Y11
	XORQ    AX, AX // i

loop:
	LEAQ      32(AX), CX
	CMPQ      CX, DX
	JA        done
	VMOVDQU   (SI)(AX*1), Y0
	VPSUBB    Y10, Y0, Y0 // each byte less markStart
	VPMINUB   Y11, Y0, Y1
	VPCMPEQB  Y1, Y0, Y1  // at most markBreak - markStart
	VPMOVMSKB Y1, BX
	TESTL     BX, BX
	JNZ       found
	MOVQ      CX, AX
	JMP       loop

found:
	BSFL BX, BX
	ADDQ BX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET
