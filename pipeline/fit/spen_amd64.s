#include "textflag.h"

// Each byte of "spen", in every byte of a vector, and the case bit.
DATA esses<>+0x00(SB)/8, $0x7373737373737373
DATA esses<>+0x08(SB)/8, $0x7373737373737373
DATA esses<>+0x10(SB)/8, $0x7373737373737373
DATA esses<>+0x18(SB)/8, $0x7373737373737373
GLOBL esses<>(SB), RODATA|NOPTR, $32
DATA caseBits<>+0x00(SB)/8, $0x2020202020202020
DATA caseBits<>+0x08(SB)/8, $0x2020202020202020
DATA caseBits<>+0x10(SB)/8, $0x2020202020202020
DATA caseBits<>+0x18(SB)/8, $0x2020202020202020
GLOBL caseBits<>(SB), RODATA|NOPTR, $32
DATA pees<>+0x00(SB)/8, $0x7070707070707070
DATA pees<>+0x08(SB)/8, $0x7070707070707070
DATA pees<>+0x10(SB)/8, $0x7070707070707070
DATA pees<>+0x18(SB)/8, $0x7070707070707070
GLOBL pees<>(SB), RODATA|NOPTR, $32
DATA ees<>+0x00(SB)/8, $0x6565656565656565
DATA ees<>+0x08(SB)/8, $0x6565656565656565
DATA ees<>+0x10(SB)/8, $0x6565656565656565
DATA ees<>+0x18(SB)/8, $0x6565656565656565
GLOBL ees<>(SB), RODATA|NOPTR, $32
DATA ens<>+0x00(SB)/8, $0x6e6e6e6e6e6e6e6e
DATA ens<>+0x08(SB)/8, $0x6e6e6e6e6e6e6e6e
DATA ens<>+0x10(SB)/8, $0x6e6e6e6e6e6e6e6e
DATA ens<>+0x18(SB)/8, $0x6e6e6e6e6e6e6e6e
GLOBL ens<>(SB), RODATA|NOPTR, $32

// func indexSpenAVX2(p *byte, n int) int
TEXT ·indexSpenAVX2(SB), NOSPLIT, $0-24
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), DX
	VMOVDQU esses<>(SB), Y10
	VMOVDQU caseBits<>(SB), Y11
	VMOVDQU pees<>(SB), Y12
	VMOVDQU ees<>(SB), Y13
	VMOVDQU ens<>(SB), Y14
	XORQ    AX, AX // i

loop:
	LEAQ      35(AX), CX // the places i to i+31 and the three bytes after
	CMPQ      CX, DX
	JA        done
	VMOVDQU   (SI)(AX*1), Y0
	VPOR      Y11, Y0, Y0
	VPCMPEQB  Y10, Y0, Y0 // s or S
	VMOVDQU   1(SI)(AX*1), Y1
	VPCMPEQB  Y12, Y1, Y1 // then p
	VPAND     Y1, Y0, Y0
	VMOVDQU   2(SI)(AX*1), Y1
	VPCMPEQB  Y13, Y1, Y1 // e
	VPAND     Y1, Y0, Y0
	VMOVDQU   3(SI)(AX*1), Y1
	VPCMPEQB  Y14, Y1, Y1 // n
	VPAND     Y1, Y0, Y0
	VPMOVMSKB Y0, BX
	TESTL     BX, BX
	JNZ       found
	ADDQ      $32, AX
	JMP       loop

found:
	BSFL BX, BX
	ADDQ BX, AX

done:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET

// The bytes eachClaim stops at, in every byte of a vector.
DATA dots<>+0x00(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA dots<>+0x08(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA dots<>+0x10(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA dots<>+0x18(SB)/8, $0x2e2e2e2e2e2e2e2e
GLOBL dots<>(SB), RODATA|NOPTR, $32
DATA bangs<>+0x00(SB)/8, $0x2121212121212121
DATA bangs<>+0x08(SB)/8, $0x2121212121212121
DATA bangs<>+0x10(SB)/8, $0x2121212121212121
DATA bangs<>+0x18(SB)/8, $0x2121212121212121
GLOBL bangs<>(SB), RODATA|NOPTR, $32
DATA asks<>+0x00(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA asks<>+0x08(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA asks<>+0x10(SB)/8, $0x3f3f3f3f3f3f3f3f
DATA asks<>+0x18(SB)/8, $0x3f3f3f3f3f3f3f3f
GLOBL asks<>(SB), RODATA|NOPTR, $32
DATA breaks<>+0x00(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA breaks<>+0x08(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA breaks<>+0x10(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA breaks<>+0x18(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL breaks<>(SB), RODATA|NOPTR, $32

// STOPS sets BX to the mask of the bytes of the vector at (SI)(AX*1)
// that are '.', '!', '?' or a line break, from the four vectors of
// them in Y10-Y13 (LOADSTOPS). It uses Y0-Y2.
#define STOPS \
	VMOVDQU   (SI)(AX*1), Y0 \
	VPCMPEQB  Y10, Y0, Y1 \
	VPCMPEQB  Y11, Y0, Y2 \
	VPOR      Y2, Y1, Y1 \
	VPCMPEQB  Y12, Y0, Y2 \
	VPOR      Y2, Y1, Y1 \
	VPCMPEQB  Y13, Y0, Y2 \
	VPOR      Y2, Y1, Y1 \
	VPMOVMSKB Y1, BX

// LOADSTOPS loads the vectors STOPS compares with.
#define LOADSTOPS \
	VMOVDQU dots<>(SB), Y10 \
	VMOVDQU bangs<>(SB), Y11 \
	VMOVDQU asks<>(SB), Y12 \
	VMOVDQU breaks<>(SB), Y13

// func indexStopAVX2(p *byte, n int) int
TEXT ·indexStopAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), DX
	LOADSTOPS
	XORQ AX, AX // i

fwd:
	LEAQ  32(AX), CX
	CMPQ  CX, DX
	JA    fwddone
	STOPS
	TESTL BX, BX
	JNZ   fwdfound
	ADDQ  $32, AX
	JMP   fwd

fwdfound:
	BSFL BX, BX
	ADDQ BX, AX

fwddone:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET

// func lastStopAVX2(p *byte, n int) int
TEXT ·lastStopAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), AX
	LOADSTOPS

back:
	CMPQ  AX, $32
	JB    backdone
	SUBQ  $32, AX // the vector [i-32, i)
	STOPS
	TESTL BX, BX
	JZ    back
	BSRL  BX, BX
	ADDQ  BX, AX
	VZEROUPPER
	MOVQ  AX, ret+16(FP)
	RET

backdone:
	// None in [i, n): -1-i.
	NOTQ AX
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET
