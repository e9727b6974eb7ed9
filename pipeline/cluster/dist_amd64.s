#include "textflag.h"

// BLK4 stores at (DI) the squared distances between the row at SI
// (DX values) and the 16 centroids of the 4 blocks at R8, R9, R10 and
// R11, one lane per centroid: the even columns' squares summed into
// one register and the odd columns' into another, in column order
// (a fused multiply-add per column, as math.FMA), then the two added, as sqDist1
// does. AX must hold the byte
// offset of the first column past the even pairs, (DX &^ 1) * 8. It
// uses CX, R9, R10, R11, Y0-Y7 and Y8-Y13.
#define BLK4(loop, tail, done) \
	VXORPD Y0, Y0, Y0 \
	VXORPD Y1, Y1, Y1 \
	VXORPD Y2, Y2, Y2 \
	VXORPD Y3, Y3, Y3 \
	VXORPD Y4, Y4, Y4 \
	VXORPD Y5, Y5, Y5 \
	VXORPD Y6, Y6, Y6 \
	VXORPD Y7, Y7, Y7 \
	XORQ   CX, CX \
	TESTQ  AX, AX \
	JZ     tail \
loop: \
	VBROADCASTSD (SI)(CX*1), Y8 \
	VBROADCASTSD 8(SI)(CX*1), Y9 \
	VSUBPD (R8)(CX*4), Y8, Y10 \
	VSUBPD 32(R8)(CX*4), Y9, Y11 \
	VSUBPD (R9)(CX*4), Y8, Y12 \
	VSUBPD 32(R9)(CX*4), Y9, Y13 \
	VFMADD231PD Y10, Y10, Y0 \
	VFMADD231PD Y11, Y11, Y1 \
	VFMADD231PD Y12, Y12, Y2 \
	VFMADD231PD Y13, Y13, Y3 \
	VSUBPD (R10)(CX*4), Y8, Y10 \
	VSUBPD 32(R10)(CX*4), Y9, Y11 \
	VSUBPD (R11)(CX*4), Y8, Y12 \
	VSUBPD 32(R11)(CX*4), Y9, Y13 \
	VFMADD231PD Y10, Y10, Y4 \
	VFMADD231PD Y11, Y11, Y5 \
	VFMADD231PD Y12, Y12, Y6 \
	VFMADD231PD Y13, Y13, Y7 \
	ADDQ   $16, CX \
	CMPQ   CX, AX \
	JB     loop \
tail: \
	TESTQ  $1, DX \
	JZ     done \
	VBROADCASTSD (SI)(CX*1), Y8 \
	VSUBPD (R8)(CX*4), Y8, Y10 \
	VSUBPD (R9)(CX*4), Y8, Y11 \
	VSUBPD (R10)(CX*4), Y8, Y12 \
	VSUBPD (R11)(CX*4), Y8, Y13 \
	VFMADD231PD Y10, Y10, Y0 \
	VFMADD231PD Y11, Y11, Y2 \
	VFMADD231PD Y12, Y12, Y4 \
	VFMADD231PD Y13, Y13, Y6 \
done: \
	VADDPD Y1, Y0, Y0 \
	VADDPD Y3, Y2, Y2 \
	VADDPD Y5, Y4, Y4 \
	VADDPD Y7, Y6, Y6 \
	VMOVUPD Y0, (DI) \
	VMOVUPD Y2, 32(DI) \
	VMOVUPD Y4, 64(DI) \
	VMOVUPD Y6, 96(DI)

// BLK2 stores at (DI) the squared distances between the row at SI
// (DX values) and the 8 centroids of the 2 blocks at R8 and R9, one lane per centroid: the even columns' squares summed into
// one register and the odd columns' into another, in column order
// (a fused multiply-add per column, as math.FMA), then the two added, as sqDist1
// does. AX must hold the byte
// offset of the first column past the even pairs, (DX &^ 1) * 8. It
// uses CX, R9, Y0-Y3 and Y8-Y13.
#define BLK2(loop, tail, done) \
	VXORPD Y0, Y0, Y0 \
	VXORPD Y1, Y1, Y1 \
	VXORPD Y2, Y2, Y2 \
	VXORPD Y3, Y3, Y3 \
	XORQ   CX, CX \
	TESTQ  AX, AX \
	JZ     tail \
loop: \
	VBROADCASTSD (SI)(CX*1), Y8 \
	VBROADCASTSD 8(SI)(CX*1), Y9 \
	VSUBPD (R8)(CX*4), Y8, Y10 \
	VSUBPD 32(R8)(CX*4), Y9, Y11 \
	VSUBPD (R9)(CX*4), Y8, Y12 \
	VSUBPD 32(R9)(CX*4), Y9, Y13 \
	VFMADD231PD Y10, Y10, Y0 \
	VFMADD231PD Y11, Y11, Y1 \
	VFMADD231PD Y12, Y12, Y2 \
	VFMADD231PD Y13, Y13, Y3 \
	ADDQ   $16, CX \
	CMPQ   CX, AX \
	JB     loop \
tail: \
	TESTQ  $1, DX \
	JZ     done \
	VBROADCASTSD (SI)(CX*1), Y8 \
	VSUBPD (R8)(CX*4), Y8, Y10 \
	VSUBPD (R9)(CX*4), Y8, Y11 \
	VFMADD231PD Y10, Y10, Y0 \
	VFMADD231PD Y11, Y11, Y2 \
done: \
	VADDPD Y1, Y0, Y0 \
	VADDPD Y3, Y2, Y2 \
	VMOVUPD Y0, (DI) \
	VMOVUPD Y2, 32(DI)

// BLK1 stores at (DI) the squared distances between the row at SI
// (DX values) and the 4 centroids of the block at R8, one lane per centroid: the even columns' squares summed into
// one register and the odd columns' into another, in column order
// (a fused multiply-add per column, as math.FMA), then the two added, as sqDist1
// does. AX must hold the byte
// offset of the first column past the even pairs, (DX &^ 1) * 8. It
// uses CX, no other pointer, Y0-Y1 and Y8-Y11.
#define BLK1(loop, tail, done) \
	VXORPD Y0, Y0, Y0 \
	VXORPD Y1, Y1, Y1 \
	XORQ   CX, CX \
	TESTQ  AX, AX \
	JZ     tail \
loop: \
	VBROADCASTSD (SI)(CX*1), Y8 \
	VBROADCASTSD 8(SI)(CX*1), Y9 \
	VSUBPD (R8)(CX*4), Y8, Y10 \
	VSUBPD 32(R8)(CX*4), Y9, Y11 \
	VFMADD231PD Y10, Y10, Y0 \
	VFMADD231PD Y11, Y11, Y1 \
	ADDQ   $16, CX \
	CMPQ   CX, AX \
	JB     loop \
tail: \
	TESTQ  $1, DX \
	JZ     done \
	VBROADCASTSD (SI)(CX*1), Y8 \
	VSUBPD (R8)(CX*4), Y8, Y10 \
	VFMADD231PD Y10, Y10, Y0 \
done: \
	VADDPD Y1, Y0, Y0 \
	VMOVUPD Y0, (DI)

// func distBlocks(x *float64, dim int, data *float64, n int, out *float64)
// Four blocks at a time, then two, then one.
TEXT ·distBlocks(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ dim+8(FP), DX
	MOVQ data+16(FP), R8
	MOVQ n+24(FP), R13
	MOVQ out+32(FP), DI
	MOVQ DX, R12
	SHLQ $5, R12
	MOVQ DX, AX
	ANDQ $~1, AX
	SHLQ $3, AX

four:
	CMPQ R13, $4
	JB   two
	LEAQ (R8)(R12*1), R9
	LEAQ (R9)(R12*1), R10
	LEAQ (R10)(R12*1), R11
	BLK4(loop4, tail4, done4)
	LEAQ (R11)(R12*1), R8
	ADDQ $128, DI
	SUBQ $4, R13
	JMP  four

two:
	CMPQ R13, $2
	JB   one
	LEAQ (R8)(R12*1), R9
	BLK2(loop2, tail2, done2)
	LEAQ (R9)(R12*1), R8
	ADDQ $64, DI
	SUBQ $2, R13

one:
	TESTQ R13, R13
	JZ    end
	BLK1(loop1, tail1, done1)

end:
	VZEROUPPER
	RET

// func distBlockList(x *float64, dim int, data *float64, idx *int32, n int, out *float64)
// The blocks idx[0], ..., idx[n-1] of data, four at a time, then two,
// then one.
TEXT ·distBlockList(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ dim+8(FP), DX
	MOVQ idx+24(FP), BX
	MOVQ n+32(FP), R13
	MOVQ out+40(FP), DI
	MOVQ DX, R12
	SHLQ $5, R12
	MOVQ DX, AX
	ANDQ $~1, AX
	SHLQ $3, AX

four:
	CMPQ R13, $4
	JB   two
	MOVLQSX 0(BX), R8
	IMULQ   R12, R8
	ADDQ    data+16(FP), R8
	MOVLQSX 4(BX), R9
	IMULQ   R12, R9
	ADDQ    data+16(FP), R9
	MOVLQSX 8(BX), R10
	IMULQ   R12, R10
	ADDQ    data+16(FP), R10
	MOVLQSX 12(BX), R11
	IMULQ   R12, R11
	ADDQ    data+16(FP), R11
	BLK4(loop4, tail4, done4)
	ADDQ $16, BX
	ADDQ $128, DI
	SUBQ $4, R13
	JMP  four

two:
	CMPQ R13, $2
	JB   one
	MOVLQSX 0(BX), R8
	IMULQ   R12, R8
	ADDQ    data+16(FP), R8
	MOVLQSX 4(BX), R9
	IMULQ   R12, R9
	ADDQ    data+16(FP), R9
	BLK2(loop2, tail2, done2)
	ADDQ $8, BX
	ADDQ $64, DI
	SUBQ $2, R13

one:
	TESTQ R13, R13
	JZ    end
	MOVLQSX 0(BX), R8
	IMULQ   R12, R8
	ADDQ    data+16(FP), R8
	BLK1(loop1, tail1, done1)

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

DATA inf64<>+0(SB)/8, $0x7ff0000000000000
GLOBL inf64<>(SB), RODATA|NOPTR, $8
DATA four64<>+0(SB)/8, $0x4010000000000000
GLOBL four64<>(SB), RODATA|NOPTR, $8
DATA lanes64<>+0(SB)/8, $0
DATA lanes64<>+8(SB)/8, $0x3ff0000000000000
DATA lanes64<>+16(SB)/8, $0x4000000000000000
DATA lanes64<>+24(SB)/8, $0x4008000000000000
GLOBL lanes64<>(SB), RODATA|NOPTR, $32

// MERGE combines, lane by lane, the smallest distance Y0, the second
// smallest Y1 and the position of the smallest Y2 with those of other
// lanes in Y8, Y9 and Y10: the smallest of the two smallest, the
// smallest of the larger one and both second smallest, and the position
// of the strictly smaller one (the lower position on ties). It uses Y7,
// Y11 and Y12.
#define MERGE \
	VMAXPD    Y8, Y0, Y11 \
	VMINPD    Y9, Y1, Y1 \
	VMINPD    Y11, Y1, Y1 \
	VCMPPD    $1, Y0, Y8, Y11 \
	VCMPPD    $0, Y0, Y8, Y12 \
	VMINPD    Y10, Y2, Y7 \
	VBLENDVPD Y11, Y10, Y2, Y2 \
	VBLENDVPD Y12, Y7, Y2, Y2 \
	VMINPD    Y8, Y0, Y0

// func groupMins(dists *float64, nblocks *int32, groups int, out *float64)
// Each lane keeps the smallest distance it has seen, the second
// smallest (max of the old smallest and the new value, if smaller) and
// the position of the smallest (a float64, replaced only when strictly
// smaller, so the first one on ties); the lanes are then merged across
// the halves of the register and within them.
TEXT ·groupMins(SB), NOSPLIT, $0-32
	MOVQ dists+0(FP), SI
	MOVQ nblocks+8(FP), BX
	MOVQ groups+16(FP), CX
	MOVQ out+24(FP), DI
	VBROADCASTSD inf64<>(SB), Y15
	VMOVUPD      lanes64<>(SB), Y14
	VBROADCASTSD four64<>(SB), Y13

group:
	MOVLQSX (BX), DX
	VMOVUPD (SI), Y0
	VMOVAPD Y15, Y1
	VMOVAPD Y14, Y2
	VMOVAPD Y14, Y3
	ADDQ    $32, SI
	DECQ    DX
	JZ      reduce

block:
	VADDPD    Y13, Y3, Y3
	VMOVUPD   (SI), Y5
	VCMPPD    $1, Y0, Y5, Y6
	VMAXPD    Y0, Y5, Y7
	VMINPD    Y7, Y1, Y1
	VMINPD    Y5, Y0, Y0
	VBLENDVPD Y6, Y3, Y2, Y2
	ADDQ      $32, SI
	DECQ      DX
	JNZ       block

reduce:
	VPERM2F128 $0x01, Y0, Y0, Y8
	VPERM2F128 $0x01, Y1, Y1, Y9
	VPERM2F128 $0x01, Y2, Y2, Y10
	MERGE
	VPERMILPD $5, Y0, Y8
	VPERMILPD $5, Y1, Y9
	VPERMILPD $5, Y2, Y10
	MERGE
	VMOVSD X0, (DI)
	VMOVSD X1, 8(DI)
	VMOVSD X2, 16(DI)
	ADDQ   $24, DI
	ADDQ   $4, BX
	DECQ   CX
	JNZ    group
	VZEROUPPER
	RET

// PAIRCOL adds to acc, lane by lane, the squared difference of column
// CX/8 of the rows at R8-R11 and the centroids at R12, R13, SI and BX,
// and moves CX to the next column. It uses Y0-Y3.
#define PAIRCOL(acc) \
	VMOVSD      (R8)(CX*1), X0 \
	VMOVHPD     (R9)(CX*1), X0, X0 \
	VMOVSD      (R10)(CX*1), X1 \
	VMOVHPD     (R11)(CX*1), X1, X1 \
	VINSERTF128 $1, X1, Y0, Y0 \
	VMOVSD      (R12)(CX*1), X2 \
	VMOVHPD     (R13)(CX*1), X2, X2 \
	VMOVSD      (SI)(CX*1), X3 \
	VMOVHPD     (BX)(CX*1), X3, X3 \
	VINSERTF128 $1, X3, Y2, Y2 \
	VSUBPD      Y2, Y0, Y0 \
	VFMADD231PD Y0, Y0, acc \
	ADDQ        $8, CX

// func distPairs(x0, c0, x1, c1, x2, c2, x3, c3 *float64, dim int, out *[4]float64)
// Four columns at a time: each pair's differences are loaded as a row,
// the 4x4 block is transposed so that each register holds one column of
// the four pairs, and columns go to the even or the odd sums in order;
// then the last columns one at a time.
TEXT ·distPairs(SB), NOSPLIT, $0-80
	MOVQ x0+0(FP), R8
	MOVQ c0+8(FP), R12
	MOVQ x1+16(FP), R9
	MOVQ c1+24(FP), R13
	MOVQ x2+32(FP), R10
	MOVQ c2+40(FP), SI
	MOVQ x3+48(FP), R11
	MOVQ c3+56(FP), BX
	MOVQ dim+64(FP), DX
	MOVQ out+72(FP), DI
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	MOVQ  DX, AX
	ANDQ  $~3, AX
	SHLQ  $3, AX
	XORQ  CX, CX
	TESTQ AX, AX
	JZ    pairtail

pairblock:
	VMOVUPD    (R8)(CX*1), Y0
	VSUBPD     (R12)(CX*1), Y0, Y0
	VMOVUPD    (R9)(CX*1), Y1
	VSUBPD     (R13)(CX*1), Y1, Y1
	VMOVUPD    (R10)(CX*1), Y2
	VSUBPD     (SI)(CX*1), Y2, Y2
	VMOVUPD    (R11)(CX*1), Y3
	VSUBPD     (BX)(CX*1), Y3, Y3
	VUNPCKLPD  Y1, Y0, Y4
	VUNPCKHPD  Y1, Y0, Y5
	VUNPCKLPD  Y3, Y2, Y6
	VUNPCKHPD  Y3, Y2, Y7
	VPERM2F128 $0x20, Y6, Y4, Y0
	VPERM2F128 $0x20, Y7, Y5, Y1
	VPERM2F128 $0x31, Y6, Y4, Y2
	VPERM2F128 $0x31, Y7, Y5, Y3
	VFMADD231PD Y0, Y0, Y8
	VFMADD231PD Y1, Y1, Y9
	VFMADD231PD Y2, Y2, Y8
	VFMADD231PD Y3, Y3, Y9
	ADDQ       $32, CX
	CMPQ       CX, AX
	JB         pairblock

pairtail:
	// DX-AX/8 columns are left, 0 to 3; the first of them is even.
	ANDQ $3, DX
	JZ   pairdone
	PAIRCOL(Y8)
	DECQ DX
	JZ   pairdone
	PAIRCOL(Y9)
	DECQ DX
	JZ   pairdone
	PAIRCOL(Y8)

pairdone:
	VADDPD  Y9, Y8, Y8
	VMOVUPD Y8, (DI)
	VZEROUPPER
	RET

// BLK4S stores at (DI) the float32 squared distances between the row at
// SI (DX float32 values) and the 32 centroids of the 4 float32 blocks at
// R8, R9, R10 and R11, one lane per centroid: the even columns' squares
// summed into one register and the odd columns' into another (a fused
// multiply-add per column), then the two added, as distBlock32Go does.
// A column of a block is 32 bytes, 8 times a value of the row. AX must
// hold the byte offset of the first column of the row past the even
// pairs, (DX &^ 1) * 4. It uses CX, Y0-Y7 and Y8-Y13.
#define BLK4S(loop, tail, done) \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7 \
	XORQ   CX, CX \
	TESTQ  AX, AX \
	JZ     tail \
loop: \
	VBROADCASTSS (SI)(CX*1), Y8 \
	VBROADCASTSS 4(SI)(CX*1), Y9 \
	VSUBPS (R8)(CX*8), Y8, Y10 \
	VSUBPS 32(R8)(CX*8), Y9, Y11 \
	VSUBPS (R9)(CX*8), Y8, Y12 \
	VSUBPS 32(R9)(CX*8), Y9, Y13 \
	VFMADD231PS Y10, Y10, Y0 \
	VFMADD231PS Y11, Y11, Y1 \
	VFMADD231PS Y12, Y12, Y2 \
	VFMADD231PS Y13, Y13, Y3 \
	VSUBPS (R10)(CX*8), Y8, Y10 \
	VSUBPS 32(R10)(CX*8), Y9, Y11 \
	VSUBPS (R11)(CX*8), Y8, Y12 \
	VSUBPS 32(R11)(CX*8), Y9, Y13 \
	VFMADD231PS Y10, Y10, Y4 \
	VFMADD231PS Y11, Y11, Y5 \
	VFMADD231PS Y12, Y12, Y6 \
	VFMADD231PS Y13, Y13, Y7 \
	ADDQ   $8, CX \
	CMPQ   CX, AX \
	JB     loop \
tail: \
	TESTQ  $1, DX \
	JZ     done \
	VBROADCASTSS (SI)(CX*1), Y8 \
	VSUBPS (R8)(CX*8), Y8, Y10 \
	VSUBPS (R9)(CX*8), Y8, Y11 \
	VSUBPS (R10)(CX*8), Y8, Y12 \
	VSUBPS (R11)(CX*8), Y8, Y13 \
	VFMADD231PS Y10, Y10, Y0 \
	VFMADD231PS Y11, Y11, Y2 \
	VFMADD231PS Y12, Y12, Y4 \
	VFMADD231PS Y13, Y13, Y6 \
done: \
	VADDPS Y1, Y0, Y0 \
	VADDPS Y3, Y2, Y2 \
	VADDPS Y5, Y4, Y4 \
	VADDPS Y7, Y6, Y6 \
	VMOVUPS Y0, (DI) \
	VMOVUPS Y2, 32(DI) \
	VMOVUPS Y4, 64(DI) \
	VMOVUPS Y6, 96(DI)

// BLK1S is BLK4S for the one block at R8. It uses CX, Y0-Y1 and
// Y8-Y11.
#define BLK1S(loop, tail, done) \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	XORQ   CX, CX \
	TESTQ  AX, AX \
	JZ     tail \
loop: \
	VBROADCASTSS (SI)(CX*1), Y8 \
	VBROADCASTSS 4(SI)(CX*1), Y9 \
	VSUBPS (R8)(CX*8), Y8, Y10 \
	VSUBPS 32(R8)(CX*8), Y9, Y11 \
	VFMADD231PS Y10, Y10, Y0 \
	VFMADD231PS Y11, Y11, Y1 \
	ADDQ   $8, CX \
	CMPQ   CX, AX \
	JB     loop \
tail: \
	TESTQ  $1, DX \
	JZ     done \
	VBROADCASTSS (SI)(CX*1), Y8 \
	VSUBPS (R8)(CX*8), Y8, Y10 \
	VFMADD231PS Y10, Y10, Y0 \
done: \
	VADDPS Y1, Y0, Y0 \
	VMOVUPS Y0, (DI)

// func distBlockList32(x *float32, dim int, data *float32, idx *int32, n int, out *float32)
// The blocks idx[0], ..., idx[n-1] of data, four at a time, then one at
// a time. A float32 block takes dim*32 bytes, as a float64 block does.
TEXT ·distBlockList32(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ dim+8(FP), DX
	MOVQ idx+24(FP), BX
	MOVQ n+32(FP), R13
	MOVQ out+40(FP), DI
	MOVQ DX, R12
	SHLQ $5, R12
	MOVQ DX, AX
	ANDQ $~1, AX
	SHLQ $2, AX

four:
	CMPQ R13, $4
	JB   one
	MOVLQSX 0(BX), R8
	IMULQ   R12, R8
	ADDQ    data+16(FP), R8
	MOVLQSX 4(BX), R9
	IMULQ   R12, R9
	ADDQ    data+16(FP), R9
	MOVLQSX 8(BX), R10
	IMULQ   R12, R10
	ADDQ    data+16(FP), R10
	MOVLQSX 12(BX), R11
	IMULQ   R12, R11
	ADDQ    data+16(FP), R11
	BLK4S(loop4, tail4, done4)
	ADDQ $16, BX
	ADDQ $128, DI
	SUBQ $4, R13
	JMP  four

one:
	TESTQ R13, R13
	JZ    end
	MOVLQSX 0(BX), R8
	IMULQ   R12, R8
	ADDQ    data+16(FP), R8
	BLK1S(loop1, tail1, done1)
	ADDQ $4, BX
	ADDQ $32, DI
	DECQ R13
	JMP  one

end:
	VZEROUPPER
	RET

DATA inf32<>+0(SB)/4, $0x7f800000
GLOBL inf32<>(SB), RODATA|NOPTR, $4
DATA eight32<>+0(SB)/4, $0x41000000
GLOBL eight32<>(SB), RODATA|NOPTR, $4
DATA pos32<>+0(SB)/4, $0
DATA pos32<>+4(SB)/4, $0x3f800000
DATA pos32<>+8(SB)/4, $0x40000000
DATA pos32<>+12(SB)/4, $0x40400000
DATA pos32<>+16(SB)/4, $0x40800000
DATA pos32<>+20(SB)/4, $0x40a00000
DATA pos32<>+24(SB)/4, $0x40c00000
DATA pos32<>+28(SB)/4, $0x40e00000
GLOBL pos32<>(SB), RODATA|NOPTR, $32

// MERGES is MERGE for eight float32 lanes.
#define MERGES \
	VMAXPS    Y8, Y0, Y11 \
	VMINPS    Y9, Y1, Y1 \
	VMINPS    Y11, Y1, Y1 \
	VCMPPS    $1, Y0, Y8, Y11 \
	VCMPPS    $0, Y0, Y8, Y12 \
	VMINPS    Y10, Y2, Y7 \
	VBLENDVPS Y11, Y10, Y2, Y2 \
	VBLENDVPS Y12, Y7, Y2, Y2 \
	VMINPS    Y8, Y0, Y0

// func groupMins32(dists *float32, nblocks *int32, groups int, out *groupMin32)
// groupMins for float32 distances, eight lanes: each group's smallest
// distance, second smallest and the position of the smallest (a float32
// in the lanes, exact below 2^24, written as an int32).
TEXT ·groupMins32(SB), NOSPLIT, $0-32
	MOVQ dists+0(FP), SI
	MOVQ nblocks+8(FP), BX
	MOVQ groups+16(FP), CX
	MOVQ out+24(FP), DI
	VBROADCASTSS inf32<>(SB), Y15
	VMOVUPS      pos32<>(SB), Y14
	VBROADCASTSS eight32<>(SB), Y13

group32:
	MOVLQSX (BX), DX
	VMOVUPS (SI), Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y14, Y2
	VMOVAPS Y14, Y3
	ADDQ    $32, SI
	DECQ    DX
	JZ      reduce32

block32:
	VADDPS    Y13, Y3, Y3
	VMOVUPS   (SI), Y5
	VCMPPS    $1, Y0, Y5, Y6
	VMAXPS    Y0, Y5, Y7
	VMINPS    Y7, Y1, Y1
	VMINPS    Y5, Y0, Y0
	VBLENDVPS Y6, Y3, Y2, Y2
	ADDQ      $32, SI
	DECQ      DX
	JNZ       block32

reduce32:
	VPERM2F128 $0x01, Y0, Y0, Y8
	VPERM2F128 $0x01, Y1, Y1, Y9
	VPERM2F128 $0x01, Y2, Y2, Y10
	MERGES
	VPERMILPS $0x4e, Y0, Y8
	VPERMILPS $0x4e, Y1, Y9
	VPERMILPS $0x4e, Y2, Y10
	MERGES
	VPERMILPS $0xb1, Y0, Y8
	VPERMILPS $0xb1, Y1, Y9
	VPERMILPS $0xb1, Y2, Y10
	MERGES
	VMOVSS     X0, (DI)
	VMOVSS     X1, 4(DI)
	VCVTTSS2SI X2, R9
	MOVL       R9, 8(DI)
	ADDQ       $12, DI
	ADDQ       $4, BX
	DECQ       CX
	JNZ        group32
	VZEROUPPER
	RET

// func convert32(x *float64, n int, out *float32)
// Four values at a time; n is a positive multiple of 4.
TEXT ·convert32(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	XORQ AX, AX

convert:
	VCVTPD2PSY (SI)(AX*8), X0
	VMOVUPS    X0, (DI)(AX*4)
	ADDQ       $4, AX
	CMPQ       AX, CX
	JB         convert
	VZEROUPPER
	RET
