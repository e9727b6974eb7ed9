package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tailor-mail/tailor/pipeline"
	"github.com/tailor-mail/tailor/pipeline/cluster"
	"github.com/tailor-mail/tailor/pipeline/rundir"
)

type clusterOptions struct {
	file  string
	k     int
	seed  uint64
	scale string
	// scaleSet says --scale was given.
	scaleSet bool
	maxIter  int
	tol      float64
	out      string
	// saveMatrix is the .npy file to write the matrix clustered to.
	saveMatrix string
}

func newClusterCmd(stdout io.Writer) *cobra.Command {
	var o clusterOptions
	cmd := &cobra.Command{
		Use:   "cluster FEATURES.(csv|npy) | RUN_DIR",
		Short: "Cluster any numeric matrix with tailor's k-means",
		Long: `cluster runs tailor's k-means on a matrix: a CSV with an id column and
numeric feature columns, or a two-dimensional float32 or float64 .npy
array. It prints the time, the iterations and the inertia, so analysts can
explore K and compare with other tools on the same numbers; --out writes
each row's cluster.

Given a run directory, <out>/<campaign>/<YYYY-MM>, it clusters the very
matrix the run's cluster stage clustered: one row per cardholder it
clustered (those with spending, or with pre-aggregated features), in the
order of profiles.csv, the features of clusters.json, built from the run's
profiles and recorded settings. Those features are already weighted and
scaled as the run scales them, so --scale does not apply. The run's k and
seed are in its clusters.json; --k and --seed do not default to them.
--out then names the rows by their number, from 0.

--save-matrix writes the matrix clustered, after --scale, as a float64 .npy
array (numpy.load reads it), before clustering: other tools can then be
run on the same numbers.`,
		Example: `  tailor cluster features.csv --k 64
  tailor cluster profiles.npy --k 1349 --seed 7 --scale none --out assignments.csv
  tailor cluster out/quickstart/2026-10 --k 12 --save-matrix quickstart.npy`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file, o.scaleSet = args[0], cmd.Flags().Changed("scale")
			return clusterMatrix(cmd.Context(), o, stdout)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.k, "k", 12, "number of clusters")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the initialisation")
	f.StringVar(&o.scale, "scale", "standard", "column scaling: standard (zero mean, unit variance) or none")
	f.IntVar(&o.maxIter, "max-iterations", 300, "the cap on iterations")
	f.Float64Var(&o.tol, "tol", 1e-4, "stop when the inertia changes by less than this share between iterations")
	f.StringVar(&o.out, "out", "", "write id,cluster for every row to this CSV file")
	f.StringVar(&o.saveMatrix, "save-matrix", "", "write the matrix clustered to this float64 .npy file")
	return cmd
}

func clusterMatrix(ctx context.Context, o clusterOptions, stdout io.Writer) error {
	if o.scale != "standard" && o.scale != "none" {
		return usageError{fmt.Errorf("--scale %q: want standard or none", o.scale)}
	}
	if !(o.tol >= 0) {
		return usageError{fmt.Errorf("--tol %v: want 0 or more", o.tol)}
	}
	if o.k < 1 {
		return usageError{fmt.Errorf("--k %d: want at least 1", o.k)}
	}
	if o.saveMatrix != "" && !strings.EqualFold(filepath.Ext(o.saveMatrix), ".npy") {
		return usageError{fmt.Errorf("--save-matrix %s: want a .npy file name", o.saveMatrix)}
	}
	start := time.Now()
	m, err := readMatrix(o)
	if err != nil {
		return err
	}
	read := time.Since(start)
	if o.saveMatrix != "" {
		if err := rundir.WriteFile(o.saveMatrix, func(w io.Writer) error { return cluster.WriteNPY(w, m.Data, m.Dim) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "matrix of %d rows and %d dimensions saved to %s\n", m.Rows(), m.Dim, o.saveMatrix)
	}
	start = time.Now()
	res, err := cluster.KMeans(ctx, m.Data, m.Dim, cluster.Config{K: o.k, Seed: o.seed, MaxIter: o.maxIter, Tol: o.tol})
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "rows %d, dimensions %d, k %d, seed %d\n", m.Rows(), m.Dim, o.k, o.seed)
	fmt.Fprintf(stdout, "read %s, clustered in %s: %d iterations (converged: %v)\n",
		read.Round(time.Millisecond), took.Round(time.Millisecond), res.Iterations, res.Converged)
	fmt.Fprintf(stdout, "inertia %.10g (per row %.6g)\n", res.Inertia, res.Inertia/float64(m.Rows()))
	fmt.Fprintf(stdout, "sizes: largest %d, smallest %d\n", res.Sizes[0], res.Sizes[len(res.Sizes)-1])
	if o.out == "" {
		return nil
	}
	return rundir.WriteFile(o.out, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		cw := csv.NewWriter(bw)
		if err := cw.Write([]string{"id", "cluster"}); err != nil {
			return err
		}
		for i, c := range res.Assign {
			id := strconv.Itoa(i)
			if m.IDs != nil {
				id = m.IDs[i]
			}
			if err := cw.Write([]string{id, strconv.Itoa(int(c))}); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// readMatrix reads the matrix to cluster: a run's own features when o.file
// is a run directory, else a CSV or .npy file, scaled as --scale says.
func readMatrix(o clusterOptions) (*cluster.Matrix, error) {
	if fi, err := os.Stat(o.file); err == nil && fi.IsDir() {
		if _, err := os.Stat(filepath.Join(o.file, rundir.ManifestFile)); err != nil {
			return nil, usageError{fmt.Errorf("%s: a folder without %s: not a tailor run directory", o.file, rundir.ManifestFile)}
		}
		if o.scaleSet {
			return nil, usageError{fmt.Errorf("--scale does not apply to a run directory: its features are scaled as the run scales them")}
		}
		data, dim, names, err := pipeline.RunFeatures(o.file)
		if err != nil {
			return nil, err
		}
		return &cluster.Matrix{Names: names, Dim: dim, Data: data}, nil
	}
	f, err := os.Open(o.file)
	if err != nil {
		return nil, usageError{err}
	}
	defer f.Close()
	var m *cluster.Matrix
	if strings.EqualFold(filepath.Ext(o.file), ".npy") {
		m, err = cluster.ReadNPY(f, filepath.Base(o.file))
	} else {
		m, err = cluster.ReadCSV(f, filepath.Base(o.file))
	}
	if err != nil {
		return nil, err
	}
	if o.scale == "standard" {
		m.Standardize()
	}
	return m, nil
}
