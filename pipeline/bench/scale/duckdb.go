package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// duckdbCommand is the hidden subcommand that runs the DuckDB aggregation
// in a process of its own, so that its peak memory is measured as tailor's
// is.
const duckdbCommand = "duckdb"

// duckResult is what the DuckDB aggregation used and the rows it made.
type duckResult struct {
	usage
	threads int
	rows    int64
}

// runDuckDB runs the aggregation of the transactions file in a child
// process of this binary and measures it.
func runDuckDB(ctx context.Context, transactions, mcc string, threads int, work string, stderr io.Writer) (duckResult, error) {
	self, err := os.Executable()
	if err != nil {
		return duckResult{}, err
	}
	args := []string{duckdbCommand, "-csv", transactions, "-mcc", mcc, "-threads", fmt.Sprint(threads), "-tmp", filepath.Join(work, "duckdb-tmp")}
	fmt.Fprintf(stderr, "running DuckDB on %s with %d threads\n", transactions, threads)
	var stdout bytes.Buffer
	cmd := command(ctx, self, args...)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	u, err := runMeasured(cmd)
	if err != nil {
		return duckResult{}, fmt.Errorf("scale %s: %w", strings.Join(args, " "), err)
	}
	var out struct {
		Rows int64 `json:"rows"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return duckResult{}, fmt.Errorf("scale %s: its output is not a JSON document: %w", duckdbCommand, err)
	}
	return duckResult{usage: u, threads: threads, rows: out.Rows}, nil
}

// duckdbMain is the subcommand: it runs the aggregation and prints
// {"rows": N} on stdout.
func duckdbMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scale "+duckdbCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	transactions := fs.String("csv", "", "transactions CSV file")
	mcc := fs.String("mcc", "", "MCC to interest CSV file (mcc,interest,description)")
	threads := fs.Int("threads", 1, "DuckDB's threads")
	tmp := fs.String("tmp", "", "DuckDB's directory for data that does not fit in memory (default: DuckDB's own)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *transactions == "" || *mcc == "" {
		fmt.Fprintf(stderr, "scale %s: -csv and -mcc are required\n", duckdbCommand)
		return 2
	}
	rows, err := groupBy(context.Background(), *transactions, *mcc, *threads, *tmp)
	if err != nil {
		fmt.Fprintf(stderr, "scale %s: %v\n", duckdbCommand, err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(map[string]int64{"rows": rows}); err != nil {
		fmt.Fprintf(stderr, "scale %s: %v\n", duckdbCommand, err)
		return 1
	}
	return 0
}

// groupBy sums each cardholder's spend per interest over the run month's
// twelve-month window (the work of tailor's ingest and profile stages on
// the transactions), materializes it in a table and counts its rows.
func groupBy(ctx context.Context, transactions, mcc string, threads int, tmp string) (int64, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	// One connection, so that the settings hold for the query.
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	stmts := []string{fmt.Sprintf("SET threads = %d", threads)}
	if tmp != "" {
		stmts = append(stmts, "SET temp_directory = "+sqlString(tmp))
	}
	stmts = append(stmts, `CREATE TABLE spend AS
SELECT t.cardholder_id, m.interest, sum(t.amount) AS amount, count(*) AS transactions, max(t.posted_on) AS last_posted_on
FROM read_csv(`+sqlString(transactions)+`, header = true, columns = {
	'cardholder_id': 'VARCHAR', 'posted_on': 'DATE', 'amount': 'DECIMAL(18,2)', 'currency': 'VARCHAR',
	'mcc': 'VARCHAR', 'merchant': 'VARCHAR', 'channel': 'VARCHAR', 'country': 'VARCHAR'}) AS t
JOIN read_csv(`+sqlString(mcc)+`, header = true, columns = {
	'mcc': 'VARCHAR', 'interest': 'VARCHAR', 'description': 'VARCHAR'}) AS m ON t.mcc = m.mcc
WHERE t.posted_on BETWEEN DATE '`+windowFrom+`' AND DATE '`+windowTo+`'
GROUP BY t.cardholder_id, m.interest`)
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return 0, fmt.Errorf("%s: %w", strings.SplitN(s, "\n", 2)[0], err)
		}
	}
	var rows int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM spend").Scan(&rows); err != nil {
		return 0, fmt.Errorf("counting the result: %w", err)
	}
	return rows, nil
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
