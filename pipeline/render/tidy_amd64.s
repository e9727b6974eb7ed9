#include "textflag.h"

// A line feed, a space, a tab and a carriage return, each in every byte of
// a vector.
DATA lineFeeds<>+0x00(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x08(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x10(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x18(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL lineFeeds<>(SB), RODATA|NOPTR, $32
DATA spaces<>+0x00(SB)/8, $0x2020202020202020
DATA spaces<>+0x08(SB)/8, $0x2020202020202020
DATA spaces<>+0x10(SB)/8, $0x2020202020202020
DATA spaces<>+0x18(SB)/8, $0x2020202020202020
GLOBL spaces<>(SB), RODATA|NOPTR, $32
DATA tabs<>+0x00(SB)/8, $0x0909090909090909
DATA tabs<>+0x08(SB)/8, $0x0909090909090909
DATA tabs<>+0x10(SB)/8, $0x0909090909090909
DATA tabs<>+0x18(SB)/8, $0x0909090909090909
GLOBL tabs<>(SB), RODATA|NOPTR, $32
DATA returns<>+0x00(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA returns<>+0x08(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA returns<>+0x10(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA returns<>+0x18(SB)/8, $0x0d0d0d0d0d0d0d0d
GLOBL returns<>(SB), RODATA|NOPTR, $32

// func tidyScanAVX2(p *byte, n int) int
TEXT ·tidyScanAVX2(SB), NOSPLIT, $0-24
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), DX
	VMOVDQU lineFeeds<>(SB), Y10
	VMOVDQU spaces<>(SB), Y11
	VMOVDQU tabs<>(SB), Y12
	VMOVDQU returns<>(SB), Y13
	MOVQ    $2, AX // i

loop:
	LEAQ      32(AX), CX
	CMPQ      CX, DX
	JA        done
	VMOVDQU   (SI)(AX*1), Y0   // p[i:i+32]
	VMOVDQU   -1(SI)(AX*1), Y1 // the byte before each
	VMOVDQU   -2(SI)(AX*1), Y2 // and the one before that
	VPCMPEQB  Y10, Y0, Y3      // line feeds
	VPCMPEQB  Y11, Y1, Y4      // after a space,
	VPCMPEQB  Y12, Y1, Y5      // a tab
	VPOR      Y5, Y4, Y4
	VPCMPEQB  Y13, Y1, Y5      // or a carriage return,
	VPOR      Y5, Y4, Y4
	VPCMPEQB  Y10, Y1, Y5      // or two line feeds
	VPCMPEQB  Y10, Y2, Y6
	VPAND     Y6, Y5, Y5
	VPOR      Y5, Y4, Y4
	VPAND     Y3, Y4, Y4
	VPMOVMSKB Y4, BX
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
