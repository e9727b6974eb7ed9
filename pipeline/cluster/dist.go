package cluster

// Batched distances.
//
// sqDistSlots and sqDistRows compute many distances from one row at
// once. On amd64 with AVX they run an assembly kernel (dist_amd64.s)
// that computes four distances at a time, one vector lane per centroid:
// it loads four consecutive columns of each of the four centroids,
// squares the differences, transposes the 4x4 block and adds its
// columns to the lanes one after the other, with separate multiplies and
// adds (no FMA). Each lane therefore adds the squared differences in
// column order, rounding as sqDist1 does, and the results are the same
// bit for bit as the pure-Go code that runs elsewhere and for the
// remainder of a batch.

// sqDistSlots sets out[n], for every n < len(slots), to the squared
// distance between x and the centroid at base[slots[n]*len(x):], as
// sqDist1 computes it. The slots must be non-negative and their
// centroids within base; out must be at least as long as slots.
func sqDistSlots(x, base []float64, slots []int32, out []float64) {
	dim := len(x)
	out = out[:len(slots)]
	n := sqDistSlotsArch(x, base, slots, out)
	for ; n+4 <= len(slots); n += 4 {
		s0, s1, s2, s3 := int(slots[n])*dim, int(slots[n+1])*dim, int(slots[n+2])*dim, int(slots[n+3])*dim
		out[n], out[n+1], out[n+2], out[n+3] = sqDist4(x, base[s0:s0+dim], base[s1:s1+dim], base[s2:s2+dim], base[s3:s3+dim])
	}
	for ; n < len(slots); n++ {
		s := int(slots[n]) * dim
		out[n] = sqDist1(x, base[s:s+dim])
	}
}

// sqDistRows sets out[j], for every j < len(out), to the squared
// distance between x and centroids[j*len(x):(j+1)*len(x)], as sqDist1
// computes it. centroids must hold at least len(out) of them.
func sqDistRows(x, centroids, out []float64) {
	dim := len(x)
	centroids = centroids[:len(out)*dim]
	n := sqDistRowsArch(x, centroids, out)
	for ; n+4 <= len(out); n += 4 {
		c := centroids[n*dim : (n+4)*dim]
		out[n], out[n+1], out[n+2], out[n+3] = sqDist4(x, c[:dim], c[dim:2*dim], c[2*dim:3*dim], c[3*dim:4*dim])
	}
	for ; n < len(out); n++ {
		out[n] = sqDist1(x, centroids[n*dim:(n+1)*dim])
	}
}

// filterGroups sets each lower[g] to shrink32(lower[g], moved[g]) and
// appends to idx, in ascending order, the groups g whose new bound is at
// most limit; it returns idx and the smallest new bound of the other
// groups (math.MaxFloat32 if there is none). moved must be at least as
// long as lower.
func filterGroups(lower, moved []float32, limit float32, idx []int32) ([]int32, float32) {
	idx, kept, n := filterGroupsArch(lower, moved, limit, idx)
	idx, rest := filterGroupsGo(lower[n:], moved[n:len(lower)], limit, idx, int32(n))
	return idx, min(kept, rest)
}
