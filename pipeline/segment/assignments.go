package segment

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/tailor-mail/tailor/pipeline/profile"
)

// WriteAssignments writes assignments.csv: a header, then one record per
// profile of ps, in order, with its id, cluster, variant and mail status.
// rows[i] is the index in ps of clustered row i, assign[i] its cluster and
// variantOf[c] the variant of cluster c; the cluster and variant of a
// profile that was not clustered are empty.
func WriteAssignments(w io.Writer, ps []profile.Profile, rows []int, assign []int32, variantOf []string) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	cluster := make([]int, len(ps))
	for i := range cluster {
		cluster[i] = -1
	}
	for row, c := range assign {
		cluster[rows[row]] = int(c)
	}
	if err := cw.Write([]string{"cardholder_id", "cluster", "variant", "mail_status"}); err != nil {
		return err
	}
	for i := range ps {
		c, v := "", ""
		if cluster[i] >= 0 {
			c, v = strconv.Itoa(cluster[i]), variantOf[cluster[i]]
		}
		if err := cw.Write([]string{ps[i].ID, c, v, string(ps[i].Status())}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// ReadAssignments reads an assignments.csv: the variant of every
// cardholder that has one. name is used in errors ("assignments.csv:
// ..."); errors of the CSV reader are wrapped, and a record that does not
// have the four fields of WriteAssignments is an error wrapping
// csv.ErrFieldCount with the file and line.
func ReadAssignments(r io.Reader, name string) (map[string]string, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	if _, err := cr.Read(); err == io.EOF {
		return nil, fmt.Errorf("%s: no header: %w", name, io.ErrUnexpectedEOF)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := map[string]string{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) != 4 {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("%s:%d: %w: %d, want 4", name, line, csv.ErrFieldCount, len(rec))
		}
		if rec[2] != "" {
			out[rec[0]] = rec[2]
		}
	}
}
