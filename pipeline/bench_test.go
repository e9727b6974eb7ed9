package pipeline

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/examples/synth"
	"github.com/tailor-mail/tailor/pipeline/ingest"
	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

// benchData returns cardholders.csv and transactions.csv of about rows
// transactions, made by the example generator once and kept in the
// system's temporary directory between benchmark runs.
func benchData(b *testing.B, rows int) (holders, txs string) {
	b.Helper()
	// synth makes about 19.5 transactions per cardholder over 13 months.
	n := max(rows*2/39, 1)
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tailor-bench-%d", n))
	holders, txs = filepath.Join(dir, "cardholders.csv"), filepath.Join(dir, "transactions.csv")
	if _, err := os.Stat(txs); err == nil {
		return holders, txs
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	err := rundir.WriteFile(holders, func(hw io.Writer) error {
		return rundir.WriteFile(txs, func(tw io.Writer) error {
			hb, tb := bufio.NewWriter(hw), bufio.NewWriterSize(tw, 1<<20)
			_, err := synth.Generate(context.Background(), synth.Config{Cardholders: n, EndMonth: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}, hb, tb)
			if err != nil {
				return err
			}
			if err := hb.Flush(); err != nil {
				return err
			}
			return tb.Flush()
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return holders, txs
}

// benchRows is the size of the ingest benchmarks: 5 million transactions,
// or TAILOR_BENCH_ROWS.
func benchRows(b *testing.B) int {
	if s := os.Getenv("TAILOR_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("TAILOR_BENCH_ROWS=%q: %v", s, err)
		}
		return n
	}
	return 5_000_000
}

// BenchmarkIngestProfile reads the transactions with tailor's ingest (parse
// workers on every core) and aggregates them into profiles.
func BenchmarkIngestProfile(b *testing.B) {
	holdersPath, txPath := benchData(b, benchRows(b))
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(txPath)
	b.SetBytes(fi.Size())
	end := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var rows int
	for b.Loop() {
		hf, _ := os.Open(holdersPath)
		set, _, err := ingest.ReadCardholders(context.Background(), hf, "cardholders.csv", ingest.Options{}, nil)
		hf.Close()
		if err != nil {
			b.Fatal(err)
		}
		builder := profile.NewBuilder(tax, set.List, profile.Options{End: end})
		tf, _ := os.Open(txPath)
		st, merchants, err := ingest.ReadTransactions(context.Background(), tf, "transactions.csv", ingest.Options{Classifier: tax}, set, nil,
			func(recs []ingest.Record) error { builder.AddRecords(recs); return nil })
		tf.Close()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := builder.Profiles(context.Background(), merchants.Name); err != nil {
			b.Fatal(err)
		}
		rows = st.Read
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkIngestProfilePlain does the same aggregation the plain way: one
// goroutine, encoding/csv, strconv and time.Parse, a map per cardholder,
// and a map of merchants per cardholder for the favourites. It computes
// what the profiles hold: spend and share per interest, transactions,
// active months, recency, trend, average ticket, online and foreign
// shares, the favourite merchant overall and per interest. It is the
// baseline BenchmarkIngestProfile is measured against.
func BenchmarkIngestProfilePlain(b *testing.B) {
	holdersPath, txPath := benchData(b, benchRows(b))
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(txPath)
	b.SetBytes(fi.Size())
	from := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	recentFrom := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	type acc struct {
		spend                  []int64
		n, purchases           int
		months                 map[int]bool
		last                   time.Time
		gross, online, foreign int64
		recent, prior          int64
		merchants              map[string]int64 // interest + "\x00" + merchant -> spend
	}
	type result struct {
		shares           []float64
		trend, avgTicket float64
		recency          int
		favourite        string
		top              map[int]string
	}
	var rows int
	for b.Loop() {
		known := map[string]bool{}
		hf, _ := os.Open(holdersPath)
		hr := csv.NewReader(bufio.NewReader(hf))
		hr.Read()
		for {
			rec, err := hr.Read()
			if err == io.EOF {
				break
			}
			if err == nil {
				known[rec[0]] = true
			}
		}
		hf.Close()
		accs := map[string]*acc{}
		tf, _ := os.Open(txPath)
		r := csv.NewReader(bufio.NewReaderSize(tf, 1<<20))
		r.ReuseRecord = true
		r.Read()
		rows = 0
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			rows++
			if err != nil || len(rec) != 8 || !known[rec[0]] {
				continue
			}
			d, err := time.Parse("2006-01-02", rec[1])
			if err != nil || d.Before(from) || !d.Before(to) {
				continue
			}
			f, err := strconv.ParseFloat(rec[2], 64)
			if err != nil {
				continue
			}
			cents := int64(math.Round(f * 100))
			k, _ := tax.Lookup(rec[4])
			a := accs[rec[0]]
			if a == nil {
				a = &acc{spend: make([]int64, tax.Len()), months: map[int]bool{}, merchants: map[string]int64{}}
				accs[rec[0]] = a
			}
			a.spend[k] += cents
			a.n++
			a.months[int(d.Month())] = true
			if d.After(a.last) {
				a.last = d
			}
			if d.Before(recentFrom) {
				a.prior += cents
			} else {
				a.recent += cents
			}
			if cents > 0 {
				a.gross += cents
				a.purchases++
				a.merchants[strconv.Itoa(k)+"\x00"+strings.ToLower(rec[5])] += cents
				if rec[6] == "online" {
					a.online += cents
				}
				if rec[7] != "US" {
					a.foreign += cents
				}
			}
		}
		tf.Close()
		out := make(map[string]result, len(accs))
		for id, a := range accs {
			var total int64
			for _, v := range a.spend {
				total += max(v, 0)
			}
			res := result{shares: make([]float64, len(a.spend)), top: map[int]string{}, recency: int(to.Sub(a.last).Hours() / 24)}
			for i, v := range a.spend {
				if total > 0 && v > 0 {
					res.shares[i] = float64(v) / float64(total)
				}
			}
			if a.purchases > 0 {
				res.avgTicket = float64(a.gross) / float64(a.purchases)
			}
			rec, pri := float64(max(a.recent, 0))/3, float64(max(a.prior, 0))/9
			if rec+pri > 0 {
				res.trend = (rec - pri) / (rec + pri)
			}
			best := map[int]int64{}
			var fav int64
			for key, v := range a.merchants {
				ks, name, _ := strings.Cut(key, "\x00")
				k, _ := strconv.Atoi(ks)
				if v > best[k] {
					best[k], res.top[k] = v, name
				}
				if v > fav {
					fav, res.favourite = v, name
				}
			}
			out[id] = res
		}
		if len(out) == 0 {
			b.Fatal("no profiles")
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkProfileMemory profiles a million cardholders (few transactions
// each: memory must grow with cardholders, not rows) and reports the peak
// heap and the bytes per cardholder. TAILOR_BENCH_ROWS scales the row count.
func BenchmarkProfileMemory(b *testing.B) {
	const cardholders = 1_000_000
	holdersPath, txPath := benchData(b, cardholders*39/2)
	tax, err := profile.DefaultTaxonomy()
	if err != nil {
		b.Fatal(err)
	}
	end := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		runtime.GC()
		var peak uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var ms runtime.MemStats
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		hf, _ := os.Open(holdersPath)
		set, _, err := ingest.ReadCardholders(context.Background(), hf, "cardholders.csv", ingest.Options{}, nil)
		hf.Close()
		if err != nil {
			b.Fatal(err)
		}
		builder := profile.NewBuilder(tax, set.List, profile.Options{End: end})
		tf, _ := os.Open(txPath)
		_, merchants, err := ingest.ReadTransactions(context.Background(), tf, "transactions.csv", ingest.Options{Classifier: tax}, set, nil,
			func(recs []ingest.Record) error { builder.AddRecords(recs); return nil })
		tf.Close()
		if err != nil {
			b.Fatal(err)
		}
		ps, err := builder.Profiles(context.Background(), merchants.Name)
		if err != nil {
			b.Fatal(err)
		}
		close(stop)
		<-done
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		b.ReportMetric(float64(peak)/float64(len(ps)), "bytes/cardholder")
	}
}
