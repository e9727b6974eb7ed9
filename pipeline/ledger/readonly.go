package ledger

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailor-mail/tailor/pipeline/send"
)

// OpenReadOnly opens the ledger at path for reading only, for a look at a
// send (tailor status): it creates no ledger, sets no mode, writes no
// schema and changes no row, and it may be open while a tailor send writes
// the ledger (in WAL mode a reader and the writer do not wait on each
// other). Like any SQLite reader of a WAL database it may leave the
// database's -wal and -shm files beside it, empty and as private as the
// database; the next send uses and removes them.
// It refuses a file that does not exist, has no ledger schema or was
// written by a newer tailor. Only the reading methods (Get, Counts,
// Totals, Each, Started, SentTimes) may be called on what it returns.
func OpenReadOnly(path string) (*Ledger, error) {
	l := &Ledger{path: path, name: filepath.Base(path)}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, l.errorf("%w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, l.errorf("not a file")
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return nil, l.errorf("%w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	l.db = db
	var v int
	if err := db.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, l.errorf("schema: %w", err)
	}
	switch {
	case v > version:
		db.Close()
		return nil, l.errorf("schema version %d is newer than this tailor's (%d): use a newer tailor for this run", v, version)
	case v == 0:
		db.Close()
		return nil, l.errorf("no ledger schema (a send that is only starting, or not a send ledger)")
	}
	return l, nil
}

// readOnlyDSN is dsn's read-only counterpart: mode=ro, and only the
// busy_timeout pragma (journal_mode would write the file).
func readOnlyDSN(path string) string {
	p := filepath.ToSlash(path)
	if abs, err := filepath.Abs(path); err == nil {
		p = filepath.ToSlash(abs)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	q := url.Values{
		"mode":    {"ro"},
		"_pragma": {"busy_timeout(5000)"},
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

// SentTimes says when a ledger's Sent messages were recorded sent.
type SentTimes struct {
	// Count counts the Sent messages; First and Last are the earliest
	// and latest times one was recorded sent (zero when Count is 0).
	Count       int
	First, Last time.Time
	// Since counts those recorded sent at or after the time SentTimes
	// was given.
	Since int
}

// SentTimes returns how many messages are Sent, when the first and the
// last were recorded sent, and how many were at or after since (none
// when since is zero).
func (l *Ledger) SentTimes(ctx context.Context, since time.Time) (SentTimes, error) {
	var st SentTimes
	var first, last sql.NullInt64
	err := l.db.QueryRowContext(ctx, "SELECT COUNT(*), MIN(updated_at), MAX(updated_at) FROM messages WHERE state = ?",
		string(send.Sent)).Scan(&st.Count, &first, &last)
	if err != nil {
		return st, l.errorf("sent times: %w", err)
	}
	st.First, st.Last = fromNanos(first), fromNanos(last)
	if since.IsZero() || st.Count == 0 {
		return st, nil
	}
	err = l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM messages WHERE state = ? AND updated_at >= ?",
		string(send.Sent), since.UnixNano()).Scan(&st.Since)
	if err != nil {
		return st, l.errorf("sent times since %s: %w", since.Format(time.RFC3339), err)
	}
	return st, nil
}
