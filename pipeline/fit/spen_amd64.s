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
