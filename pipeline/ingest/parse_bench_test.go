package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Amounts as exports write them, most of them plain.
var benchAmounts = [][]byte{
	[]byte("42.10"), []byte("-5.00"), []byte("1234.56"), []byte("7"), []byte("19.99"),
	[]byte("0.30"), []byte("250.00"), []byte("3.5"),
}

func BenchmarkAmountParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		f    Format
		in   [][]byte
	}{
		{"plain", Format{}, benchAmounts},
		{"thousands", Format{Thousands: ','}, [][]byte{[]byte("1,234.56"), []byte("42.10"), []byte("-12,345.00"), []byte("7")}},
		{"european", Format{Decimal: ',', Thousands: '.'}, [][]byte{[]byte("1.234,56"), []byte("42,10"), []byte("-12.345,00"), []byte("7")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := bc.f.amountParser()
			for i := 0; b.Loop(); i++ {
				if _, err := p.parse(bc.in[i%len(bc.in)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDateParse(b *testing.B) {
	for _, bc := range []struct {
		name, format string
		in           [][]byte
	}{
		{"iso", "", [][]byte{[]byte("2026-10-31"), []byte("2026-01-05"), []byte("2025-02-28")}},
		{"dmy", "dmy", [][]byte{[]byte("31/10/2026"), []byte("05/01/2026"), []byte("28/02/2025")}},
		{"layout", "02 Jan 2006", [][]byte{[]byte("31 Oct 2026"), []byte("05 Jan 2026"), []byte("28 Feb 2025")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p, err := newDateParser(bc.format)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				if _, err := p.parse(bc.in[i%len(bc.in)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchTransactions makes a CSV of n transactions of 1,000 cardholders.
func benchTransactions(n int) (string, []Cardholder) {
	var sb strings.Builder
	sb.WriteString("cardholder_id,posted_on,amount,currency,mcc,merchant,channel,country\n")
	merchants := []string{"Olive & Thyme", "Corner Grocer", "Fuel Stop 24", "Paws Vet", "Skyways"}
	mccs := []string{"5812", "5411", "5541", "0742", "3000"}
	for i := range n {
		fmt.Fprintf(&sb, "C%04d,2026-%02d-%02d,%d.%02d,USD,%s,%s,%s,US\n", i%1000, 1+i/97%12, 1+i%28,
			i%500, i%100, mccs[i%5], merchants[i%5], []string{"online", "in_store"}[i%2])
	}
	list := make([]Cardholder, 1000)
	for i := range list {
		list[i] = Cardholder{ID: fmt.Sprintf("C%04d", i)}
	}
	return sb.String(), list
}

func BenchmarkReadTransactionsCSV(b *testing.B) {
	in, list := benchTransactions(200_000)
	set := NewCardholderSet(list)
	for _, workers := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			opts := Options{Classifier: classes{}, Workers: workers}
			for b.Loop() {
				n := 0
				st, _, err := ReadTransactions(context.Background(), strings.NewReader(in), "t.csv", opts, set, nil,
					func(rs []Record) error { n += len(rs); return nil })
				if err != nil || st.Rejected != 0 || n != 200_000 {
					b.Fatalf("%d records, %+v, %v", n, st, err)
				}
			}
		})
	}
}

func BenchmarkReadFeatures(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("cardholder_id,dining,travel,groceries,balance\n")
	list := make([]Cardholder, 100_000)
	for i := range list {
		list[i] = Cardholder{ID: fmt.Sprintf("C%06d", i)}
		fmt.Fprintf(&sb, "C%06d,0.%02d,0.%02d,0.%02d,%d.%02d\n", i, i%100, i%37, i%53, i%9000, i%100)
	}
	in, set := sb.String(), NewCardholderSet(list)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		tab, _, err := ReadFeatures(context.Background(), strings.NewReader(in), "f.csv", Options{}, nil, set, nil)
		if err != nil || len(tab.Holders) != len(list) {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadCardholdersCSV reads 500,000 cardholders with the file's
// size known, as a run reads its cardholders file.
func BenchmarkReadCardholdersCSV(b *testing.B) {
	const n = 500_000
	var sb strings.Builder
	sb.WriteString("cardholder_id,first_name,last_name,email,locale,tier,member_since,status,cancelled_on,cancel_reason,marketing_consent\n")
	first := []string{"Mei", "James", "Ana", "Oluwaseun", "Zoë"}
	last := []string{"Allen", "Moore", "García", "Okafor", "Lindqvist"}
	for i := range n {
		fmt.Fprintf(&sb, "C%07d,%s,%s,%s%d@example.com,en-US,%s,20%02d-%02d-%02d,active,,,yes\n", i, first[i%5], last[i/5%5],
			[]string{"allen", "moore", "garcia", "okafor", "lindqvist"}[i/5%5], i, []string{"green", "gold", "platinum"}[i%3], i%25, 1+i%12, 1+i%28)
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	opts := Options{SizeHint: int64(len(in))}
	for b.Loop() {
		set, st, err := ReadCardholders(context.Background(), strings.NewReader(in), "c.csv", opts, nil)
		if err != nil || st.Rejected != 0 || len(set.List) != n {
			b.Fatalf("%+v, %v", st, err)
		}
	}
}
