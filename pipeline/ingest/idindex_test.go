package ingest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// indexIDs returns n distinct ids of the given kind: short ones; ids at
// and around the lengths where slots grow (11, 27 and 59 bytes); UUIDs;
// long ids sharing a prefix longer than what a slot holds, so that only
// their tails tell them apart; ids of 255 bytes and more; and a mix of
// lengths growing, so that the slots grow while ids are added.
func indexIDs(kind string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		switch kind {
		case "short":
			ids[i] = fmt.Sprintf("C%07d", i)
		case "edge":
			ids[i] = fmt.Sprintf("%0*d", []int{10, 11, 12, 26, 27, 28, 58, 59, 60}[i%9], i)
		case "uuid":
			ids[i] = fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", i*2654435761%(1<<32), i%65536, i%4096, i%4093, i)
		case "long":
			ids[i] = strings.Repeat("ACCOUNT-", 8) + fmt.Sprint(i)
		case "huge":
			ids[i] = strings.Repeat("x", 250+i%10) + fmt.Sprint(i)
		case "mixed":
			ids[i] = strings.Repeat("m", []int{1, 12, 30, 62}[i*4/n]) + fmt.Sprint(i)
		}
	}
	return ids
}

// The index finds every id it holds at its position, and no other id: ids
// that share what a slot holds and differ after it, ids one byte longer or
// shorter; it grows from a small size hint, keeps the first position of an
// id added twice, or the last when told to replace.
func TestIDIndex(t *testing.T) {
	for _, kind := range []string{"short", "edge", "uuid", "long", "huge", "mixed"} {
		for _, hint := range []int{0, 10, 5000} {
			t.Run(fmt.Sprintf("%s/hint%d", kind, hint), func(t *testing.T) {
				ids := indexIDs(kind, 3000)
				var list []Cardholder
				x := newIDIndex(hint)
				for i, id := range ids {
					if pos, added := x.add(id, int32(i), list, false); !added || pos != int32(i) {
						t.Fatalf("add(%q) = %d, %v; want %d, true", id, pos, added, i)
					}
					list = append(list, Cardholder{ID: id})
				}
				if x.Len() != len(ids) {
					t.Fatalf("Len = %d, want %d", x.Len(), len(ids))
				}
				if want := map[string]int{"short": 16, "edge": 64, "uuid": 64, "long": 64, "huge": 64, "mixed": 64}[kind]; x.stride != want {
					t.Errorf("slots of %d bytes, want %d", x.stride, want)
				}
				for i, id := range ids {
					if pos, ok := x.get(id, list); !ok || pos != int32(i) {
						t.Fatalf("get(%q) = %d, %v; want %d", id, pos, ok, i)
					}
					if pos, ok := x.getHashed(x.hashOfBytes([]byte(id)), id, list); !ok || pos != int32(i) {
						t.Fatalf("getFrom(%q) = %d, %v; want %d", id, pos, ok, i)
					}
					for _, other := range []string{id + "0", id[:len(id)-1], id[:len(id)-1] + "#", "#" + id[1:]} {
						if slices.Contains(ids, other) {
							continue
						}
						if pos, ok := x.get(other, list); ok {
							t.Fatalf("get(%q) = %d, found; the index holds no such id", other, pos)
						}
					}
				}
				// Added again: the first position stands, or the new one
				// replaces it.
				if pos, added := x.add(ids[7], 99999, list, false); added || pos != 7 {
					t.Errorf("add of a held id = %d, %v; want 7, false", pos, added)
				}
				list = append(list, Cardholder{ID: ids[7]})
				if pos, added := x.add(ids[7], int32(len(list)-1), list, true); added || pos != int32(len(list)-1) {
					t.Errorf("replacing add = %d, %v; want %d, false", pos, added, len(list)-1)
				}
				if pos, _ := x.get(ids[7], list); pos != int32(len(list)-1) {
					t.Errorf("after replacing, get = %d, want %d", pos, len(list)-1)
				}
				if x.Len() != len(ids) {
					t.Errorf("Len = %d after adding held ids, want %d", x.Len(), len(ids))
				}
			})
		}
	}
	var nilIndex *idIndex
	if _, ok := nilIndex.get("C1", nil); ok || nilIndex.Len() != 0 {
		t.Error("an index never made holds something")
	}
}

// holdersFile returns a transactions file of rows over ids in an order
// given by seed, with unknown cardholders, rows with other faults (some
// of unknown cardholders too), quoted ids and runs of one cardholder's
// rows; and, for each row, the id it names, or "" when it has no
// cardholder to find.
func holdersFile(ids []string, rows int, seed uint64) (string, []string) {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("cardholder_id,posted_on,amount,mcc\n")
	names := make([]string, 0, rows)
	for i := 0; i < rows; i++ {
		id := ids[r.IntN(len(ids))]
		switch r.IntN(20) {
		case 0:
			id = fmt.Sprintf("U%d", r.IntN(50)) // unknown
		case 1:
			if len(names) > 0 && names[len(names)-1] != "" {
				id = names[len(names)-1] // a run of one cardholder
			}
		}
		amount := "1.00"
		if r.IntN(15) == 0 {
			amount = "x" // another fault
		}
		field := id
		if r.IntN(10) == 0 {
			field = `"` + id + `"`
		}
		fmt.Fprintf(&b, "%s,2026-10-%02d,%s,5812\n", field, 1+r.IntN(28), amount)
		names = append(names, id)
	}
	return b.String(), names
}

// Looked up in groups, cardholders are those the id names, in files in
// any order; a row whose cardholder is unknown is rejected for it even
// when another field is faulty too, and rejects come in line order,
// whatever the number of workers and the chunk boundaries.
func TestHoldersLookedUpTogether(t *testing.T) {
	for _, kind := range []string{"short", "uuid", "long"} {
		ids := indexIDs(kind, 500)
		list := make([]Cardholder, len(ids))
		pos := map[string]int32{}
		for i, id := range ids {
			list[i], pos[id] = Cardholder{ID: id}, int32(i)
		}
		set := NewCardholderSet(list)
		set.rejected = map[string]int{"U3": 17}
		for seed := range uint64(4) {
			in, names := holdersFile(ids, 3000, seed)
			var wantHolders []int32
			var wantLines []int
			var wantErrs []error
			for i, id := range names {
				line := i + 2
				h, known := pos[id]
				bad := strings.Contains(strings.Split(in, "\n")[i+1], ",x,")
				switch {
				case !known:
					wantLines, wantErrs = append(wantLines, line), append(wantErrs, ErrUnknownHolder)
				case bad:
					wantLines, wantErrs = append(wantLines, line), append(wantErrs, ErrNotNumber)
				default:
					wantHolders = append(wantHolders, h)
				}
			}
			for _, tc := range []struct{ workers, chunk int }{{1, 0}, {2, 4096}, {3, 700}} {
				var rej recorder
				var got []int32
				st, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "t.csv",
					Options{Classifier: classes{}, Workers: tc.workers, chunkSize: tc.chunk}, set, &rej,
					func(rs []Record) error {
						for _, r := range rs {
							got = append(got, r.Holder)
						}
						return nil
					})
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s ids, seed %d, %d workers, chunk %d", kind, seed, tc.workers, tc.chunk)
				if st.Read != len(names) || st.Accepted != len(wantHolders) || st.Rejected != len(wantLines) {
					t.Errorf("%s: read %d = accepted %d + rejected %d, want %d = %d + %d", name, st.Read, st.Accepted, st.Rejected,
						len(names), len(wantHolders), len(wantLines))
				}
				if !slices.Equal(got, wantHolders) {
					t.Errorf("%s: holders differ from the ids' (first of %d: %v)", name, len(got), got[:min(len(got), 10)])
				}
				var lines []int
				for i, e := range rej.errs {
					lines = append(lines, e.Line)
					if i < len(wantErrs) && !strings.Contains(e.Error(), wantErrs[i].Error()) {
						t.Errorf("%s: line %d rejected for %v, want %v", name, e.Line, e, wantErrs[i])
					}
					if e.Err == ErrUnknownHolder && e.Value == "U3" && !strings.Contains(e.Detail, "line 17") {
						t.Errorf("%s: line %d: %q, want the rejected row's line", name, e.Line, e.Detail)
					}
					if wantRaw := strings.Split(in, "\n")[e.Line-1]; rej.raw[i] != wantRaw+"\n" && rej.raw[i] != wantRaw {
						t.Errorf("%s: line %d's reject carries %q, want %q", name, e.Line, rej.raw[i], wantRaw)
					}
				}
				if !slices.Equal(lines, wantLines) {
					t.Errorf("%s: rejected lines %v, want %v", name, lines, wantLines)
				}
			}
		}
	}
}

// BenchmarkIDIndex looks up a million cardholder ids in random order, as a
// file in date order does, in the index and in a map of strings: one by
// one, and in groups of lookAhead whose slots are read first.
func BenchmarkIDIndex(b *testing.B) {
	const n = 1_000_000
	ids := indexIDs("short", n)
	list := make([]Cardholder, n)
	m := make(map[string]int32, n)
	x := newIDIndex(n)
	for i, id := range ids {
		list[i] = Cardholder{ID: id}
		m[id] = int32(i)
		x.add(id, int32(i), list, false)
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	keys := make([][]byte, n)
	for i, k := range order {
		keys[i] = []byte(ids[k])
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "lookups/s")
	}
	b.Run("map", func(b *testing.B) {
		sum := int32(0)
		for b.Loop() {
			for _, k := range keys {
				sum += m[string(k)]
			}
		}
		report(b)
	})
	b.Run("index", func(b *testing.B) {
		sum := int32(0)
		for b.Loop() {
			for _, k := range keys {
				h, _ := x.get(string(k), list)
				sum += h
			}
		}
		report(b)
	})
	b.Run("index-together", func(b *testing.B) {
		hashes := make([]uint64, lookAhead)
		sum := 0
		for b.Loop() {
			for lo := 0; lo < n; lo += lookAhead {
				group := keys[lo:min(lo+lookAhead, n)]
				for i, k := range group {
					hashes[i] = x.hashOfBytes(k)
				}
				sum += x.touch(hashes[:len(group)])
				for i, k := range group {
					h, _ := x.getHashed(hashes[i], string(k), list)
					sum += int(h)
				}
			}
		}
		report(b)
	})
}

// A transactions file whose cardholder ids include a card number is refused
// whole, whether the number comes first, among rows looked up together, or
// on a row with another fault; the error masks the number.
func TestTransactionCardNumberIDs(t *testing.T) {
	ids := indexIDs("uuid", 100)
	list := make([]Cardholder, len(ids))
	for i, id := range ids {
		list[i] = Cardholder{ID: id}
	}
	set := NewCardholderSet(list)
	row := func(id, amount string) string { return id + ",2026-10-01," + amount + ",5812\n" }
	for name, rows := range map[string][]string{
		"first":          {row("4111111111111111", "1.00"), row(ids[0], "1.00")},
		"among others":   {row(ids[3], "1.00"), row(ids[50], "1.00"), row(ids[7], "2.00"), row("4111-1111-1111-1111", "1.00"), row(ids[9], "1.00")},
		"another fault":  {row(ids[3], "1.00"), row(ids[40], "1.00"), row("4111111111111111", "x")},
		"after a repeat": {row(ids[3], "1.00"), row(ids[3], "1.00"), row("4111111111111111", "1.00")},
	} {
		in := "cardholder_id,posted_on,amount,mcc\n" + strings.Join(rows, "")
		_, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "t.csv", Options{Classifier: classes{}}, set, nil,
			func([]Record) error { return nil })
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), `column "cardholder_id" carries card numbers (************1111)`) {
			t.Errorf("%s: %v, want the column refused", name, err)
		}
		if err != nil && strings.Contains(strings.ReplaceAll(err.Error(), "-", ""), "4111111111111111") {
			t.Errorf("%s: the error prints a card number: %v", name, err)
		}
	}
	// UUIDs whose digits would pass for a card number are known ids.
	in := "cardholder_id,posted_on,amount,mcc\n" + row("11511995-3747-3ef8-e555-a3c46f67f72a", "1.00")
	set = NewCardholderSet([]Cardholder{{ID: "11511995-3747-3ef8-e555-a3c46f67f72a"}})
	st, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "t.csv", Options{Classifier: classes{}}, set, nil,
		func([]Record) error { return nil })
	if err != nil || st.Accepted != 1 {
		t.Errorf("a UUID id: %v, %+v", err, st)
	}
}
