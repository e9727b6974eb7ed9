package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExpAdd(t *testing.T) {
	if testing.Short() { t.Skip() }
	es := pending(0, 1_000_000, "a")
	for _, cfg := range []struct{ name, idx, extra string; multi int }{
		{"current", "CREATE INDEX s ON messages(state); CREATE INDEX d ON messages(state, next_at);", "", 1},
		{"current-multi64", "CREATE INDEX s ON messages(state); CREATE INDEX d ON messages(state, next_at);", "", 64},
		{"partial", "CREATE INDEX s ON messages(state); CREATE INDEX d ON messages(next_at) WHERE state='deferred';", "", 1},
		{"partial-multi64", "CREATE INDEX s ON messages(state); CREATE INDEX d ON messages(next_at) WHERE state='deferred';", "", 64},
		{"unique-only", "", "", 1},
		{"unique-only-multi64", "", "", 64},
		{"current-multi64-cache64M", "CREATE INDEX s ON messages(state); CREATE INDEX d ON messages(state, next_at);", "&_pragma=cache_size(-65536)", 64},
	} {
		path := filepath.Join(t.TempDir(), "x.db")
		db, _ := sql.Open("sqlite", dsn(path)+cfg.extra)
		db.SetMaxOpenConns(1)
		s := strings.Replace(schema, "CREATE INDEX messages_state ON messages (state);", "", 1)
		s = strings.Replace(s, "CREATE INDEX messages_due ON messages (state, next_at);", "", 1)
		if _, err := db.Exec(s + cfg.idx); err != nil { t.Fatal(err) }
		ctx := context.Background()
		q := "INSERT INTO messages (cardholder, variant, address, message_id, state, reason, created_at, updated_at) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?),", cfg.multi), ",") + " ON CONFLICT (cardholder) DO NOTHING"
		start := time.Now()
		now := time.Now().UnixNano()
		for b := 0; b < len(es); b += 10000 {
			tx, _ := db.BeginTx(ctx, nil)
			st, err := tx.PrepareContext(ctx, q)
			if err != nil { t.Fatal(err) }
			args := make([]any, 0, 8*cfg.multi)
			for i := b; i < b+10000; i += cfg.multi {
				args = args[:0]
				for _, e := range es[i : i+cfg.multi] {
					args = append(args, e.Cardholder, e.Variant, e.Address, e.MessageID, string(e.State), e.Reason, now, now)
				}
				if _, err := st.ExecContext(ctx, args...); err != nil { t.Fatal(err) }
			}
			st.Close()
			if err := tx.Commit(); err != nil { t.Fatal(err) }
		}
		fmt.Println(cfg.name, time.Since(start))
		db.Close()
	}
}
