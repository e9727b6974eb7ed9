#include "textflag.h"

// MASKS32 sets R9 to the mask of the bytes equal to the delimiter (in
// every byte of Y0) among the 32 bytes at off(SI), bit i for byte i, and
// R12 to the mask of the line feeds (Y1) and quotes (Y2) among them. It
// uses Y3 to Y6.
#define MASKS32(off) \
	VMOVDQU   off(SI), Y3 \
	VPCMPEQB  Y0, Y3, Y4 \
	VPMOVMSKB Y4, R9 \
	VPCMPEQB  Y1, Y3, Y5 \
	VPCMPEQB  Y2, Y3, Y6 \
	VPOR      Y5, Y6, Y5 \
	VPMOVMSKB Y5, R12

// MASKS64 sets R10 to the mask of the delimiters among the 64 bytes at
// off(SI), and R11 to the mask of the line feeds and quotes among them.
// It uses R9, R12 and Y3 to Y6.
#define MASKS64(off) \
	MASKS32(off+32) \
	MOVQ R9, R10 \
	MOVQ R12, R11 \
	MASKS32(off) \
	SHLQ $32, R10 \
	ORQ  R9, R10 \
	SHLQ $32, R11 \
	ORQ  R12, R11

// func lineMasks(p *byte, n int, delim byte) (lo, hi uint64, at int, stop bool)
TEXT ·lineMasks(SB), NOSPLIT, $0-49
	MOVQ         p+0(FP), SI
	MOVQ         n+8(FP), DX
	VPBROADCASTB delim+16(FP), Y0
	VMOVDQU      lineFeeds<>(SB), Y1
	VMOVDQU      quotes<>(SB), Y2
	CMPQ         DX, $128
	JB           only64
	MASKS64(64)
	MOVQ         R10, R8  // the delimiters of the second 64 bytes
	MOVQ         R11, R13 // their line feeds and quotes
	MASKS64(0)

	// The delimiters before the first line feed or quote: in the first
	// 64 bytes, those below the lowest bit of R11 (all of them when it is
	// 0: (R11 & -R11) - 1); in the second, those below the lowest bit of
	// R13, and none when R11 is not 0.
	XORL    CX, CX
	BLSIQ   R11, AX
	DECQ    AX
	ANDQ    AX, R10
	BLSIQ   R13, BX
	DECQ    BX
	TESTQ   R11, R11
	CMOVQNE CX, BX
	ANDQ    BX, R8
	MOVQ    R10, lo+24(FP)
	MOVQ    R8, hi+32(FP)

	// The offset of the first line feed or quote, 128 when there is none
	// (TZCNT of 0 is 64).
	TZCNTQ  R11, AX
	TZCNTQ  R13, BX
	ADDQ    $64, BX
	TESTQ   R11, R11
	CMOVQEQ BX, AX
	MOVQ    AX, at+40(FP)
	ORQ     R11, R13
	SETNE   stop+48(FP)
	VZEROUPPER
	RET

only64:
	MASKS64(0)
	BLSIQ  R11, AX
	DECQ   AX
	ANDQ   AX, R10
	MOVQ   R10, lo+24(FP)
	MOVQ   $0, hi+32(FP)
	TZCNTQ R11, AX
	MOVQ   AX, at+40(FP)
	TESTQ  R11, R11
	SETNE  stop+48(FP)
	VZEROUPPER
	RET

DATA lineFeeds<>+0x00(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x08(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x10(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA lineFeeds<>+0x18(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL lineFeeds<>(SB), RODATA|NOPTR, $32

DATA quotes<>+0x00(SB)/8, $0x2222222222222222
DATA quotes<>+0x08(SB)/8, $0x2222222222222222
DATA quotes<>+0x10(SB)/8, $0x2222222222222222
DATA quotes<>+0x18(SB)/8, $0x2222222222222222
GLOBL quotes<>(SB), RODATA|NOPTR, $32
