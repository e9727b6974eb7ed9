// Command scale measures tailor run on generated data of several sizes,
// stage by stage (time, cores, peak memory, throughput), and runs the same
// per-cardholder, per-interest aggregation in DuckDB beside it. It is a
// module of its own so that tailor does not depend on DuckDB; README.md
// says how to run it.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// month is the run month of every campaign. Its interest window is the
// twelve months ending with it, from windowFrom to windowTo.
const (
	month      = "2026-10"
	windowFrom = "2025-11-01"
	windowTo   = "2026-10-31"
)

// campaignTOML is the campaign of every run; the placeholders are the two
// input files and k.
const campaignTOML = `name = "scale"
month = "` + month + `"

[inputs]
cardholders = %q
transactions = %q
tiers = ["green", "gold", "platinum"]

[clustering]
k = %d
seed = 1

[sender]
name = "Meridian Card"
from = "Meridian Card <news@meridian.example.com>"
reply_to = "members@meridian.example.com"
postal_address = "Meridian Card Services, 200 Vesey Street, New York, NY 10285"
unsubscribe_url = "https://meridian.example.com/unsubscribe"
unsubscribe_mailto = "unsubscribe@meridian.example.com"

[mail]
outbox = "none"
`

// genMarker is written into a data directory after tailor gen succeeded
// there; a directory without it is generated again.
const genMarker = ".generated"

// options are the command's flags.
type options struct {
	work          string
	tailor        string
	sizes         []int
	tpm           float64
	k             int
	duckdbThreads int
	skipDuckDB    bool
	runs          int
	order         string // "file" or "date"
}

// suffix is what the names of the data, campaign and output of a size add
// for the order of the transactions.
func (o options) suffix() string {
	if o.order == "date" {
		return "-date"
	}
	return ""
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == duckdbCommand {
		os.Exit(duckdbMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var sizes string
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.work, "work", "/tmp/tailor-scale", "work directory: the tailor binary, generated data, campaigns, run outputs and reports")
	fs.StringVar(&o.tailor, "tailor", "", "tailor binary to measure (default: build ./cmd/tailor of this repository into the work directory)")
	fs.StringVar(&sizes, "sizes", "100000,1000000,3000000", "cardholders of each size to measure, comma-separated")
	fs.Float64Var(&o.tpm, "tpm", 4.2, "transactions per active cardholder per month, as tailor gen --transactions-per-month")
	fs.IntVar(&o.k, "k", 1349, "clusters: the campaign's clustering.k")
	fs.IntVar(&o.duckdbThreads, "duckdb-threads", runtime.NumCPU(), "DuckDB's threads")
	fs.BoolVar(&o.skipDuckDB, "skip-duckdb", false, "do not run the DuckDB aggregation")
	fs.IntVar(&o.runs, "runs", 1, "runs of each size, tailor and DuckDB in turn; the tables show the run of median time and list every run's")
	fs.StringVar(&o.order, "order", "file", "order of the transactions: file (as tailor gen writes them, each cardholder's together) or date (sorted by posting date, as a bank's export often is)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for s := range strings.SplitSeq(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-sizes %q: %q is not a positive number of cardholders", sizes, s)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.tpm <= 0 {
		return o, fmt.Errorf("-tpm %g: want more than 0", o.tpm)
	}
	if o.k < 1 {
		return o, fmt.Errorf("-k %d: want at least 1", o.k)
	}
	if o.runs < 1 {
		return o, fmt.Errorf("-runs %d: want at least 1", o.runs)
	}
	if o.order != "file" && o.order != "date" {
		return o, fmt.Errorf("-order %q: %w", o.order, errOrder)
	}
	if o.duckdbThreads < 1 {
		return o, fmt.Errorf("-duckdb-threads %d: want at least 1", o.duckdbThreads)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if o.work, err = filepath.Abs(o.work); err != nil {
		return err
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	if o.tailor == "" {
		o.tailor = filepath.Join(o.work, "tailor")
		fmt.Fprintf(stderr, "building %s\n", o.tailor)
		build := exec.CommandContext(ctx, "go", "build", "-o", o.tailor, "./cmd/tailor")
		build.Dir, build.Stdout, build.Stderr = root, stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/tailor in %s: %w", root, err)
		}
	}
	version, err := exec.CommandContext(ctx, o.tailor, "version").Output()
	if err != nil {
		return fmt.Errorf("%s version: %w", o.tailor, err)
	}

	started := time.Now()
	reportPath := filepath.Join(o.work, "scale-"+started.Format("20060102-150405")+".md")
	var doc bytes.Buffer
	out := io.MultiWriter(stdout, &doc)
	order := "as tailor gen writes them, each cardholder's together"
	if o.order == "date" {
		order = "in date order (within a day, in an order given by a hash of the cardholder's id)"
	}
	fmt.Fprintf(out, "# tailor at scale\n\n%s, %s, %s/%s, %d CPUs%s%s; %g transactions per active cardholder per month, %s; k = %d, run month %s, outbox none.\n",
		started.Format("2006-01-02 15:04"), strings.TrimSpace(string(version)), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), loadAverage(), o.tpm, order, o.k, month)
	fmt.Fprintf(out, "Seconds, cores (processor time / wall time) and peak RSS (peak resident memory) are tailor's own figures for each stage while it ran; "+
		"the total is the whole command's, measured from outside; bytes/cardholder is peak RSS / cardholders.\n")

	var results []sizeResult
	for _, n := range o.sizes {
		r, err := measure(ctx, o, root, n, stderr)
		if err != nil {
			return fmt.Errorf("%d cardholders: %w", n, err)
		}
		results = append(results, r)
		writeSize(out, r)
		if err := os.WriteFile(reportPath, doc.Bytes(), 0o644); err != nil {
			return err
		}
	}
	writeLinearity(out, results)
	if err := os.WriteFile(reportPath, doc.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", reportPath)
	return removeStale(o.work)
}

// staleMark and a number follow out-N in the name of an earlier run's
// output, moved aside for a new run.
const staleMark = ".stale-"

// removeStale deletes the earlier runs' outputs moved aside in work.
func removeStale(work string) error {
	stale, err := filepath.Glob(filepath.Join(work, "out-*"+staleMark+"*"))
	if err != nil {
		return err
	}
	for _, dir := range stale {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	return nil
}

// repoRoot walks up from the working directory to the directory that holds
// cmd/tailor.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(filepath.Join(dir, "cmd", "tailor")); err == nil && fi.IsDir() {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no cmd/tailor in %s or any directory above it: run scale inside the tailor repository", wd)
		}
	}
}

// cpuModel is ", " and the processor's name from /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return ", " + strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage is ", load average " and the system's one-minute load
// average from /proc/loadavg, or "": a load above the CPUs slows every
// figure.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return ", load average " + f[0]
}

// runDoc is the part of tailor run --json's document that scale reads
// (cmd/tailor/JSON.md).
type runDoc struct {
	Status     string `json:"status"`
	Error      string `json:"error"`
	Stage      string `json:"stage"`
	DurationMS int64  `json:"duration_ms"`
	Stages     []struct {
		Name       string         `json:"name"`
		State      string         `json:"state"`
		DurationMS int64          `json:"duration_ms"`
		CPUMS      int64          `json:"cpu_ms"`
		PeakRSS    int64          `json:"peak_rss_bytes"`
		FilesMS    int64          `json:"files_ms"`
		Counts     map[string]int `json:"counts"`
	} `json:"stages"`
	Inputs []struct {
		Name string `json:"name"`
		Rows int    `json:"rows"`
	} `json:"inputs"`
	Clusters int `json:"clusters"`
	Variants int `json:"variants"`
	Distinct int `json:"distinct_newsletters"`
	Fit      *struct {
		Checked int `json:"checked"`
		Misfit  int `json:"misfit"`
	} `json:"fit"`
}

// inputRows is the rows read of the named input.
func (d *runDoc) inputRows(name string) int {
	for _, in := range d.Inputs {
		if in.Name == name {
			return in.Rows
		}
	}
	return 0
}

// sizeResult is what one size measured.
type sizeResult struct {
	cardholders      int
	holderBytes      int64 // cardholders.csv
	transactionBytes int64 // transactions.csv
	doc              runDoc
	tailor           usage
	duckdb           *duckResult // nil when skipped
	// runs are every run of the size, in the order they ran, when there
	// were more than one; the fields above are those of the median's.
	runs []runTimes
}

// runTimes are one run's figures for the list of runs: the whole run,
// tailor's ingest and profile stages, and DuckDB's group-by (0 when
// skipped).
type runTimes struct {
	wall, ingestProfile, duckdb time.Duration
}

// usage is what a child process used: its wall time, processor time (user
// and system) and peak resident memory in bytes.
type usage struct {
	wall, cpu time.Duration
	maxRSS    int64
}

// measure generates the data of n cardholders unless it is there, runs
// tailor on it from scratch, and DuckDB unless skipped.
func measure(ctx context.Context, o options, root string, n int, stderr io.Writer) (sizeResult, error) {
	r := sizeResult{cardholders: n}
	data := filepath.Join(o.work, fmt.Sprintf("data-%d-%s", n, strconv.FormatFloat(o.tpm, 'f', -1, 64)))
	holders, transactions := filepath.Join(data, "cardholders.csv"), filepath.Join(data, "transactions.csv")
	if err := generate(ctx, o, n, data, stderr); err != nil {
		return r, err
	}
	if o.order == "date" {
		dated := data + o.suffix()
		transactions = filepath.Join(dated, "transactions.csv")
		if err := dateOrder(filepath.Join(data, "transactions.csv"), dated, stderr); err != nil {
			return r, err
		}
	}
	for _, f := range []struct {
		path string
		size *int64
	}{{holders, &r.holderBytes}, {transactions, &r.transactionBytes}} {
		fi, err := os.Stat(f.path)
		if err != nil {
			return r, err
		}
		*f.size = fi.Size()
	}

	campaign := filepath.Join(o.work, fmt.Sprintf("campaign-%d%s.toml", n, o.suffix()))
	if err := os.WriteFile(campaign, fmt.Appendf(nil, campaignTOML, holders, transactions, o.k), 0o644); err != nil {
		return r, err
	}
	if o.runs == 1 {
		return measureOnce(ctx, o, root, r, campaign, transactions, stderr)
	}
	// Several runs, tailor and DuckDB in turn: the tables show the run of
	// median time, as this machine moves a whole run by a second or more
	// from one run to the next.
	var all []sizeResult
	for i := range o.runs {
		fmt.Fprintf(stderr, "run %d of %d\n", i+1, o.runs)
		one, err := measureOnce(ctx, o, root, r, campaign, transactions, stderr)
		if err != nil {
			return r, err
		}
		all = append(all, one)
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(all[a].tailor.wall, all[b].tailor.wall) })
	median := all[order[(len(order)-1)/2]]
	for _, one := range all {
		t := runTimes{wall: one.tailor.wall, ingestProfile: one.ingestProfile()}
		if one.duckdb != nil {
			t.duckdb = one.duckdb.wall
		}
		median.runs = append(median.runs, t)
	}
	return median, nil
}

// ingestProfile is the time of tailor's ingest and profile stages.
func (r *sizeResult) ingestProfile() time.Duration {
	var ms int64
	for _, st := range r.doc.Stages {
		if st.Name == "ingest" || st.Name == "profile" {
			ms += st.DurationMS
		}
	}
	return time.Duration(ms) * time.Millisecond
}

// measureOnce runs tailor on campaign from scratch, and DuckDB on
// transactions unless skipped, into a copy of r.
func measureOnce(ctx context.Context, o options, root string, r sizeResult, campaign, transactions string, stderr io.Writer) (sizeResult, error) {
	n := r.cardholders
	// The run goes into an empty out-N: an earlier one is moved aside, and
	// deleted once every size is measured (removeStale), as deleting
	// thousands of files slows this machine's file system down for a
	// while, which the run's render stage, creating thousands, felt.
	outDir := filepath.Join(o.work, fmt.Sprintf("out-%d%s", n, o.suffix()))
	if _, err := os.Stat(outDir); err == nil {
		if err := os.Rename(outDir, fmt.Sprintf("%s%s%d", outDir, staleMark, time.Now().UnixNano())); err != nil {
			return r, err
		}
	}
	fmt.Fprintf(stderr, "running tailor run %s --out %s\n", campaign, outDir)
	var stdout bytes.Buffer
	cmd := command(ctx, o.tailor, "run", campaign, "--out", outDir, "--json", "-q")
	cmd.Env = append(os.Environ(), "TAILOR_UNSUBSCRIBE_SECRET=bench")
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	var runErr error
	r.tailor, runErr = runMeasured(cmd)
	if err := json.Unmarshal(stdout.Bytes(), &r.doc); err != nil {
		if runErr != nil {
			return r, fmt.Errorf("tailor run %s: %w", campaign, runErr)
		}
		return r, fmt.Errorf("tailor run %s: its output is not a JSON document: %w", campaign, err)
	}
	if r.doc.Status != "done" {
		return r, fmt.Errorf("tailor run %s: %s in stage %q: %s", campaign, r.doc.Status, r.doc.Stage, r.doc.Error)
	}
	if runErr != nil {
		return r, fmt.Errorf("tailor run %s: %w", campaign, runErr)
	}
	for _, st := range r.doc.Stages {
		if st.State != "ran" {
			return r, fmt.Errorf("tailor run %s: stage %s was %s, not ran: its figures are from an earlier run", campaign, st.Name, st.State)
		}
	}
	// tailor resets the kernel's high-water mark at the start of each stage
	// (VmHWM), so the process's maximum as wait4 reports it covers only the
	// last stage: the process's peak is the highest of all.
	for _, st := range r.doc.Stages {
		r.tailor.maxRSS = max(r.tailor.maxRSS, st.PeakRSS)
	}
	fmt.Fprintf(stderr, "tailor run: %.1f s\n", r.tailor.wall.Seconds())

	if !o.skipDuckDB {
		mcc := filepath.Join(root, "pipeline", "profile", "data", "mcc_interests.csv")
		d, err := runDuckDB(ctx, transactions, mcc, o.duckdbThreads, o.work, stderr)
		if err != nil {
			return r, err
		}
		r.duckdb = &d
		fmt.Fprintf(stderr, "duckdb: %.1f s\n", d.wall.Seconds())
	}
	return r, nil
}

// generate writes n cardholders and their transactions into dir with
// tailor gen, unless a complete generation is there.
func generate(ctx context.Context, o options, n int, dir string, stderr io.Writer) error {
	marker := filepath.Join(dir, genMarker)
	if _, err := os.Stat(marker); err == nil {
		fmt.Fprintf(stderr, "using the data in %s\n", dir)
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := []string{"gen", "--cardholders", strconv.Itoa(n), "--transactions-per-month", strconv.FormatFloat(o.tpm, 'f', -1, 64), "--out", dir}
	fmt.Fprintf(stderr, "generating %d cardholders into %s\n", n, dir)
	cmd := command(ctx, o.tailor, args...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tailor %s: %w", strings.Join(args, " "), err)
	}
	return os.WriteFile(marker, []byte("tailor "+strings.Join(args, " ")+"\n"), 0o644)
}

// dateOrder writes the transactions src in date order into dir (see
// inDateOrder), unless a complete copy is there.
func dateOrder(src, dir string, stderr io.Writer) error {
	marker := filepath.Join(dir, genMarker)
	if _, err := os.Stat(marker); err == nil {
		fmt.Fprintf(stderr, "using the transactions in date order in %s\n", dir)
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "writing %s in date order into %s\n", src, dir)
	if err := inDateOrder(src, filepath.Join(dir, "transactions.csv"), dir); err != nil {
		return fmt.Errorf("putting %s in date order: %w", src, err)
	}
	return os.WriteFile(marker, []byte("the rows of "+src+" in date order\n"), 0o644)
}

// command is exec.CommandContext that interrupts the process when ctx is
// done, as Ctrl-C would, so that a tailor run stops cleanly.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	return cmd
}

// runMeasured runs cmd and returns what its process used.
func runMeasured(cmd *exec.Cmd) (usage, error) {
	start := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(start)}
	if ps := cmd.ProcessState; ps != nil {
		u.cpu = ps.UserTime() + ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.maxRSS = int64(ru.Maxrss)
			if runtime.GOOS != "darwin" { // Linux counts kilobytes, macOS bytes
				u.maxRSS *= 1024
			}
		}
	}
	return u, err
}
