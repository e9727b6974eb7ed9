package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/examples/synth"
	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

type genOptions struct {
	out         string
	cardholders int
	months      int
	end         string
	seed        uint64
	badRows     bool
	perMonth    float64
}

func newGenCmd(stdout io.Writer) *cobra.Command {
	var o genOptions
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate example cardholders and transactions",
		Long: `gen writes cardholders.csv and transactions.csv of synthetic cardholders
with distinct spending personas, real merchant category codes, a few
cancelled cardholders, a few who opted out of marketing and, with
--bad-rows, a handful of faulty rows that ingest must reject. The output is
the same for the same flags, and it streams: millions of cardholders take
little memory.`,
		Example: `  tailor gen --out examples/quickstart --bad-rows
  tailor gen --cardholders 1000000 --out /tmp/big --end 2026-10`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return generate(cmd.Context(), o, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", ".", "directory to write cardholders.csv and transactions.csv into")
	f.IntVar(&o.cardholders, "cardholders", 2000, "number of cardholders")
	f.IntVar(&o.months, "months", 13, "months of history")
	f.StringVar(&o.end, "end", "2026-10", "last month of history, YYYY-MM")
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.BoolVar(&o.badRows, "bad-rows", false, "add a handful of faulty rows")
	f.Float64Var(&o.perMonth, "transactions-per-month", 0, "mean transactions of an active cardholder per month (0: the default)")
	return cmd
}

func generate(ctx context.Context, o genOptions, stdout io.Writer) error {
	end, err := pipeline.ParseMonth(o.end)
	if err != nil {
		return usageError{fmt.Errorf("--end: %w", err)}
	}
	if o.cardholders < 1 {
		return usageError{fmt.Errorf("--cardholders %d: want at least 1", o.cardholders)}
	}
	cfg := synth.Config{Cardholders: o.cardholders, Months: o.months, EndMonth: end, Seed: o.seed,
		BadRows: o.badRows, TransactionsPerMonth: o.perMonth}
	start := time.Now()
	var st synth.Stats
	// Both files are written side by side; each replaces its old version
	// only when complete.
	holders := filepath.Join(o.out, "cardholders.csv")
	txs := filepath.Join(o.out, "transactions.csv")
	err = rundir.WriteFile(holders, func(hw io.Writer) error {
		return rundir.WriteFile(txs, func(tw io.Writer) error {
			hb, tb := bufio.NewWriterSize(hw, 1<<16), bufio.NewWriterSize(tw, 1<<20)
			var err error
			if st, err = synth.Generate(ctx, cfg, hb, tb); err != nil {
				return err
			}
			if err := hb.Flush(); err != nil {
				return err
			}
			return tb.Flush()
		})
	})
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d cardholders, %d faulty) and %s (%d transactions, %d faulty) in %.1fs\n",
		holders, st.Cardholders, st.BadCardholderRows, txs, st.Transactions, st.BadTransactionRows, time.Since(start).Seconds())
	return nil
}
