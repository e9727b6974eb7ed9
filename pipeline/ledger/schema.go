package ledger

import (
	"context"
	"fmt"
)

// version is the schema version this package writes, kept in PRAGMA
// user_version. A file with a higher version is refused; a lower one
// (there is none yet) would be migrated in migrate.
const version = 1

// schema is version 1. Times are Unix nanoseconds (UTC); next_at is NULL
// unless the message is Deferred. seq is the rowid: the ledger's order is
// the order in which recipients were added.
const schema = `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE messages (
	seq            INTEGER PRIMARY KEY,
	cardholder     TEXT    NOT NULL UNIQUE,
	variant        TEXT    NOT NULL DEFAULT '',
	address        TEXT    NOT NULL DEFAULT '',
	message_id     TEXT    NOT NULL DEFAULT '',
	state          TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'deferred',
	                                        'failed', 'uncertain', 'suppressed', 'skipped')),
	reason         TEXT    NOT NULL DEFAULT '',
	attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at        INTEGER,
	reply_code     INTEGER NOT NULL DEFAULT 0,
	reply_enhanced TEXT    NOT NULL DEFAULT '',
	reply_text     TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
) STRICT;

-- Claiming Pending rows in seq order (an index entry ends with the rowid),
-- finding Sending and Uncertain rows, counting by state.
CREATE INDEX messages_state ON messages (state);

-- Claiming due Deferred rows in next_at, seq order; NextDue. Partial: a
-- change between other states does not touch it.
CREATE INDEX messages_due ON messages (next_at) WHERE state = 'deferred';
`

// migrate creates the schema in a new file and checks the version of an
// existing one, in one transaction.
func (l *Ledger) migrate(ctx context.Context) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return l.errorf("schema: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return l.errorf("schema: %w", err)
	}
	switch {
	case v == version:
		return nil
	case v > version:
		return l.errorf("schema version %d is newer than this tailor's (%d): use a newer tailor for this run", v, version)
	case v == 0:
		if _, err := tx.ExecContext(ctx, schema); err != nil {
			return l.errorf("schema: %w", err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
			return l.errorf("schema: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return l.errorf("schema: %w", err)
	}
	return nil
}
