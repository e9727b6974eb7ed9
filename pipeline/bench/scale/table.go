package main

import (
	"fmt"
	"io"
	"strings"
)

// writeSize writes one size's Markdown table and its DuckDB line.
func writeSize(w io.Writer, r sizeResult) {
	d := &r.doc
	transactions := d.inputRows("transactions")
	checked := 0
	if d.Fit != nil {
		checked = d.Fit.Checked
	}
	fmt.Fprintf(w, "\n## %s cardholders\n\n", count(int64(r.cardholders)))
	fmt.Fprintf(w, "%s transactions; cardholders.csv %s, transactions.csv %s; %s clusters, %s variants (%s distinct newsletters); fit checked %s messages.\n\n",
		count(int64(transactions)), size(r.holderBytes), size(r.transactionBytes),
		count(int64(d.Clusters)), count(int64(d.Variants)), count(int64(d.Distinct)), count(int64(checked)))
	fmt.Fprintln(w, "| stage | seconds | cores | peak RSS | throughput | bytes/cardholder |")
	fmt.Fprintln(w, "|---|--:|--:|--:|---|--:|")
	for _, st := range d.Stages {
		sec := float64(st.DurationMS) / 1000
		var tp string
		switch st.Name {
		case "ingest":
			tp = rate(float64(transactions), sec, "rows/s")
			if sec > 0 {
				tp += fmt.Sprintf(", %.0f MB/s", float64(r.holderBytes+r.transactionBytes)/1e6/sec)
			}
		case "profile":
			tp = rate(float64(transactions), sec, "transactions/s")
		case "render":
			tp = rate(float64(d.Variants), sec, "variants/s")
		case "fit":
			tp = rate(float64(checked), sec, "messages/s")
		default:
			tp = rate(float64(r.cardholders), sec, "cardholders/s")
		}
		c := cores(float64(st.CPUMS), float64(st.DurationMS))
		if st.DurationMS < 5 {
			// Below the table's hundredth of a second (a stage with
			// nothing to do, as the outbox without messages): no rate.
			c, tp = "–", "–"
		}
		fmt.Fprintf(w, "| %s | %.2f | %s | %s | %s | %s |\n", st.Name, sec,
			c, size(st.PeakRSS), tp, perCardholder(st.PeakRSS, r.cardholders))
	}
	t := r.tailor
	fmt.Fprintf(w, "| **total** | %.2f | %s | %s | %s | %s |\n", t.wall.Seconds(),
		cores(t.cpu.Seconds(), t.wall.Seconds()), size(t.maxRSS), rate(float64(r.cardholders), t.wall.Seconds(), "cardholders/s"),
		perCardholder(t.maxRSS, r.cardholders))
	var beside []string
	for i, st := range d.Stages {
		if st.FilesMS > 0 && i+1 < len(d.Stages) {
			beside = append(beside, fmt.Sprintf("%s's in %.2f s beside %s", st.Name, float64(st.FilesMS)/1000, d.Stages[i+1].Name))
		}
	}
	if len(beside) > 0 {
		fmt.Fprintf(w, "\nFiles written while the next stage ran (their processor time is in that stage's): %s.\n", strings.Join(beside, "; "))
	}

	if r.duckdb == nil {
		return
	}
	dk := r.duckdb
	// DuckDB keeps its result in memory, as tailor's ingest and profile
	// stages keep the profiles; profiles.csv, written beside the cluster
	// stage, is shown apart.
	var tailorSec, filesSec float64
	for _, st := range d.Stages {
		if st.Name == "ingest" || st.Name == "profile" {
			tailorSec += float64(st.DurationMS) / 1000
			filesSec += float64(st.FilesMS) / 1000
		}
	}
	ratio := func(sec float64) string {
		if dk.wall <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", sec/dk.wall.Seconds())
	}
	fmt.Fprintf(w, "\nDuckDB group-by (threads %d): %.2f s, %s cores, peak RSS %s, %s rows out; tailor ingest + profile: %.2f s; ratio tailor/DuckDB: %s",
		dk.threads, dk.wall.Seconds(), cores(dk.cpu.Seconds(), dk.wall.Seconds()), size(dk.maxRSS), count(dk.rows), tailorSec, ratio(tailorSec))
	if filesSec > 0 {
		fmt.Fprintf(w, " (%s with profiles.csv written, %.2f s more)", ratio(tailorSec+filesSec), filesSec)
	}
	fmt.Fprintln(w)
	writeRuns(w, r)
}

// writeRuns lists every run of a size measured more than once, in the
// order they ran: the whole run, and ingest + profile against DuckDB's
// run after it.
func writeRuns(w io.Writer, r sizeResult) {
	if len(r.runs) < 2 {
		return
	}
	var walls, ratios []string
	for _, t := range r.runs {
		walls = append(walls, fmt.Sprintf("%.2f", t.wall.Seconds()))
		if t.duckdb > 0 {
			ratios = append(ratios, fmt.Sprintf("%.2f", t.ingestProfile.Seconds()/t.duckdb.Seconds()))
		}
	}
	fmt.Fprintf(w, "\n%d runs, tailor and DuckDB in turn; the tables show the run of median time. Whole runs: %s s", len(r.runs), strings.Join(walls, ", "))
	if len(ratios) > 0 {
		fmt.Fprintf(w, "; ingest + profile against DuckDB: %s", strings.Join(ratios, ", "))
	}
	fmt.Fprintln(w, ".")
}

// writeLinearity writes each stage's seconds per million cardholders at
// each size, and the ratio of the largest size's cost per cardholder to the
// smallest's: well above 1, the stage grows faster than its input.
func writeLinearity(w io.Writer, results []sizeResult) {
	if len(results) == 0 {
		return
	}
	small, large := 0, 0
	for i, r := range results {
		if r.cardholders < results[small].cardholders {
			small = i
		}
		if r.cardholders > results[large].cardholders {
			large = i
		}
	}
	// The stages in their order, as the runs list them; then the whole run.
	var names []string
	seen := map[string]bool{}
	for _, r := range results {
		for _, st := range r.doc.Stages {
			if !seen[st.Name] {
				seen[st.Name] = true
				names = append(names, st.Name)
			}
		}
	}
	perMillion := func(r sizeResult, name string) (float64, bool) {
		if name == "total" {
			return r.tailor.wall.Seconds() / (float64(r.cardholders) / 1e6), true
		}
		for _, st := range r.doc.Stages {
			if st.Name == name {
				return float64(st.DurationMS) / 1000 / (float64(r.cardholders) / 1e6), true
			}
		}
		return 0, false
	}

	fmt.Fprintf(w, "\n## Linearity\n\nSeconds per million cardholders at each size; the ratio is the largest size's cost per cardholder over the smallest's (1: linear).\n\n")
	head := []string{"stage"}
	for _, r := range results {
		head = append(head, "s/M @ "+short(r.cardholders))
	}
	if small == large {
		head = append(head, "ratio")
	} else {
		head = append(head, fmt.Sprintf("ratio %s/%s", short(results[large].cardholders), short(results[small].cardholders)))
	}
	fmt.Fprintf(w, "| %s |\n|---|%s\n", strings.Join(head, " | "), strings.Repeat("--:|", len(head)-1))
	for _, name := range append(names, "total") {
		row := []string{name}
		if name == "total" {
			row[0] = "**total**"
		}
		for _, r := range results {
			if v, ok := perMillion(r, name); ok {
				row = append(row, fmt.Sprintf("%.2f", v))
			} else {
				row = append(row, "–")
			}
		}
		lo, okLo := perMillion(results[small], name)
		hi, okHi := perMillion(results[large], name)
		if okLo && okHi && lo > 0 && small != large {
			row = append(row, fmt.Sprintf("%.2f", hi/lo))
		} else {
			row = append(row, "–")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

// cores is cpu / wall, or "–" when either was not measured.
func cores(cpu, wall float64) string {
	if cpu <= 0 || wall <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", cpu/wall)
}

// rate is n per second with its unit, in k or M when large.
func rate(n, sec float64, unit string) string {
	if sec <= 0 {
		return "–"
	}
	v := n / sec
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M %s", v/1e6, unit)
	case v >= 1e4:
		return fmt.Sprintf("%.0f k %s", v/1e3, unit)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k %s", v/1e3, unit)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// size is a byte count in MB or GB (powers of 10), or "–" when 0.
func size(b int64) string {
	switch {
	case b <= 0:
		return "–"
	case b >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(b)/1e9)
	}
	return fmt.Sprintf("%.0f MB", float64(b)/1e6)
}

// perCardholder is b / n bytes, or "–" when b is 0.
func perCardholder(b int64, n int) string {
	if b <= 0 || n <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(b)/float64(n))
}

// count writes n with thousands separators.
func count(n int64) string {
	if n < 0 {
		return "-" + count(-n)
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// short names a number of cardholders: 100k, 1M, 2.5M.
func short(n int) string {
	switch {
	case n >= 1e6 && n%1e5 == 0:
		return fmt.Sprintf("%gM", float64(n)/1e6)
	case n >= 1e3 && n%100 == 0:
		return fmt.Sprintf("%gk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
