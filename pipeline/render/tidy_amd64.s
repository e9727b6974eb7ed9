#include "textflag.h"

// A line feed in every byte.
DATA lineFeeds<>+0x00(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x08(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x10(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x18(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL lineFeeds<>(SB), RODATA|NOPTR, $32

// func tidyScanAVX2(p *byte, n int) int
TEXT ·tidyScanAVX2(SB), NOSPLIT, $0-24
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), DX
	VMOVDQU lineFeeds<>(SB), Y10
	MOVQ    $2, AX // i

loop:
	LEAQ      32(AX), CX
	CMPQ      CX, DX
	JA        done
	VMOVDQU   (SI)(AX*1), Y0
	VPCMPEQB  Y10, Y0, Y1
	VPMOVMSKB Y1, BX // the line feeds of p[i:i+32]
	TESTL     BX, BX
	JNZ       feeds

next:
	MOVQ CX, AX
	JMP  loop

	// Each line feed, in order: the byte before it, and the one before
	// that.
feeds:
	BSFL    BX, R8
	LEAQ    (AX)(R8*1), R9
	MOVBLZX -1(SI)(R9*1), R10
	CMPB    R10, $0x20
	JEQ     found
	CMPB    R10, $0x09
	JEQ     found
	CMPB    R10, $0x0d
	JEQ     found
	CMPB    R10, $0x0a
	JNE     clear
	CMPB    -2(SI)(R9*1), $0x0a
	JEQ     found

clear:
	LEAL -1(BX), R10
	ANDL R10, BX
	JNZ  feeds
	JMP  next

found:
	MOVQ R9, AX

done:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET
