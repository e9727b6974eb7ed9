package synth

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// anchorMCCs is the contract's list of anchor MCCs per interest.
const anchorMCCs = `dining 5812 5813 5814; groceries 5411 5422 5451 5499; fuel 5541 5542; airlines 4511 3000 3001 3005 3008;
lodging 7011 3501 3502 3504; car_rental 7512 3351 3357; travel_services 4722 4411;
transit 4111 4112 4121 4131 4784 7523; entertainment 7832 7922 7929 7991 7996 7999;
digital 4899 5815 5816 5817 5818; fashion 5621 5651 5661 5691 5699; department_stores 5311 5310;
electronics 5732 5734 5045; home_garden 5200 5211 5261 5712 5719; health_beauty 5912 5977 7230 7298;
fitness_sports 7997 5941 5655 7941; education 8211 8220 8299 5942; family_kids 5641 5945 8351;
pets 0742 5995; luxury 5944 5094 5681 5631; auto 5533 7538 7542 5511; charity 8398 8661;
utilities 4900 4814 6300`

// taxonomy is the contract's interest order, without "other".
var taxonomy = []string{"dining", "groceries", "fuel", "airlines", "lodging", "car_rental",
	"travel_services", "transit", "entertainment", "digital", "fashion", "department_stores",
	"electronics", "home_garden", "health_beauty", "fitness_sports", "education", "family_kids",
	"pets", "luxury", "auto", "charity", "utilities"}

// anchorInterest maps each anchor MCC to its interest id.
func anchorInterest(t testing.TB) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, group := range strings.Split(anchorMCCs, ";") {
		f := strings.Fields(group)
		for _, mcc := range f[1:] {
			m[mcc] = f[0]
		}
	}
	return m
}

var endMonth = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func generate(t testing.TB, cfg Config) (ch, tx []byte, st Stats) {
	t.Helper()
	var c, x bytes.Buffer
	st, err := Generate(context.Background(), cfg, &c, &x)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", cfg, err)
	}
	return c.Bytes(), x.Bytes(), st
}

func readAll(t testing.TB, name string, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs
}

func TestTables(t *testing.T) {
	anchors := anchorInterest(t)
	seen := map[string]bool{}
	for i, spec := range interests {
		if spec.id != taxonomy[i] {
			t.Errorf("interest %d is %q, want %q", i, spec.id, taxonomy[i])
		}
		if len(spec.merchants) < 4 {
			t.Errorf("%s: only %d merchants", spec.id, len(spec.merchants))
		}
		for _, m := range spec.merchants {
			if got := anchors[m.mcc]; got != spec.id {
				t.Errorf("%s: merchant %q has MCC %s of interest %q", spec.id, m.name, m.mcc, got)
			}
			if seen[m.name] {
				t.Errorf("merchant %q listed twice", m.name)
			}
			seen[m.name] = true
		}
	}
	names := map[string]bool{}
	for _, p := range personas {
		if names[p.name] {
			t.Errorf("persona %q listed twice", p.name)
		}
		names[p.name] = true
		var sum float64
		for _, s := range p.shares {
			sum += s.weight
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("persona %q: weights sum to %v", p.name, sum)
		}
	}
	if len(personas) < 12 {
		t.Errorf("%d personas, want at least 12", len(personas))
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Cardholders: 500, EndMonth: endMonth, Seed: 7, BadRows: true}
	ch1, tx1, st1 := generate(t, cfg)
	ch2, tx2, st2 := generate(t, cfg)
	if !bytes.Equal(ch1, ch2) || !bytes.Equal(tx1, tx2) || st1 != st2 {
		t.Fatal("two runs with the same config differ")
	}

	other := cfg
	other.Seed = 8
	ch3, tx3, _ := generate(t, other)
	if bytes.Equal(ch1, ch3) || bytes.Equal(tx1, tx3) {
		t.Error("different seeds give identical output")
	}

	// A zero seed is the default seed.
	def := cfg
	def.Seed = 0
	ch4, _, _ := generate(t, def)
	def.Seed = DefaultSeed
	ch5, _, _ := generate(t, def)
	if !bytes.Equal(ch4, ch5) {
		t.Error("zero seed differs from DefaultSeed")
	}

	// Bad rows are added without moving the good transactions.
	clean := cfg
	clean.BadRows = false
	_, tx6, _ := generate(t, clean)
	if got, want := withoutBad(t, tx1), string(tx6); got != want {
		t.Error("transactions with BadRows, less the bad rows, differ from those without")
	}
}

// withoutBad drops the transaction rows that fail validation.
func withoutBad(t *testing.T, tx []byte) string {
	t.Helper()
	v := newValidator(t, Config{EndMonth: endMonth, Months: DefaultMonths})
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(tx), "\n") {
		if line == "" {
			continue
		}
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil && !errors.Is(err, csv.ErrFieldCount) {
			t.Fatalf("%q: %v", line, err)
		}
		if rec[0] == "cardholder_id" || v.transactionFormat(rec) == "" && rec[0] != "C0000000" {
			b.WriteString(line)
		}
	}
	return b.String()
}

// validator checks rows against the contract and the generator's promises.
type validator struct {
	t           testing.TB
	first, last time.Time // window
	anchors     map[string]string
	ids         map[string]bool // every id seen, in good rows or bad
	since       map[string]time.Time
	cancelled   map[string]time.Time
}

func newValidator(t testing.TB, cfg Config) *validator {
	return &validator{
		t:         t,
		first:     cfg.EndMonth.AddDate(0, 1-cfg.Months, 0),
		last:      cfg.EndMonth.AddDate(0, 1, -1),
		anchors:   anchorInterest(t),
		ids:       map[string]bool{},
		since:     map[string]time.Time{},
		cancelled: map[string]time.Time{},
	}
}

var (
	idRE     = regexp.MustCompile(`^C[0-9]{7,}$`)
	amountRE = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)
	mccRE    = regexp.MustCompile(`^[0-9]{4}$`)
)

func date(s string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, s)
	return d, err == nil
}

// cardholder returns the name of the first faulty field of rec, or "" when
// the row is good; a good row is remembered for the transactions.
func (v *validator) cardholder(rec []string) string {
	if len(rec) != 11 {
		return "fields"
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return "utf-8"
		}
	}
	id := rec[0]
	switch {
	case !idRE.MatchString(id):
		return "cardholder_id"
	case rec[1] == "" || rec[2] == "":
		return "name"
	}
	if v.ids[id] {
		return "duplicate id"
	}
	v.ids[id] = true
	addr, err := mail.ParseAddress(rec[3])
	if err != nil || addr.Address != rec[3] || !slices.Contains([]string{"example.com", "example.org", "example.net"}, rec[3][strings.IndexByte(rec[3], '@')+1:]) {
		return "email"
	}
	if !slices.Contains([]string{"en-US", "en-GB", "fr-FR", "es-MX"}, rec[4]) {
		return "locale"
	}
	if !slices.Contains([]string{"green", "gold", "platinum"}, rec[5]) {
		return "tier"
	}
	since, ok := date(rec[6])
	if !ok || since.Year() < 1995 || since.After(v.last) {
		return "member_since"
	}
	switch rec[7] {
	case "active":
		if rec[8] != "" || rec[9] != "" {
			return "cancelled_on"
		}
	case "cancelled":
		c, ok := date(rec[8])
		if !ok || c.Before(v.first) || c.After(v.last) || c.Before(since) {
			return "cancelled_on"
		}
		if rec[9] == "" {
			return "cancel_reason"
		}
		v.cancelled[id] = c
	default:
		return "status"
	}
	if rec[10] != "yes" && rec[10] != "no" {
		return "marketing_consent"
	}
	v.since[id] = since
	return ""
}

// transactionFormat returns the name of the first field of rec that breaks
// the schema, or "".
func (v *validator) transactionFormat(rec []string) string {
	switch {
	case len(rec) != 8:
		return "fields"
	case rec[0] == "":
		return "empty cardholder"
	case !idRE.MatchString(rec[0]):
		return "cardholder_id"
	}
	if d, ok := date(rec[1]); !ok || d.Before(v.first) || d.After(v.last) {
		return "posted_on"
	}
	if !amountRE.MatchString(rec[2]) {
		return "amount"
	}
	if _, err := strconv.ParseFloat(rec[2], 64); err != nil {
		return "amount"
	}
	switch {
	case rec[3] != "USD":
		return "currency"
	case !mccRE.MatchString(rec[4]):
		return "mcc"
	case v.anchors[rec[4]] == "":
		return "mcc not an anchor"
	case rec[5] == "":
		return "merchant"
	case rec[6] != "online" && rec[6] != "in_store":
		return "channel"
	case !slices.Contains([]string{"US", "GB", "FR", "MX", "JP"}, rec[7]):
		return "country"
	}
	return ""
}

// transaction is transactionFormat plus the checks against the cardholders.
func (v *validator) transaction(rec []string) string {
	if bad := v.transactionFormat(rec); bad != "" {
		return bad
	}
	since, ok := v.since[rec[0]]
	if !ok {
		return "unknown cardholder"
	}
	d, _ := date(rec[1])
	if d.Before(since) {
		return "before member_since"
	}
	if c, ok := v.cancelled[rec[0]]; ok && d.After(c) {
		return "after cancelled_on"
	}
	return ""
}

func TestWellFormed(t *testing.T) {
	cfg := Config{Cardholders: 2000, Months: 13, EndMonth: endMonth, Seed: 1}
	chb, txb, st := generate(t, cfg)
	chs, txs := readAll(t, "cardholders.csv", chb), readAll(t, "transactions.csv", txb)
	if got := strings.Join(chs[0], ","); got != CardholdersHeader {
		t.Errorf("cardholders header = %q", got)
	}
	if got := strings.Join(txs[0], ","); got != TransactionsHeader {
		t.Errorf("transactions header = %q", got)
	}
	v := newValidator(t, Config{EndMonth: endMonth, Months: 13})
	var cancelled, noConsent, nonASCII, apostrophe int
	tiers := map[string]int{}
	for i, rec := range chs[1:] {
		if bad := v.cardholder(rec); bad != "" {
			t.Fatalf("cardholders.csv:%d: bad %s: %q", i+2, bad, rec)
		}
		if want := string(appendID(nil, i+1)); rec[0] != want {
			t.Fatalf("cardholders.csv:%d: id %s, want %s", i+2, rec[0], want)
		}
		if rec[7] == "cancelled" {
			cancelled++
		}
		if rec[10] == "no" {
			noConsent++
		}
		if !isASCII(rec[1] + rec[2]) {
			nonASCII++
		}
		if strings.Contains(rec[2], "'") {
			apostrophe++
		}
		tiers[rec[5]]++
	}
	var refunds, online, abroad int
	perCardholder := map[string]int{}
	lastDate := map[string]string{}
	for i, rec := range txs[1:] {
		if bad := v.transaction(rec); bad != "" {
			t.Fatalf("transactions.csv:%d: bad %s: %q", i+2, bad, rec)
		}
		if rec[1] < lastDate[rec[0]] {
			t.Fatalf("transactions.csv:%d: not in date order for %s", i+2, rec[0])
		}
		lastDate[rec[0]] = rec[1]
		perCardholder[rec[0]]++
		if strings.HasPrefix(rec[2], "-") {
			refunds++
		}
		if rec[6] == "online" {
			online++
		}
		if rec[7] != "US" {
			abroad++
		}
	}

	want := Stats{Cardholders: len(chs) - 1, Transactions: len(txs) - 1}
	if st != want || st.Cardholders != cfg.Cardholders {
		t.Errorf("Stats = %+v, rows %+v", st, want)
	}
	n, m := float64(st.Cardholders), float64(st.Transactions)
	checks := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"cancelled share", float64(cancelled) / n, 0.01, 0.035},
		{"no consent share", float64(noConsent) / n, 0.02, 0.07},
		{"non-ASCII name share", float64(nonASCII) / n, 0.02, 0.5},
		{"apostrophe names", float64(apostrophe), 1, n},
		{"gold and platinum share", float64(tiers["gold"]+tiers["platinum"]) / n, 0.2, 0.5},
		{"platinum share", float64(tiers["platinum"]) / n, 0.03, 0.2},
		{"refund share", float64(refunds) / m, 0.004, 0.02},
		{"online share", float64(online) / m, 0.15, 0.6},
		{"abroad share", float64(abroad) / m, 0.005, 0.08},
		{"transactions per cardholder", m / n, 13, 30},
		{"transactions.csv MB", float64(len(txb)) / 1e6, 1.5, 3},
	}
	for _, c := range checks {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s = %.4g, want in [%v, %v]", c.name, c.got, c.min, c.max)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func TestBadRows(t *testing.T) {
	for _, n := range []int{1, 3, 5, 2000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			chb, txb, st := generate(t, Config{Cardholders: n, Months: 13, EndMonth: endMonth, Seed: 1, BadRows: true})
			chs, txs := readAll(t, "cardholders.csv", chb), readAll(t, "transactions.csv", txb)
			v := newValidator(t, Config{EndMonth: endMonth, Months: 13})
			chFaults, txFaults := map[string]int{}, map[string]int{}
			var badCh, badTx int
			for _, rec := range chs[1:] {
				if bad := v.cardholder(rec); bad != "" {
					chFaults[bad]++
					badCh++
				}
			}
			for _, rec := range txs[1:] {
				if bad := v.transaction(rec); bad != "" && bad != "unknown cardholder" && bad != "before member_since" && bad != "after cancelled_on" {
					txFaults[bad]++
					badTx++
				} else if bad == "unknown cardholder" && rec[0] == "C0000000" {
					txFaults[bad]++
					badTx++
				}
			}
			if st.BadCardholderRows != badCh || st.BadTransactionRows != badTx {
				t.Errorf("Stats = %+v, found %d bad cardholder rows %v and %d bad transaction rows %v", st, badCh, chFaults, badTx, txFaults)
			}
			if st.Cardholders+st.BadCardholderRows != len(chs)-1 || st.Transactions+st.BadTransactionRows != len(txs)-1 {
				t.Errorf("Stats = %+v, rows %d and %d", st, len(chs)-1, len(txs)-1)
			}
			wantTx := []string{"amount", "channel", "currency", "empty cardholder", "fields", "mcc", "posted_on", "unknown cardholder"}
			if got := slices.Sorted(maps.Keys(txFaults)); !slices.Equal(got, wantTx) {
				t.Errorf("transaction faults %v, want one each of %v", txFaults, wantTx)
			}
			if n < 4 {
				return
			}
			wantCh := []string{"duplicate id", "email", "status", "tier"}
			if got := slices.Sorted(maps.Keys(chFaults)); !slices.Equal(got, wantCh) || badCh != 4 || badTx != 8 {
				t.Errorf("cardholder faults %v, want one each of %v", chFaults, wantCh)
			}
			if n >= 2000 && float64(badCh+badTx) > 0.002*float64(len(chs)+len(txs)) {
				t.Errorf("%d bad rows out of %d: not rare", badCh+badTx, len(chs)+len(txs))
			}
		})
	}
}

// TestPersonas checks that a cardholder's spend shows the main persona: its
// strongest interest is among the cardholder's three strongest.
func TestPersonas(t *testing.T) {
	const n = 2000
	cfg, err := Config{Cardholders: n, EndMonth: endMonth, TransactionsPerMonth: 6}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(cfg)
	mccInterest := map[string]interest{}
	for k, spec := range interests {
		for _, m := range spec.merchants {
			mccInterest[m.mcc] = interest(k)
		}
	}
	var shown, counted int
	for i := range n {
		g.cardholder(i)
		g.pcg.Seed(g.seedHi, mix64(uint64(i)))
		main := pick(g.personaCum[:], g.r.Float64()) // the first draw of cardholder
		var spend [numInterests]float64
		var txs int
		for _, rec := range readAll(t, "transactions", g.txBuf) {
			c, _ := strconv.ParseFloat(rec[2], 64)
			spend[mccInterest[rec[4]]] += c
			txs++
		}
		if txs < 20 {
			continue
		}
		top := personas[main].shares[0].interest
		var above int
		for k := range spend {
			if spend[k] > spend[top] {
				above++
			}
		}
		counted++
		if above < 3 {
			shown++
		}
	}
	if share := float64(shown) / float64(counted); counted < n/2 || share < 0.8 {
		t.Errorf("main persona shows in %d of %d cardholders (%.2f)", shown, counted, share)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no cardholders", Config{EndMonth: endMonth}},
		{"negative cardholders", Config{Cardholders: -1, EndMonth: endMonth}},
		{"no end month", Config{Cardholders: 1}},
		{"negative months", Config{Cardholders: 1, EndMonth: endMonth, Months: -2}},
		{"negative rate", Config{Cardholders: 1, EndMonth: endMonth, TransactionsPerMonth: -1}},
		{"NaN rate", Config{Cardholders: 1, EndMonth: endMonth, TransactionsPerMonth: math.NaN()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(context.Background(), tt.cfg, io.Discard, io.Discard)
			if !errors.Is(err, ErrConfig) {
				t.Errorf("Generate(%+v) = %v, want ErrConfig", tt.cfg, err)
			}
		})
	}
}

func TestEndMonthNormalised(t *testing.T) {
	a, b, _ := generate(t, Config{Cardholders: 50, Months: 3, EndMonth: endMonth})
	c, d, _ := generate(t, Config{Cardholders: 50, Months: 3, EndMonth: time.Date(2026, 10, 17, 23, 0, 0, 0, time.FixedZone("X", 3600))})
	if !bytes.Equal(a, c) || !bytes.Equal(b, d) {
		t.Error("a mid-month EndMonth gives different output")
	}
}

// cancelWriter cancels a context on its first write.
type cancelWriter struct{ cancel context.CancelFunc }

func (w cancelWriter) Write(p []byte) (int, error) {
	w.cancel()
	return len(p), nil
}

func TestCancel(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		st, err := Generate(ctx, Config{Cardholders: 10, EndMonth: endMonth}, io.Discard, io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if st != (Stats{}) {
			t.Errorf("Stats = %+v, want none", st)
		}
	})
	t.Run("during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const n = 1_000_000
		st, err := Generate(ctx, Config{Cardholders: n, EndMonth: endMonth}, io.Discard, cancelWriter{cancel})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if st.Cardholders == 0 || st.Cardholders >= n/10 {
			t.Errorf("stopped after %d cardholders", st.Cardholders)
		}
	})
}

// errWriter fails every write.
type errWriter struct{}

var errDisk = errors.New("disk full")

func (errWriter) Write(p []byte) (int, error) { return 0, errDisk }

func TestWriteError(t *testing.T) {
	_, err := Generate(context.Background(), Config{Cardholders: 10, EndMonth: endMonth}, io.Discard, errWriter{})
	if !errors.Is(err, errDisk) {
		t.Errorf("err = %v, want %v", err, errDisk)
	}
}

func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Cardholders: 20_000, Months: 13, EndMonth: endMonth, Seed: 1}
	var rows int
	for b.Loop() {
		st, err := Generate(context.Background(), cfg, io.Discard, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		rows += st.Transactions
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
