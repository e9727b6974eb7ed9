package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tailor-mail/tailor/pipeline/send"
)

// columns are an Entry's columns, in scanEntry's order.
const columns = `cardholder, variant, address, message_id, state, reason, attempts, next_at,
	reply_code, reply_enhanced, reply_text, created_at, updated_at`

// bulk is how many rows Add inserts per statement: binding and stepping
// one statement per row costs twice the time of the inserts themselves.
const bulk = 100

// insertQuery returns the statement that inserts n rows, skipping those
// whose cardholder is there: an earlier row of the same statement too.
func insertQuery(n int) string {
	return `INSERT INTO messages (cardholder, variant, address, message_id, state, reason, created_at, updated_at) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", n), ", ") +
		` ON CONFLICT (cardholder) DO NOTHING`
}

const (
	// recordQuery records an outcome, only for a row that is Sending;
	// ?9 is 1 to take back the attempt of a message not handed over.
	recordQuery = `UPDATE messages SET state = ?1, reason = ?2, next_at = ?3,
		reply_code = ?4, reply_enhanced = ?5, reply_text = ?6, updated_at = ?7, attempts = attempts - ?9
		WHERE cardholder = ?8 AND state = 'sending'`

	pendingQuery = `SELECT seq FROM messages WHERE state = 'pending' ORDER BY seq LIMIT ?`

	// dueQuery names its index: without statistics, SQLite would rather
	// take messages_state and sort.
	dueQuery = `SELECT seq FROM messages INDEXED BY messages_due WHERE state = 'deferred' AND next_at <= ?
		ORDER BY next_at, seq LIMIT ?`

	// claimQuery claims the rows whose seqs are in the JSON array ?2.
	claimQuery = `UPDATE messages SET state = 'sending', attempts = attempts + 1, next_at = NULL, updated_at = ?1
		WHERE seq IN (SELECT value FROM json_each(?2)) RETURNING seq, ` + columns
)

// Add appends the entries whose cardholder is not in the ledger yet, in
// their order, in one transaction, and returns how many it added. A row
// already there is left as it is, so adding a send's recipients again
// when it resumes changes nothing. An entry is Pending, Suppressed or
// Skipped (with its Reason); its Attempts, NextAt and Reply are not
// stored, and Created (and Updated) default to the time of the call.
// Pass entries in batches (10,000 is a good size).
func (l *Ledger) Add(ctx context.Context, entries []send.Entry) (added int, err error) {
	for i := range entries {
		e := &entries[i]
		if e.Cardholder == "" {
			return 0, l.errorf("add: entry %d: no cardholder", i)
		}
		switch e.State {
		case send.Pending, send.Suppressed, send.Skipped:
		default:
			return 0, l.errorf("add: %s: state %q: want pending, suppressed or skipped", e.Cardholder, e.State)
		}
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, l.errorf("add: %w", err)
	}
	defer tx.Rollback()
	now := time.Now()
	args := make([]any, 0, 8*bulk)
	var many, one *sql.Stmt
	for rest := entries; len(rest) > 0; {
		k, stmt := bulk, &many
		if len(rest) < bulk {
			k, stmt = 1, &one
		}
		if *stmt == nil {
			if *stmt, err = tx.PrepareContext(ctx, insertQuery(k)); err != nil {
				return 0, l.errorf("add: %w", err)
			}
			defer (*stmt).Close()
		}
		args = args[:0]
		for i := range rest[:k] {
			e := &rest[i]
			created, updated := e.Created, e.Updated
			if created.IsZero() {
				created = now
			}
			if updated.IsZero() {
				updated = created
			}
			args = append(args, e.Cardholder, e.Variant, e.Address, e.MessageID,
				string(e.State), e.Reason, created.UnixNano(), updated.UnixNano())
		}
		res, err := (*stmt).ExecContext(ctx, args...)
		if err == nil {
			var n int64
			n, err = res.RowsAffected()
			added += int(n)
		}
		if err != nil {
			return 0, l.errorf("add: %s: %w", span(rest[:k]), err)
		}
		rest = rest[k:]
	}
	if err := tx.Commit(); err != nil {
		return 0, l.errorf("add: %w", err)
	}
	return added, nil
}

// Advance implements send.Ledger: in one transaction it records the
// outcomes of messages that are Sending, then claims up to n messages due
// at now (Pending ones in ledger order, then Deferred ones whose NextAt is
// not after now, earliest first), marks them Sending with one more attempt
// and returns them in that order. n may be 0, to record only.
//
// An outcome is Sent, Deferred (with its NextAt), Failed or Uncertain for
// a message handed to SMTP, Skipped or Suppressed for one the sender
// refused to hand over, or Pending for one given back unsent; the last
// three take back the attempt their claim counted, so that Attempts
// counts hand-offs. An outcome's At, or now when At is zero, becomes the
// row's Updated; NextAt is kept only for Deferred. An outcome for a
// message that is not Sending is an error that names the cardholder (a
// bug in the caller), and nothing of the call is recorded.
func (l *Ledger) Advance(ctx context.Context, outcomes []send.Outcome, n int, now time.Time) ([]send.Entry, error) {
	if n < 0 {
		return nil, l.errorf("advance: claim %d messages: want 0 or more", n)
	}
	for i := range outcomes {
		o := &outcomes[i]
		switch o.State {
		case send.Sent, send.Failed, send.Uncertain, send.Skipped, send.Suppressed:
		case send.Pending:
			// Given back unsent: the send stopped before handing it over.
		case send.Deferred:
			if o.NextAt.IsZero() {
				return nil, l.errorf("advance: %s: deferred without a time to retry", o.Cardholder)
			}
		default:
			return nil, l.errorf("advance: %s: outcome %q: want sent, deferred, failed, uncertain, skipped, suppressed or pending", o.Cardholder, o.State)
		}
	}
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, l.errorf("advance: %w", err)
	}
	defer tx.Rollback()

	if len(outcomes) > 0 {
		record := tx.StmtContext(ctx, l.record)
		for i := range outcomes {
			if err := l.recordOutcome(ctx, tx, record, &outcomes[i], now); err != nil {
				return nil, err
			}
		}
	}

	var claimed []send.Entry
	if n > 0 {
		seqs, err := selectSeqs(ctx, tx.StmtContext(ctx, l.pending), n)
		if err != nil {
			return nil, l.errorf("advance: %w", err)
		}
		if len(seqs) < n {
			more, err := selectSeqs(ctx, tx.StmtContext(ctx, l.due), now.UnixNano(), n-len(seqs))
			if err != nil {
				return nil, l.errorf("advance: %w", err)
			}
			seqs = append(seqs, more...)
		}
		if claimed, err = claim(ctx, tx.StmtContext(ctx, l.claim), seqs, now); err != nil {
			return nil, l.errorf("advance: claim: %w", err)
		}
	}

	if err := tx.Commit(); err != nil {
		return nil, l.errorf("advance: %w", err)
	}
	return claimed, nil
}

// claim marks the rows seqs Sending, in one statement, and returns them
// in the order of seqs.
func claim(ctx context.Context, q *sql.Stmt, seqs []int64, now time.Time) ([]send.Entry, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	at := make(map[int64]int, len(seqs))
	list := []byte{'['}
	for i, seq := range seqs {
		at[seq] = i
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, seq, 10)
	}
	list = append(list, ']')
	rows, err := q.QueryContext(ctx, now.UnixNano(), string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	claimed := make([]send.Entry, len(seqs))
	found := 0
	for rows.Next() {
		var seq int64
		e, err := scanEntry(scanFunc(func(dest ...any) error {
			return rows.Scan(append([]any{&seq}, dest...)...)
		}))
		if err != nil {
			return nil, err
		}
		claimed[at[seq]] = e
		found++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found != len(seqs) {
		return nil, fmt.Errorf("%d rows claimed of %d", found, len(seqs))
	}
	return claimed, nil
}

// span names the entries of one insert.
func span(es []send.Entry) string {
	if len(es) == 1 {
		return es[0].Cardholder
	}
	return es[0].Cardholder + " to " + es[len(es)-1].Cardholder
}

// recordOutcome records one outcome in tx.
func (l *Ledger) recordOutcome(ctx context.Context, tx *sql.Tx, record *sql.Stmt, o *send.Outcome, now time.Time) error {
	at := o.At
	if at.IsZero() {
		at = now
	}
	var next any
	if o.State == send.Deferred {
		next = o.NextAt.UnixNano()
	}
	back := 0
	switch o.State {
	case send.Pending, send.Skipped, send.Suppressed:
		back = 1
	}
	res, err := record.ExecContext(ctx, string(o.State), o.Reason, next,
		o.Reply.Code, o.Reply.Enhanced, o.Reply.Text, at.UnixNano(), o.Cardholder, back)
	if err != nil {
		return l.errorf("advance: %s: %w", o.Cardholder, err)
	}
	if k, err := res.RowsAffected(); err != nil {
		return l.errorf("advance: %s: %w", o.Cardholder, err)
	} else if k == 1 {
		return nil
	}
	// Not Sending: say what it is.
	var state string
	err = tx.QueryRowContext(ctx, "SELECT state FROM messages WHERE cardholder = ?", o.Cardholder).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return l.errorf("advance: %s: outcome %s for a cardholder not in the ledger", o.Cardholder, o.State)
	case err != nil:
		return l.errorf("advance: %s: %w", o.Cardholder, err)
	}
	return l.errorf("advance: %s: outcome %s for a message that is %s, not sending", o.Cardholder, o.State, state)
}

// selectSeqs runs a query for seqs with args.
func selectSeqs(ctx context.Context, q *sql.Stmt, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		seqs = append(seqs, s)
	}
	return seqs, rows.Err()
}

// NextDue implements send.Ledger: it returns the earliest NextAt of the
// Deferred messages, and false when none is Deferred.
func (l *Ledger) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := l.db.QueryRowContext(ctx, "SELECT MIN(next_at) FROM messages INDEXED BY messages_due WHERE state = 'deferred'").Scan(&next)
	if err != nil {
		return time.Time{}, false, l.errorf("next due: %w", err)
	}
	return fromNanos(next), next.Valid, nil
}

// Recover makes every message found Sending Uncertain, with the reason
// "in flight when the last send stopped", and returns how many there were.
// A send calls it before it starts: a message Sending then was claimed by
// a send that stopped before recording what became of it, and may have
// been delivered.
func (l *Ledger) Recover(ctx context.Context, now time.Time) (int, error) {
	n, err := l.exec(ctx, `UPDATE messages SET state = 'uncertain', reason = ?, updated_at = ?
		WHERE state = 'sending'`, "in flight when the last send stopped", now.UnixNano())
	if err != nil {
		return 0, l.errorf("recover: %w", err)
	}
	return n, nil
}

// RetryUncertain makes every Uncertain message Pending again, so that the
// next claims send it (tailor send --retry-uncertain), and returns how
// many there were. Their attempts are kept.
func (l *Ledger) RetryUncertain(ctx context.Context, now time.Time) (int, error) {
	n, err := l.exec(ctx, `UPDATE messages SET state = 'pending', reason = '', updated_at = ?
		WHERE state = 'uncertain'`, now.UnixNano())
	if err != nil {
		return 0, l.errorf("retry uncertain: %w", err)
	}
	return n, nil
}

// exec runs one statement in its own transaction and returns the number
// of rows it changed.
func (l *Ledger) exec(ctx context.Context, query string, args ...any) (int, error) {
	res, err := l.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// scanEntry scans the columns of one row.
func scanEntry(s interface{ Scan(...any) error }) (send.Entry, error) {
	var (
		e                send.Entry
		state            string
		next             sql.NullInt64
		created, updated int64
	)
	err := s.Scan(&e.Cardholder, &e.Variant, &e.Address, &e.MessageID, &state, &e.Reason, &e.Attempts, &next,
		&e.Reply.Code, &e.Reply.Enhanced, &e.Reply.Text, &created, &updated)
	if err != nil {
		return send.Entry{}, err
	}
	e.State = send.State(state)
	e.NextAt = fromNanos(next)
	e.Created = time.Unix(0, created).UTC()
	e.Updated = time.Unix(0, updated).UTC()
	return e, nil
}
