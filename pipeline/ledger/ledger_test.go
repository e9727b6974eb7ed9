package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tailor-mail/tailor/pipeline/send"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// openTemp opens a new ledger in a temporary directory and closes it at
// the end of the test.
func openTemp(t testing.TB) *Ledger {
	t.Helper()
	l, err := Open(filepath.Join(t.TempDir(), "send.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// pending returns n Pending entries c<first>..., of variant v.
func pending(first, n int, v string) []send.Entry {
	es := make([]send.Entry, n)
	for i := range es {
		id := fmt.Sprintf("c%07d", first+i)
		es[i] = send.Entry{Cardholder: id, Variant: v, Address: id + "@example.com",
			MessageID: id + "@mail.example.com", State: send.Pending}
	}
	return es
}

func mustAdd(t testing.TB, l *Ledger, es []send.Entry) int {
	t.Helper()
	n, err := l.Add(context.Background(), es)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// all returns every entry of the ledger.
func all(t testing.TB, l *Ledger) []send.Entry {
	t.Helper()
	var es []send.Entry
	if err := l.Each(context.Background(), func(e send.Entry) error {
		es = append(es, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return es
}

// byID returns every entry of the ledger by cardholder.
func byID(t testing.TB, l *Ledger) map[string]send.Entry {
	t.Helper()
	m := make(map[string]send.Entry)
	for _, e := range all(t, l) {
		m[e.Cardholder] = e
	}
	return m
}

// set puts a row in a state directly, for setting up a case.
func set(t testing.TB, l *Ledger, id string, s send.State, next time.Time) {
	t.Helper()
	res, err := l.db.Exec("UPDATE messages SET state = ?, next_at = ? WHERE cardholder = ?", string(s), nanos(next), id)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("set %s: %d rows", id, n)
	}
}

func ids(es []send.Entry) []string {
	var s []string
	for _, e := range es {
		s = append(s, e.Cardholder)
	}
	return s
}

func TestOpenSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "send.db")
	for _, round := range []string{"new", "reopened"} {
		l, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"synchronous", "2"}, // FULL
			{"busy_timeout", "5000"},
			{"foreign_keys", "1"},
			{"user_version", "1"},
		} {
			var got string
			if err := l.db.QueryRow("PRAGMA " + p.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != p.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", round, p.pragma, got, p.want)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenOddPath checks that a path is not read as a URI: its ?, # and %
// stay in the file's name.
func TestOpenOddPath(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "run 2026?month=03#a%20b")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "send.db")
	for _, want := range []int{1, 0} {
		l, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if n := mustAdd(t, l, pending(0, 1, "a")); n != want {
			t.Errorf("added %d, want %d", n, want)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{top, dir} {
		files, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 {
			t.Errorf("%s holds %v, want one file", d, files)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("%s: empty or missing (%v), want the database", path, err)
	}
}

func TestOpenNewerVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "send.db")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.Exec("PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = Open(path)
	if err == nil {
		l.Close()
		t.Fatal("Open of a version 2 file: no error")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "send.db: ") || !strings.Contains(msg, "version 2 is newer") {
		t.Errorf("error %q: want send.db: ... version 2 is newer ...", msg)
	}
}

func TestOpenForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "send.db")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// A file with tables but no version is not ours: creating the schema
	// over it fails rather than mixing.
	if _, err := l.db.Exec("PRAGMA user_version = 0"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if l, err := Open(path); err == nil {
		l.Close()
		t.Fatal("Open of a file with tables and version 0: no error")
	}
}

func TestAdvanceClaims(t *testing.T) {
	now := t0
	type row struct {
		state send.State
		next  time.Time
	}
	p := row{state: send.Pending}
	due := func(d time.Duration) row { return row{send.Deferred, now.Add(d)} }
	tests := []struct {
		name string
		rows []row // cardholders c0000000, c0000001, ...
		n    int
		want []int // seq order of the rows claimed: indexes into rows
	}{
		{"pending in ledger order", []row{p, p, p}, 3, []int{0, 1, 2}},
		{"n limits", []row{p, p, p}, 2, []int{0, 1}},
		{"n zero claims nothing", []row{p, p}, 0, nil},
		{"fewer due than n", []row{p}, 16, []int{0}},
		{"nothing due", nil, 4, nil},
		{"pending before deferred", []row{due(-time.Hour), p, due(-time.Minute), p}, 4, []int{1, 3, 0, 2}},
		{"n limits before deferred", []row{due(-time.Hour), p, p}, 2, []int{1, 2}},
		{"deferred at now is due", []row{due(0)}, 1, []int{0}},
		{"deferred after now is not", []row{due(time.Nanosecond), due(time.Hour), p}, 3, []int{2}},
		{"deferred by next then seq", []row{due(-time.Minute), due(-2 * time.Minute), due(-2 * time.Minute), due(-3 * time.Minute)}, 4, []int{3, 1, 2, 0}},
		{"n limits deferred", []row{due(-time.Minute), due(-2 * time.Minute), due(-3 * time.Minute)}, 2, []int{2, 1}},
		{"other states never", []row{
			{state: send.Sending}, {state: send.Sent}, {state: send.Failed}, {state: send.Uncertain},
			{state: send.Suppressed}, {state: send.Skipped}, p,
		}, 8, []int{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTemp(t)
			mustAdd(t, l, pending(0, len(tt.rows), "a"))
			for i, r := range tt.rows {
				if r.state != send.Pending {
					set(t, l, fmt.Sprintf("c%07d", i), r.state, r.next)
				}
			}
			before := byID(t, l)
			got, err := l.Advance(context.Background(), nil, tt.n, now)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, fmt.Sprintf("c%07d", i))
			}
			if !reflect.DeepEqual(ids(got), want) {
				t.Errorf("claimed %v, want %v", ids(got), want)
			}
			after := byID(t, l)
			for _, e := range got {
				w := before[e.Cardholder]
				w.State, w.Attempts, w.NextAt, w.Updated = send.Sending, w.Attempts+1, time.Time{}, now
				if !reflect.DeepEqual(e, w) {
					t.Errorf("claimed\n%+v, want\n%+v", e, w)
				}
				if !reflect.DeepEqual(after[e.Cardholder], w) {
					t.Errorf("stored\n%+v, want\n%+v", after[e.Cardholder], w)
				}
				delete(after, e.Cardholder)
				delete(before, e.Cardholder)
			}
			if !reflect.DeepEqual(after, before) {
				t.Errorf("rows not claimed changed:\n%+v\nwant\n%+v", after, before)
			}
		})
	}
}

func TestAdvanceRecords(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	mustAdd(t, l, pending(0, 5, "a"))
	claimed, err := l.Advance(ctx, nil, 5, t0)
	if err != nil || len(claimed) != 5 {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	at := t0.Add(time.Second)
	next := t0.Add(10 * time.Minute)
	outcomes := []send.Outcome{
		{Cardholder: "c0000000", State: send.Sent, Reply: send.Reply{Code: 250, Enhanced: "2.0.0", Text: "queued as 1"}, At: at},
		{Cardholder: "c0000001", State: send.Deferred, NextAt: next, Reply: send.Reply{Code: 451, Enhanced: "4.7.1", Text: "greylisted"}, At: at},
		{Cardholder: "c0000002", State: send.Failed, Reason: "no such user", Reply: send.Reply{Code: 550, Enhanced: "5.1.1", Text: "unknown"}, At: at},
		{Cardholder: "c0000003", State: send.Uncertain, Reason: "connection reset after DATA", Reply: send.Reply{Text: "read: connection reset"}}, // At zero: now
		// NextAt is kept only for Deferred.
		{Cardholder: "c0000004", State: send.Sent, NextAt: next, Reply: send.Reply{Code: 250}, At: at},
	}
	now := t0.Add(2 * time.Second)
	got, err := l.Advance(ctx, outcomes, 4, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("claimed %v, want none (none due)", ids(got))
	}
	rows := byID(t, l)
	for _, o := range outcomes {
		e := rows[o.Cardholder]
		want := claimed[0]
		for _, c := range claimed {
			if c.Cardholder == o.Cardholder {
				want = c
			}
		}
		want.State, want.Reason, want.Reply, want.Updated = o.State, o.Reason, o.Reply, o.At
		if o.At.IsZero() {
			want.Updated = now
		}
		if o.State == send.Deferred {
			want.NextAt = o.NextAt
		}
		if !reflect.DeepEqual(e, want) {
			t.Errorf("%s:\n%+v, want\n%+v", o.Cardholder, e, want)
		}
	}
	if due, ok, err := l.NextDue(ctx); err != nil || !ok || !due.Equal(next) {
		t.Errorf("NextDue = %v, %v, %v; want %v, true", due, ok, err, next)
	}

	// A Deferred message is claimed again when due, with its attempts; a
	// deferral recorded in the call that claims is claimable in it.
	got, err = l.Advance(ctx, nil, 4, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Cardholder != "c0000001" || got[0].Attempts != 2 || got[0].State != send.Sending {
		t.Fatalf("claimed %+v, want c0000001 with 2 attempts", got)
	}
	if _, ok, _ := l.NextDue(ctx); ok {
		t.Error("NextDue: something Deferred after all were claimed")
	}
	got, err = l.Advance(ctx, []send.Outcome{{Cardholder: "c0000001", State: send.Deferred, NextAt: next, At: next}}, 1, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Cardholder != "c0000001" || got[0].Attempts != 3 {
		t.Fatalf("claimed %+v, want c0000001 with 3 attempts", got)
	}
}

func TestAdvanceRefuses(t *testing.T) {
	next := t0.Add(time.Hour)
	ok := send.Outcome{Cardholder: "c0000000", State: send.Sent, At: t0}
	tests := []struct {
		name    string
		outcome send.Outcome
		want    string
	}{
		{"pending", send.Outcome{Cardholder: "c0000003", State: send.Sent}, "send.db: advance: c0000003: outcome sent for a message that is pending, not sending"},
		{"sent already", send.Outcome{Cardholder: "c0000002", State: send.Failed}, "send.db: advance: c0000002: outcome failed for a message that is sent, not sending"},
		{"twice in a call", ok, "send.db: advance: c0000000: outcome sent for a message that is sent, not sending"},
		{"unknown cardholder", send.Outcome{Cardholder: "nobody", State: send.Sent}, "send.db: advance: nobody: outcome sent for a cardholder not in the ledger"},
		{"not an outcome", send.Outcome{Cardholder: "c0000001", State: send.Sending}, `send.db: advance: c0000001: outcome "sending": want sent, deferred, failed, uncertain, skipped, suppressed or pending`},
		{"given back twice", send.Outcome{Cardholder: "c0000001", State: send.Pending}, "send.db: advance: c0000001: outcome pending for a message that is deferred, not sending"},
		{"deferred without next", send.Outcome{Cardholder: "c0000001", State: send.Deferred}, "send.db: advance: c0000001: deferred without a time to retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			l := openTemp(t)
			mustAdd(t, l, pending(0, 6, "a"))
			if _, err := l.Advance(ctx, nil, 3, t0); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Advance(ctx, []send.Outcome{{Cardholder: "c0000002", State: send.Sent}}, 0, t0); err != nil {
				t.Fatal(err)
			}
			before := all(t, l)
			// A good outcome first, then the bad one, and a claim: all or
			// nothing.
			outcomes := []send.Outcome{ok, {Cardholder: "c0000001", State: send.Deferred, NextAt: next}, tt.outcome}
			got, err := l.Advance(ctx, outcomes, 2, t0.Add(time.Minute))
			if err == nil {
				t.Fatalf("no error; claimed %v", ids(got))
			}
			if err.Error() != tt.want {
				t.Errorf("error\n%s, want\n%s", err, tt.want)
			}
			if after := all(t, l); !reflect.DeepEqual(after, before) {
				t.Errorf("ledger changed:\n%+v\nwant\n%+v", after, before)
			}
		})
	}
	t.Run("negative n", func(t *testing.T) {
		l := openTemp(t)
		if _, err := l.Advance(context.Background(), nil, -1, t0); err == nil {
			t.Error("no error")
		}
	})
}

// TestAdvanceGivenBack checks the outcomes of messages claimed but not
// handed to SMTP: their attempt is taken back.
func TestAdvanceGivenBack(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	mustAdd(t, l, pending(0, 4, "a"))
	if _, err := l.Advance(ctx, nil, 3, t0); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Second)
	outcomes := []send.Outcome{
		{Cardholder: "c0000000", State: send.Skipped, Reason: "address refused", At: at},
		{Cardholder: "c0000001", State: send.Pending, Reason: "the send stopped before it was handed over", At: at},
		{Cardholder: "c0000002", State: send.Suppressed, Reason: "unsubscribed", At: at},
	}
	if _, err := l.Advance(ctx, outcomes, 0, at); err != nil {
		t.Fatal(err)
	}
	rows := all(t, l)
	for i, o := range outcomes {
		if e := rows[i]; e.State != o.State || e.Reason != o.Reason || e.Attempts != 0 || !e.Updated.Equal(at) {
			t.Errorf("%+v: want %s (%s), 0 attempts, updated %v", e, o.State, o.Reason, at)
		}
	}
	if started, err := l.Started(); err != nil || started {
		t.Errorf("Started = %v, %v; want false: nothing was handed over", started, err)
	}
	got, err := l.Advance(ctx, nil, 4, at)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c0000001", "c0000003"}; !reflect.DeepEqual(ids(got), want) {
		t.Errorf("claimed %v, want %v", ids(got), want)
	}
	for _, e := range got {
		if e.Attempts != 1 {
			t.Errorf("%s: %d attempts, want 1", e.Cardholder, e.Attempts)
		}
	}
}

func TestAdd(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	es := pending(0, 5, "a")
	es[3].State, es[3].Reason = send.Suppressed, "unsubscribed"
	es[4].State, es[4].Reason = send.Skipped, "invalid address"
	if n := mustAdd(t, l, es); n != 5 {
		t.Errorf("added %d, want 5", n)
	}
	got := all(t, l)
	if !reflect.DeepEqual(ids(got), ids(es)) {
		t.Fatalf("rows %v, want %v", ids(got), ids(es))
	}
	for i, e := range got {
		w := es[i]
		if e.Variant != w.Variant || e.Address != w.Address || e.MessageID != w.MessageID ||
			e.State != w.State || e.Reason != w.Reason || e.Attempts != 0 || !e.NextAt.IsZero() ||
			e.Created.IsZero() || !e.Updated.Equal(e.Created) {
			t.Errorf("row %d: %+v, from %+v", i, e, w)
		}
	}

	// The send goes on: one Sent, one Sending.
	if _, err := l.Advance(ctx, nil, 2, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Advance(ctx, []send.Outcome{{Cardholder: "c0000000", State: send.Sent, At: t0}}, 0, t0); err != nil {
		t.Fatal(err)
	}
	before := all(t, l)

	// Adding again (a resume) adds only what is new, in order, and leaves
	// the rows there as they are, whatever the entries say.
	again := pending(0, 7, "b")
	again = append(again, pending(6, 1, "c")...) // twice in a batch: the first stays
	if n := mustAdd(t, l, again); n != 2 {
		t.Errorf("added again %d, want 2", n)
	}
	after := all(t, l)
	if !reflect.DeepEqual(after[:5], before) {
		t.Errorf("rows changed by Add:\n%+v\nwant\n%+v", after[:5], before)
	}
	if got, want := ids(after[5:]), []string{"c0000005", "c0000006"}; !reflect.DeepEqual(got, want) {
		t.Errorf("added %v, want %v", got, want)
	}
	if after[6].Variant != "b" {
		t.Errorf("c0000006 variant %q, want the first entry's, b", after[6].Variant)
	}

	// An entry that cannot be added refuses the whole batch.
	for _, bad := range []send.Entry{{Cardholder: "x", State: send.Sent}, {State: send.Pending}} {
		batch := append(pending(100, 3, "a"), bad)
		if n, err := l.Add(ctx, batch); err == nil || n != 0 || !strings.HasPrefix(err.Error(), "send.db: add: ") {
			t.Errorf("Add with %+v: %d, %v; want 0 and an error", bad, n, err)
		}
	}
	if n := len(all(t, l)); n != 7 {
		t.Errorf("%d rows after refused batches, want 7", n)
	}
}

func TestRecover(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	mustAdd(t, l, pending(0, 6, "a"))
	if _, err := l.Advance(ctx, nil, 4, t0); err != nil {
		t.Fatal(err)
	}
	outcomes := []send.Outcome{
		{Cardholder: "c0000000", State: send.Sent, At: t0},
		{Cardholder: "c0000001", State: send.Deferred, NextAt: t0.Add(time.Hour), At: t0},
	}
	if _, err := l.Advance(ctx, outcomes, 0, t0); err != nil {
		t.Fatal(err)
	}
	before := byID(t, l)
	later := t0.Add(time.Hour)
	n, err := l.Recover(ctx, later)
	if err != nil || n != 2 {
		t.Fatalf("Recover = %d, %v; want 2", n, err)
	}
	after := byID(t, l)
	for id, e := range before {
		if id == "c0000002" || id == "c0000003" {
			e.State, e.Reason, e.Updated = send.Uncertain, "in flight when the last send stopped", later
		}
		if !reflect.DeepEqual(after[id], e) {
			t.Errorf("%s:\n%+v, want\n%+v", id, after[id], e)
		}
	}
	if n, err := l.Recover(ctx, later); err != nil || n != 0 {
		t.Errorf("second Recover = %d, %v; want 0", n, err)
	}
}

func TestRetryUncertain(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	mustAdd(t, l, pending(0, 4, "a"))
	if _, err := l.Advance(ctx, nil, 3, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Advance(ctx, []send.Outcome{{Cardholder: "c0000000", State: send.Uncertain, Reason: "timeout after DATA"}}, 0, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Recover(ctx, t0); err != nil { // c0000001, c0000002
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	n, err := l.RetryUncertain(ctx, later)
	if err != nil || n != 3 {
		t.Fatalf("RetryUncertain = %d, %v; want 3", n, err)
	}
	rows := all(t, l)
	for _, e := range rows[:3] {
		if e.State != send.Pending || e.Reason != "" || e.Attempts != 1 || !e.Updated.Equal(later) {
			t.Errorf("%+v: want pending, no reason, 1 attempt, updated %v", e, later)
		}
	}
	got, err := l.Advance(ctx, nil, 4, later)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c0000000", "c0000001", "c0000002", "c0000003"}; !reflect.DeepEqual(ids(got), want) {
		t.Errorf("claimed %v, want %v", ids(got), want)
	}
	for _, e := range got {
		if want := map[bool]int{true: 1, false: 2}[e.Cardholder == "c0000003"]; e.Attempts != want {
			t.Errorf("%s: %d attempts, want %d", e.Cardholder, e.Attempts, want)
		}
	}
	if n, err := l.RetryUncertain(ctx, later); err != nil || n != 0 {
		t.Errorf("second RetryUncertain = %d, %v; want 0", n, err)
	}
}

func TestCounts(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	es := append(pending(0, 3, "a"), pending(3, 4, "b")...)
	es[2].State = send.Skipped
	es[6].State = send.Suppressed
	mustAdd(t, l, es)
	if _, err := l.Advance(ctx, nil, 3, t0); err != nil { // c0, c1 (a), c3 (b)
		t.Fatal(err)
	}
	if _, err := l.Advance(ctx, []send.Outcome{{Cardholder: "c0000000", State: send.Sent}, {Cardholder: "c0000003", State: send.Failed}}, 0, t0); err != nil {
		t.Fatal(err)
	}
	counts, err := l.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[send.State]int{
		"a": {send.Sent: 1, send.Sending: 1, send.Skipped: 1},
		"b": {send.Failed: 1, send.Pending: 2, send.Suppressed: 1},
	}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("Counts = %v, want %v", counts, want)
	}
	totals, err := l.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantTotals := map[send.State]int{send.Sent: 1, send.Sending: 1, send.Skipped: 1, send.Failed: 1, send.Pending: 2, send.Suppressed: 1}
	if !reflect.DeepEqual(totals, wantTotals) {
		t.Errorf("Totals = %v, want %v", totals, wantTotals)
	}
}

func TestStarted(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	check := func(when string, want bool) {
		t.Helper()
		if got, err := l.Started(); err != nil || got != want {
			t.Errorf("%s: Started = %v, %v; want %v", when, got, err, want)
		}
	}
	check("empty", false)
	es := pending(0, 3, "a")
	es[1].State, es[2].State = send.Suppressed, send.Skipped
	mustAdd(t, l, es)
	check("added", false)
	if _, err := l.Advance(ctx, nil, 1, t0); err != nil {
		t.Fatal(err)
	}
	check("claimed", true)
	if _, err := l.Recover(ctx, t0); err != nil {
		t.Fatal(err)
	}
	check("uncertain", true)
	if _, err := l.RetryUncertain(ctx, t0); err != nil {
		t.Fatal(err)
	}
	check("pending again, attempted", true)
}

func TestNextDue(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	if _, ok, err := l.NextDue(ctx); ok || err != nil {
		t.Errorf("empty: NextDue = %v, %v; want false", ok, err)
	}
	mustAdd(t, l, pending(0, 3, "a"))
	if _, err := l.Advance(ctx, nil, 3, t0); err != nil {
		t.Fatal(err)
	}
	outcomes := []send.Outcome{
		{Cardholder: "c0000000", State: send.Deferred, NextAt: t0.Add(3 * time.Minute)},
		{Cardholder: "c0000001", State: send.Deferred, NextAt: t0.Add(time.Minute + time.Nanosecond)},
		{Cardholder: "c0000002", State: send.Failed},
	}
	if _, err := l.Advance(ctx, outcomes, 0, t0); err != nil {
		t.Fatal(err)
	}
	want := t0.Add(time.Minute + time.Nanosecond)
	if due, ok, err := l.NextDue(ctx); !ok || err != nil || !due.Equal(want) {
		t.Errorf("NextDue = %v, %v, %v; want %v", due, ok, err, want)
	}
}

func TestMeta(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "send.db")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, err := l.Get(ctx, "campaign"); ok || err != nil || v != "" {
		t.Errorf("Get unset = %q, %v, %v", v, ok, err)
	}
	for _, kv := range [][2]string{{"campaign", "spring"}, {"month", "2026-03"}, {"campaign", "meridian"}} {
		if err := l.Set(ctx, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	l, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for k, want := range map[string]string{"campaign": "meridian", "month": "2026-03"} {
		if v, ok, err := l.Get(ctx, k); !ok || err != nil || v != want {
			t.Errorf("Get %s = %q, %v, %v; want %q", k, v, ok, err, want)
		}
	}
}

func TestEach(t *testing.T) {
	ctx := context.Background()
	l := openTemp(t)
	const n = 2*page + 17
	for i := 0; i < n; i += 1000 {
		mustAdd(t, l, pending(i, min(1000, n-i), "a"))
	}
	i := 0
	err := l.Each(ctx, func(e send.Entry) error {
		if want := fmt.Sprintf("c%07d", i); e.Cardholder != want {
			return fmt.Errorf("row %d is %s, want %s", i, e.Cardholder, want)
		}
		i++
		if i%page == 0 {
			// fn may use the ledger.
			if _, err := l.Totals(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || i != n {
		t.Errorf("Each: %d rows, %v; want %d", i, err, n)
	}
	stop := errors.New("stop")
	i = 0
	err = l.Each(ctx, func(send.Entry) error {
		i++
		if i == 3 {
			return stop
		}
		return nil
	})
	if err != stop || i != 3 {
		t.Errorf("Each stopped: %d rows, %v; want 3, %v", i, err, stop)
	}
}

// TestClaimPlans checks that claims find their rows by index, without
// sorting: Advance must not slow down as a send of a million grows.
func TestClaimPlans(t *testing.T) {
	l := openTemp(t)
	for _, tt := range []struct {
		query string
		args  []any
		index string
	}{
		{pendingQuery, []any{16}, "messages_state"},
		{dueQuery, []any{int64(0), 16}, "messages_due"},
		{recordQuery, []any{"sent", "", nil, 250, "", "", int64(0), "x", 0}, "sqlite_autoindex_messages_1"},
	} {
		rows, err := l.db.Query("EXPLAIN QUERY PLAN "+tt.query, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, "USING INDEX "+tt.index) && !strings.Contains(p, "USING COVERING INDEX "+tt.index) ||
			strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s:\nplan %s, want index %s without a temp b-tree", tt.query, p, tt.index)
		}
	}
}
