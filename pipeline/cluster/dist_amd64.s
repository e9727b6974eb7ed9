#include "textflag.h"

// func hasAVX() bool
TEXT ·hasAVX(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	// ECX bit 27: OSXSAVE; bit 28: AVX.
	ANDL $0x18000000, CX
	CMPL CX, $0x18000000
	JNE  no
	// XCR0 bits 1 and 2: the OS saves the XMM and YMM state.
	XORL CX, CX
	XGETBV
	ANDL $6, AX
	CMPL AX, $6
	JNE  no
	MOVB $1, ret+0(FP)
	RET

no:
	MOVB $0, ret+0(FP)
	RET

// DIST4 stores at (DI) the squared distances between the row at SI and
// the centroids at R8, R9, R10 and R11, DX bytes each, one lane per
// centroid, adding the squared differences column after column.
// It uses AX, CX and Y0-Y9.
#define DIST4(blockLabel, tailLabel, colLabel, doneLabel) \
	VXORPD  Y0, Y0, Y0 \
	XORQ    CX, CX \
	MOVQ    DX, AX \
	ANDQ    $~31, AX \
	JZ      tailLabel \
blockLabel: \
	VMOVUPD (SI)(CX*1), Y1 \
	VSUBPD  (R8)(CX*1), Y1, Y2 \
	VSUBPD  (R9)(CX*1), Y1, Y3 \
	VSUBPD  (R10)(CX*1), Y1, Y4 \
	VSUBPD  (R11)(CX*1), Y1, Y5 \
	VMULPD  Y2, Y2, Y2 \
	VMULPD  Y3, Y3, Y3 \
	VMULPD  Y4, Y4, Y4 \
	VMULPD  Y5, Y5, Y5 \
	VUNPCKLPD Y3, Y2, Y6 \
	VUNPCKHPD Y3, Y2, Y7 \
	VUNPCKLPD Y5, Y4, Y8 \
	VUNPCKHPD Y5, Y4, Y9 \
	VPERM2F128 $0x20, Y8, Y6, Y2 \
	VPERM2F128 $0x20, Y9, Y7, Y3 \
	VPERM2F128 $0x31, Y8, Y6, Y4 \
	VPERM2F128 $0x31, Y9, Y7, Y5 \
	VADDPD  Y2, Y0, Y0 \
	VADDPD  Y3, Y0, Y0 \
	VADDPD  Y4, Y0, Y0 \
	VADDPD  Y5, Y0, Y0 \
	ADDQ    $32, CX \
	CMPQ    CX, AX \
	JB      blockLabel \
tailLabel: \
	CMPQ    CX, DX \
	JAE     doneLabel \
colLabel: \
	VBROADCASTSD (SI)(CX*1), Y1 \
	VMOVSD  (R8)(CX*1), X2 \
	VMOVHPD (R9)(CX*1), X2, X2 \
	VMOVSD  (R10)(CX*1), X3 \
	VMOVHPD (R11)(CX*1), X3, X3 \
	VINSERTF128 $1, X3, Y2, Y2 \
	VSUBPD  Y2, Y1, Y2 \
	VMULPD  Y2, Y2, Y2 \
	VADDPD  Y2, Y0, Y0 \
	ADDQ    $8, CX \
	CMPQ    CX, DX \
	JB      colLabel \
doneLabel: \
	VMOVUPD Y0, (DI)

// DIST8 stores at (DI) the squared distances between the row at SI and
// the centroids at R8-R15, DX bytes each, one lane per centroid, adding
// the squared differences column after column. AX must hold DX rounded
// down to a multiple of 32. It uses CX and Y0-Y14.
#define DIST8(blockLabel, tailLabel, colLabel, doneLabel) \
	VXORPD  Y0, Y0, Y0 \
	VXORPD  Y1, Y1, Y1 \
	XORQ    CX, CX \
	TESTQ   AX, AX \
	JZ      tailLabel \
blockLabel: \
	VMOVUPD (SI)(CX*1), Y2 \
	VSUBPD  (R8)(CX*1), Y2, Y3 \
	VSUBPD  (R9)(CX*1), Y2, Y4 \
	VSUBPD  (R10)(CX*1), Y2, Y5 \
	VSUBPD  (R11)(CX*1), Y2, Y6 \
	VSUBPD  (R12)(CX*1), Y2, Y7 \
	VSUBPD  (R13)(CX*1), Y2, Y8 \
	VSUBPD  (R14)(CX*1), Y2, Y9 \
	VSUBPD  (R15)(CX*1), Y2, Y10 \
	VMULPD  Y3, Y3, Y3 \
	VMULPD  Y4, Y4, Y4 \
	VMULPD  Y5, Y5, Y5 \
	VMULPD  Y6, Y6, Y6 \
	VMULPD  Y7, Y7, Y7 \
	VMULPD  Y8, Y8, Y8 \
	VMULPD  Y9, Y9, Y9 \
	VMULPD  Y10, Y10, Y10 \
	VUNPCKLPD Y4, Y3, Y11 \
	VUNPCKHPD Y4, Y3, Y12 \
	VUNPCKLPD Y6, Y5, Y13 \
	VUNPCKHPD Y6, Y5, Y14 \
	VPERM2F128 $0x20, Y13, Y11, Y3 \
	VPERM2F128 $0x20, Y14, Y12, Y4 \
	VPERM2F128 $0x31, Y13, Y11, Y5 \
	VPERM2F128 $0x31, Y14, Y12, Y6 \
	VUNPCKLPD Y8, Y7, Y11 \
	VUNPCKHPD Y8, Y7, Y12 \
	VUNPCKLPD Y10, Y9, Y13 \
	VUNPCKHPD Y10, Y9, Y14 \
	VPERM2F128 $0x20, Y13, Y11, Y7 \
	VPERM2F128 $0x20, Y14, Y12, Y8 \
	VPERM2F128 $0x31, Y13, Y11, Y9 \
	VPERM2F128 $0x31, Y14, Y12, Y10 \
	VADDPD  Y3, Y0, Y0 \
	VADDPD  Y7, Y1, Y1 \
	VADDPD  Y4, Y0, Y0 \
	VADDPD  Y8, Y1, Y1 \
	VADDPD  Y5, Y0, Y0 \
	VADDPD  Y9, Y1, Y1 \
	VADDPD  Y6, Y0, Y0 \
	VADDPD  Y10, Y1, Y1 \
	ADDQ    $32, CX \
	CMPQ    CX, AX \
	JB      blockLabel \
tailLabel: \
	CMPQ    CX, DX \
	JAE     doneLabel \
colLabel: \
	VBROADCASTSD (SI)(CX*1), Y2 \
	VMOVSD  (R8)(CX*1), X3 \
	VMOVHPD (R9)(CX*1), X3, X3 \
	VMOVSD  (R10)(CX*1), X4 \
	VMOVHPD (R11)(CX*1), X4, X4 \
	VINSERTF128 $1, X4, Y3, Y3 \
	VMOVSD  (R12)(CX*1), X5 \
	VMOVHPD (R13)(CX*1), X5, X5 \
	VMOVSD  (R14)(CX*1), X6 \
	VMOVHPD (R15)(CX*1), X6, X6 \
	VINSERTF128 $1, X6, Y5, Y5 \
	VSUBPD  Y3, Y2, Y3 \
	VSUBPD  Y5, Y2, Y5 \
	VMULPD  Y3, Y3, Y3 \
	VMULPD  Y5, Y5, Y5 \
	VADDPD  Y3, Y0, Y0 \
	VADDPD  Y5, Y1, Y1 \
	ADDQ    $8, CX \
	CMPQ    CX, DX \
	JB      colLabel \
doneLabel: \
	VMOVUPD Y0, (DI) \
	VMOVUPD Y1, 32(DI)

// func dist4Slots(x *float64, dim int, base *float64, slots *int32, n int, out *float64)
// Eight slots at a time, then four if n is not a multiple of 8.
TEXT ·dist4Slots(SB), NOSPLIT, $8-48
	MOVQ x+0(FP), SI
	MOVQ dim+8(FP), DX
	MOVQ slots+24(FP), BX
	MOVQ n+32(FP), CX
	MOVQ CX, left-8(SP)
	MOVQ out+40(FP), DI
	SHLQ $3, DX
	MOVQ DX, AX
	ANDQ $~31, AX
	CMPQ CX, $8
	JB   four

batch8:
	MOVLQSX 0(BX), R8
	IMULQ   DX, R8
	ADDQ    base+16(FP), R8
	MOVLQSX 4(BX), R9
	IMULQ   DX, R9
	ADDQ    base+16(FP), R9
	MOVLQSX 8(BX), R10
	IMULQ   DX, R10
	ADDQ    base+16(FP), R10
	MOVLQSX 12(BX), R11
	IMULQ   DX, R11
	ADDQ    base+16(FP), R11
	MOVLQSX 16(BX), R12
	IMULQ   DX, R12
	ADDQ    base+16(FP), R12
	MOVLQSX 20(BX), R13
	IMULQ   DX, R13
	ADDQ    base+16(FP), R13
	MOVLQSX 24(BX), R14
	IMULQ   DX, R14
	ADDQ    base+16(FP), R14
	MOVLQSX 28(BX), R15
	IMULQ   DX, R15
	ADDQ    base+16(FP), R15
	DIST8(block8, tail8, col8, done8)
	ADDQ $32, BX
	ADDQ $64, DI
	MOVQ left-8(SP), CX
	SUBQ $8, CX
	MOVQ CX, left-8(SP)
	CMPQ CX, $8
	JAE  batch8
	TESTQ CX, CX
	JZ   end

four:
	MOVLQSX 0(BX), R8
	IMULQ   DX, R8
	ADDQ    base+16(FP), R8
	MOVLQSX 4(BX), R9
	IMULQ   DX, R9
	ADDQ    base+16(FP), R9
	MOVLQSX 8(BX), R10
	IMULQ   DX, R10
	ADDQ    base+16(FP), R10
	MOVLQSX 12(BX), R11
	IMULQ   DX, R11
	ADDQ    base+16(FP), R11
	DIST4(block4, tail4, col4, done4)

end:
	VZEROUPPER
	RET

// func dist4Rows(x *float64, dim int, base *float64, n int, out *float64)
// Eight centroids at a time, then four if n is not a multiple of 8.
TEXT ·dist4Rows(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ dim+8(FP), DX
	MOVQ base+16(FP), R8
	MOVQ n+24(FP), BX
	MOVQ out+32(FP), DI
	SHLQ $3, DX
	MOVQ DX, AX
	ANDQ $~31, AX
	CMPQ BX, $8
	JB   four

batch8:
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	LEAQ (R13)(DX*1), R14
	LEAQ (R14)(DX*1), R15
	DIST8(block8, tail8, col8, done8)
	LEAQ (R15)(DX*1), R8
	ADDQ $64, DI
	SUBQ $8, BX
	CMPQ BX, $8
	JAE  batch8
	TESTQ BX, BX
	JZ   end

four:
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	DIST4(block4, tail4, col4, done4)

end:
	VZEROUPPER
	RET

DATA shrinkFactor32<>+0(SB)/4, $0x3f7ffff0
GLOBL shrinkFactor32<>(SB), RODATA|NOPTR, $4
DATA maxFloat32<>+0(SB)/4, $0x7f7fffff
GLOBL maxFloat32<>(SB), RODATA|NOPTR, $4

// func filterGroups8(lower *float32, moved *float32, n int, limit float32, idx *int32, kept *[8]float32) int
// Eight groups at a time; n must be a positive multiple of 8. Each lane
// computes shrink32 as the Go code does: subtract, maximum with 0 (the
// second operand, +0, on ties), multiply by 1-2^-20.
TEXT ·filterGroups8(SB), NOSPLIT, $0-56
	MOVQ lower+0(FP), SI
	MOVQ moved+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS limit+24(FP), Y15
	MOVQ idx+32(FP), R8
	MOVQ kept+40(FP), R11
	VBROADCASTSS shrinkFactor32<>(SB), Y14
	VBROADCASTSS maxFloat32<>(SB), Y12
	VXORPS Y13, Y13, Y13
	XORQ AX, AX
	XORQ DX, DX

filter:
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS  (DI)(AX*4), Y0, Y0
	VMAXPS  Y13, Y0, Y0
	VMULPS  Y14, Y0, Y0
	VMOVUPS Y0, (SI)(AX*4)
	// Y1: the lanes at most limit, to search; the others go into the
	// running minimum (a searched lane becomes a NaN, which VMINPS
	// ignores in its first source).
	VCMPPS    $2, Y15, Y0, Y1
	VORPS     Y1, Y0, Y2
	VMINPS    Y12, Y2, Y12
	VMOVMSKPS Y1, BX

lanes:
	TESTL BX, BX
	JZ    next
	BSFL  BX, R9
	ADDL  AX, R9
	MOVL  R9, (R8)(DX*4)
	INCQ  DX
	LEAL  -1(BX), R10
	ANDL  R10, BX
	JMP   lanes

next:
	ADDQ $8, AX
	CMPQ AX, CX
	JB   filter
	VMOVUPS Y12, (R11)
	VZEROUPPER
	MOVQ DX, ret+48(FP)
	RET
