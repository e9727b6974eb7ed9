package ledger

import (
	"context"
	"database/sql"

	"github.com/tailor-mail/tailor/pipeline/send"
)

// page is how many rows Each reads at a time.
const page = 1000

// Counts returns how many messages of each variant are in each state.
func (l *Ledger) Counts(ctx context.Context) (map[string]map[send.State]int, error) {
	rows, err := l.db.QueryContext(ctx, "SELECT variant, state, COUNT(*) FROM messages GROUP BY variant, state")
	if err != nil {
		return nil, l.errorf("counts: %w", err)
	}
	defer rows.Close()
	counts := make(map[string]map[send.State]int)
	for rows.Next() {
		var variant, state string
		var n int
		if err := rows.Scan(&variant, &state, &n); err != nil {
			return nil, l.errorf("counts: %w", err)
		}
		if counts[variant] == nil {
			counts[variant] = make(map[send.State]int)
		}
		counts[variant][send.State(state)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, l.errorf("counts: %w", err)
	}
	return counts, nil
}

// Totals returns how many messages are in each state.
func (l *Ledger) Totals(ctx context.Context) (map[send.State]int, error) {
	rows, err := l.db.QueryContext(ctx, "SELECT state, COUNT(*) FROM messages GROUP BY state")
	if err != nil {
		return nil, l.errorf("totals: %w", err)
	}
	defer rows.Close()
	totals := make(map[send.State]int)
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, l.errorf("totals: %w", err)
		}
		totals[send.State(state)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, l.errorf("totals: %w", err)
	}
	return totals, nil
}

// Each calls fn with every entry of the ledger, in ledger order, and stops
// at the first error fn returns, which it returns. It reads the rows a
// page at a time and calls fn between reads, so fn may call the ledger;
// rows it changes ahead of the one it is given are seen changed.
func (l *Ledger) Each(ctx context.Context, fn func(send.Entry) error) error {
	q, err := l.db.PrepareContext(ctx, "SELECT seq, "+columns+" FROM messages WHERE seq > ? ORDER BY seq LIMIT ?")
	if err != nil {
		return l.errorf("each: %w", err)
	}
	defer q.Close()
	after := int64(0)
	entries := make([]send.Entry, 0, page)
	for {
		if err := ctx.Err(); err != nil {
			return l.errorf("each: %w", err)
		}
		entries = entries[:0]
		after, err = readPage(ctx, q, after, &entries)
		if err != nil {
			return l.errorf("each: %w", err)
		}
		for _, e := range entries {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(entries) < page {
			return nil
		}
	}
}

// readPage appends to entries the rows after seq after, up to a page, and
// returns the seq of the last one.
func readPage(ctx context.Context, q *sql.Stmt, after int64, entries *[]send.Entry) (int64, error) {
	rows, err := q.QueryContext(ctx, after, page)
	if err != nil {
		return after, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		e, err := scanEntry(scanFunc(func(dest ...any) error {
			return rows.Scan(append([]any{&seq}, dest...)...)
		}))
		if err != nil {
			return after, err
		}
		*entries = append(*entries, e)
		after = seq
	}
	return after, rows.Err()
}

// scanFunc adapts a function to scanEntry's argument.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// Started reports whether any message of the send was ever handed to
// SMTP: whether a row is Sent, Sending, Deferred, Failed or Uncertain, or
// has an attempt (a message handed over, then made Pending again by
// RetryUncertain). A started send's run is sealed.
func (l *Ledger) Started() (bool, error) {
	var started bool
	err := l.db.QueryRowContext(context.Background(), `SELECT
		EXISTS (SELECT 1 FROM messages WHERE state IN ('sent', 'sending', 'deferred', 'failed', 'uncertain'))
		OR EXISTS (SELECT 1 FROM messages WHERE attempts > 0)`).Scan(&started)
	if err != nil {
		return false, l.errorf("started: %w", err)
	}
	return started, nil
}
