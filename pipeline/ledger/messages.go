package ledger

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tailor-mail/tailor/pipeline/send"
)

// columns are an Entry's columns, in scanEntry's order.
const columns = `cardholder, variant, address, message_id, state, reason, attempts, next_at,
	reply_code, reply_enhanced, reply_text, created_at, updated_at`

const (
	insertQuery = `INSERT INTO messages (cardholder, variant, address, message_id, state, reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (cardholder) DO NOTHING`

	// recordQuery records an outcome, only for a row that is Sending.
	recordQuery = `UPDATE messages SET state = ?1, reason = ?2, next_at = ?3,
		reply_code = ?4, reply_enhanced = ?5, reply_text = ?6, updated_at = ?7
		WHERE cardholder = ?8 AND state = 'sending'`

	pendingQuery = `SELECT seq FROM messages WHERE state = 'pending' ORDER BY seq LIMIT ?`
	dueQuery     = `SELECT seq FROM messages WHERE state = 'deferred' AND next_at <= ?
		ORDER BY next_at, seq LIMIT ?`

	claimQuery = `UPDATE messages SET state = 'sending', attempts = attempts + 1, next_at = NULL, updated_at = ?
		WHERE seq = ? RETURNING ` + columns
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
	now := time.Now()
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, l.errorf("add: %w", err)
	}
	defer tx.Rollback()
	insert, err := tx.PrepareContext(ctx, insertQuery)
	if err != nil {
		return 0, l.errorf("add: %w", err)
	}
	defer insert.Close()
	for i := range entries {
		e := &entries[i]
		created, updated := e.Created, e.Updated
		if created.IsZero() {
			created = now
		}
		if updated.IsZero() {
			updated = created
		}
		res, err := insert.ExecContext(ctx, e.Cardholder, e.Variant, e.Address, e.MessageID,
			string(e.State), e.Reason, created.UnixNano(), updated.UnixNano())
		if err != nil {
			return 0, l.errorf("add: %s: %w", e.Cardholder, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, l.errorf("add: %s: %w", e.Cardholder, err)
		}
		added += int(n)
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
// refused to hand over, or Pending for one given back unsent; its
// At, or now when At is zero, becomes the row's Updated. NextAt is kept
// only for Deferred. An outcome for a message that is not Sending is an
// error that names the cardholder, and nothing of the call is recorded.
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
		claim := tx.StmtContext(ctx, l.claim)
		claimed = make([]send.Entry, 0, len(seqs))
		for _, seq := range seqs {
			e, err := scanEntry(claim.QueryRowContext(ctx, now.UnixNano(), seq))
			if err != nil {
				return nil, l.errorf("advance: claim: %w", err)
			}
			claimed = append(claimed, e)
		}
	}

	if err := tx.Commit(); err != nil {
		return nil, l.errorf("advance: %w", err)
	}
	return claimed, nil
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
	res, err := record.ExecContext(ctx, string(o.State), o.Reason, next,
		o.Reply.Code, o.Reply.Enhanced, o.Reply.Text, at.UnixNano(), o.Cardholder)
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
	err := l.db.QueryRowContext(ctx, "SELECT MIN(next_at) FROM messages WHERE state = 'deferred'").Scan(&next)
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
