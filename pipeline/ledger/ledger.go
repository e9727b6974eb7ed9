// Package ledger keeps a send's ledger in an embedded SQLite database,
// send.db in the run directory: one row per recipient, in the order the
// recipients were added, with where each message stands (send.State). It
// implements send.Ledger, which makes a send exactly-once: a message is
// marked Sending in a durable commit before it is handed to SMTP, and its
// outcome is recorded in the commit that claims the next ones.
//
// The database is in WAL mode with synchronous=FULL, so every state change
// is on disk when the call that made it returns. One connection does all
// the work. The file holds addresses: it is created 0600.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/tailor-mail/tailor/pipeline/send"
)

var _ send.Ledger = (*Ledger)(nil)

// Ledger is a send's ledger in its SQLite file. Its methods may be called
// from several goroutines, but they run one at a time: the ledger has a
// single connection. Times come back in UTC.
type Ledger struct {
	path string
	name string // the file's base name, which starts every error
	db   *sql.DB

	// Statements used on every Advance, prepared once.
	record, claim, pending, due *sql.Stmt
}

// Open opens the ledger at path, creating the file (mode 0600) and its
// schema when it does not exist. It refuses a file written by a newer
// tailor.
func Open(path string) (*Ledger, error) {
	l := &Ledger{path: path, name: filepath.Base(path)}
	if err := createPrivate(path); err != nil {
		return nil, l.errorf("%w", err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, l.errorf("%w", err)
	}
	// One connection: SQLite has one writer at a time anyway, and Advance
	// must not wait on a lock held by another connection of ours.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	l.db = db
	if err := l.init(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

// init checks the connection's settings, creates or checks the schema,
// makes the WAL files private and prepares the statements.
func (l *Ledger) init(ctx context.Context) error {
	var mode string
	var sync int
	if err := l.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return l.errorf("%w", err)
	}
	if err := l.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return l.errorf("%w", err)
	}
	if !strings.EqualFold(mode, "wal") || sync != 2 {
		return l.errorf("journal_mode %s, synchronous %d: want wal, 2 (full)", mode, sync)
	}
	if err := l.migrate(ctx); err != nil {
		return err
	}
	// The WAL and shared-memory files exist now; SQLite gives them the
	// database file's mode, but make sure.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(l.path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return l.errorf("%w", err)
		}
	}
	var err error
	prepare := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = l.db.PrepareContext(ctx, query)
		return s
	}
	l.record = prepare(recordQuery)
	l.claim = prepare(claimQuery)
	l.pending = prepare(pendingQuery)
	l.due = prepare(dueQuery)
	if err != nil {
		return l.errorf("%w", err)
	}
	return nil
}

// createPrivate creates the file at path with mode 0600, or sets that mode
// when it exists.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// dsn returns the driver's data source name for the file at path: a file:
// URI with the pragmas that the driver sets on every connection before it
// is used, and transactions that take the write lock when they begin
// (BEGIN IMMEDIATE), so that none fails half-way with SQLITE_BUSY.
// busy_timeout covers another process (a report, the sqlite3 shell)
// reading the file.
func dsn(path string) string {
	p := filepath.ToSlash(path)
	if abs, err := filepath.Abs(path); err == nil {
		p = filepath.ToSlash(abs)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:/C:/...
	}
	q := url.Values{
		"_pragma": {"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(on)"},
		"_txlock": {"immediate"},
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

// Close closes the ledger's database.
func (l *Ledger) Close() error {
	for _, s := range []*sql.Stmt{l.record, l.claim, l.pending, l.due} {
		if s != nil {
			s.Close()
		}
	}
	if err := l.db.Close(); err != nil {
		return l.errorf("%w", err)
	}
	return nil
}

// Get returns the value of a fact about the send (campaign, month, wave,
// started...), and false when it was never set.
func (l *Ledger) Get(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := l.db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, l.errorf("meta %s: %w", key, err)
	}
	return v, true, nil
}

// Set durably records a fact about the send, replacing its earlier value.
func (l *Ledger) Set(ctx context.Context, key, value string) error {
	_, err := l.db.ExecContext(ctx,
		"INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		key, value)
	if err != nil {
		return l.errorf("meta %s: %w", key, err)
	}
	return nil
}

// errorf returns an error that starts with the file's name.
func (l *Ledger) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{l.name}, args...)...)
}

// nanos is t in Unix nanoseconds, nil (NULL) for the zero time.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
