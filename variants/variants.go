// Package variants is the model at the centre of tailor: a Plan maps every
// preference cluster to one newsletter Variant, made of content blocks chosen
// for the cluster's strongest interests. It depends on the standard library
// only, so every stage and the template loader can share it.
package variants

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Block describes a designer's content block as far as planning needs it: what
// it targets and which subject and preheader it proposes. The Markdown body
// lives with the template set.
type Block struct {
	// ID names the block; it is unique within a template set.
	ID string `json:"id" toml:"id"`
	// Title is a short human description of the block.
	Title string `json:"title,omitempty" toml:"title"`
	// Interests are the interest ids (see the profile taxonomy) the block serves.
	Interests []string `json:"interests,omitempty" toml:"interests"`
	// Default marks blocks used when nothing else fits a cluster.
	Default bool `json:"default,omitempty" toml:"default"`
	// Position places the block in the newsletter: "intro", "body" or "closing".
	Position string `json:"position,omitempty" toml:"position"`
	// Priority breaks ties between blocks that fit equally well; higher first.
	Priority int `json:"priority,omitempty" toml:"priority"`
	// Subjects and Preheaders are candidates for the message's subject line and
	// hidden preheader when this block leads the newsletter.
	Subjects   []string `json:"subjects,omitempty" toml:"subjects"`
	Preheaders []string `json:"preheaders,omitempty" toml:"preheaders"`
}

// Block positions.
const (
	PositionIntro   = "intro"
	PositionBody    = "body"
	PositionClosing = "closing"
)

// Interest is one of a cluster's interests with its share of the cluster's
// spend and its lift over the whole population (share / population share).
type Interest struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Share float64 `json:"share"`
	Lift  float64 `json:"lift"`
}

// Cluster is what planning needs to know of one preference cluster.
type Cluster struct {
	// ID is the cluster's index in the clustering output.
	ID int `json:"id"`
	// Size is the number of cardholders in the cluster; Eligible counts those
	// who may receive marketing mail.
	Size     int `json:"size"`
	Eligible int `json:"eligible"`
	// Interests are ordered strongest first (by lift).
	Interests []Interest `json:"interests"`
	// Label is a readable name, such as "Dining + Travel".
	Label string `json:"label"`
	// Variant is the id the cluster's variant keeps from month to month;
	// empty gives ID of the cluster's position.
	Variant string `json:"variant,omitempty"`
}

// Variant is one version of the newsletter, aimed at one cluster.
type Variant struct {
	// ID is stable for a given plan ("v0001"); it names the variant's
	// directory and appears in links and reports.
	ID        string     `json:"id"`
	Cluster   int        `json:"cluster"`
	Label     string     `json:"label"`
	Size      int        `json:"size"`
	Eligible  int        `json:"eligible"`
	Interests []Interest `json:"interests"`
	// Blocks are block ids in reading order.
	Blocks    []string `json:"blocks"`
	Subject   string   `json:"subject"`
	Preheader string   `json:"preheader"`
}

// Plan is the full set of variants of one campaign month.
type Plan struct {
	Variants []Variant `json:"variants"`
}

// Options tunes Build. The zero value is useful.
type Options struct {
	// MaxInterestBlocks caps the interest blocks per variant (default 3).
	MaxInterestBlocks int
	// MinLift is the lift an interest needs to earn a block (default 1.1);
	// the strongest interest always qualifies when it has any share.
	MinLift float64
	// MinShare is the share of spend an interest needs to earn a block
	// (default 0.05).
	MinShare float64
}

func (o Options) withDefaults() Options {
	if o.MaxInterestBlocks <= 0 {
		o.MaxInterestBlocks = 3
	}
	if o.MinLift <= 0 {
		o.MinLift = 1.1
	}
	if o.MinShare <= 0 {
		o.MinShare = 0.05
	}
	return o
}

// ID returns the variant id of the i-th variant (0-based) of a plan.
func ID(i int) string { return fmt.Sprintf("v%04d", i+1) }

// Build makes one variant per cluster. Each variant opens with the intro
// blocks, follows with the body blocks that serve the cluster's strongest
// interests (or the default body blocks when none fits) and ends with the
// closing blocks. The subject and preheader come from the leading body block.
// Clusters keep their order, so variant i serves clusters[i].
func Build(clusters []Cluster, blocks []Block, opts Options) (Plan, error) {
	opts = opts.withDefaults()
	var intro, closing, defaults []Block
	byInterest := map[string][]Block{}
	for _, b := range blocks {
		switch b.Position {
		case PositionIntro:
			intro = append(intro, b)
			continue
		case PositionClosing:
			closing = append(closing, b)
			continue
		}
		if b.Default {
			defaults = append(defaults, b)
		}
		for _, in := range b.Interests {
			byInterest[in] = append(byInterest[in], b)
		}
	}
	order := func(bs []Block) {
		sort.SliceStable(bs, func(i, j int) bool {
			if bs[i].Priority != bs[j].Priority {
				return bs[i].Priority > bs[j].Priority
			}
			return bs[i].ID < bs[j].ID
		})
	}
	order(intro)
	order(closing)
	order(defaults)
	for k := range byInterest {
		order(byInterest[k])
	}

	plan := Plan{Variants: make([]Variant, 0, len(clusters))}
	for i, c := range clusters {
		id := c.Variant
		if id == "" {
			id = ID(i)
		}
		v := Variant{
			ID:        id,
			Cluster:   c.ID,
			Label:     c.Label,
			Size:      c.Size,
			Eligible:  c.Eligible,
			Interests: c.Interests,
		}
		var body []Block
		used := map[string]bool{}
		for rank, in := range c.Interests {
			if len(body) == opts.MaxInterestBlocks {
				break
			}
			if in.Share < opts.MinShare || (rank > 0 && in.Lift < opts.MinLift) {
				continue
			}
			for _, b := range byInterest[in.ID] {
				if !used[b.ID] {
					used[b.ID] = true
					body = append(body, b)
					break
				}
			}
		}
		if len(body) == 0 {
			body = defaults
		}
		for _, b := range intro {
			v.Blocks = append(v.Blocks, b.ID)
		}
		for _, b := range body {
			v.Blocks = append(v.Blocks, b.ID)
		}
		for _, b := range closing {
			v.Blocks = append(v.Blocks, b.ID)
		}
		if len(body) > 0 {
			lead := body[0]
			// Rotate through the candidates by cluster so that neighbouring
			// variants led by the same block do not all share one subject.
			if n := len(lead.Subjects); n > 0 {
				v.Subject = lead.Subjects[rotate(c.ID, n)]
			}
			if n := len(lead.Preheaders); n > 0 {
				v.Preheader = lead.Preheaders[rotate(c.ID, n)]
			}
		}
		plan.Variants = append(plan.Variants, v)
	}
	return plan, Validate(plan, blocks)
}

// rotate maps a cluster id onto [0, n), negative ids included.
func rotate(id, n int) int { return ((id % n) + n) % n }

// Problem is one thing wrong with a plan.
type Problem struct {
	// Variant is the variant id, or empty for a problem with a block.
	Variant string
	// Block is the block id, or empty for a problem with a variant.
	Block string
	Msg   string
}

func (p Problem) Error() string {
	switch {
	case p.Variant != "":
		return "variant " + p.Variant + ": " + p.Msg
	default:
		return "block " + p.Block + ": " + p.Msg
	}
}

// ErrInvalid is wrapped by the error Validate returns.
var ErrInvalid = errors.New("invalid plan")

// ValidationError lists every problem Validate found.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return fmt.Sprintf("%d problem(s): %s", len(e.Problems), strings.Join(msgs, "; "))
}

// Unwrap lets errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Validate reports every variant with no body content or no subject, every
// reference to an unknown block, and every block that targets nothing (no
// interest, not a default, not an intro or closing block). It returns nil or a
// *ValidationError.
func Validate(plan Plan, blocks []Block) error {
	var probs []Problem
	known := map[string]Block{}
	for _, b := range blocks {
		if _, dup := known[b.ID]; dup {
			probs = append(probs, Problem{Block: b.ID, Msg: "defined more than once"})
		}
		known[b.ID] = b
		if b.Position == "" || b.Position == PositionBody {
			if len(b.Interests) == 0 && !b.Default {
				probs = append(probs, Problem{Block: b.ID, Msg: "targets nothing: give it interests or mark it default"})
			}
		} else if b.Position != PositionIntro && b.Position != PositionClosing {
			probs = append(probs, Problem{Block: b.ID, Msg: fmt.Sprintf("position %q: want intro, body or closing", b.Position)})
		}
	}
	seen := map[string]bool{}
	for _, v := range plan.Variants {
		if seen[v.ID] {
			probs = append(probs, Problem{Variant: v.ID, Msg: "id used twice"})
		}
		seen[v.ID] = true
		body := 0
		for _, id := range v.Blocks {
			b, ok := known[id]
			if !ok {
				probs = append(probs, Problem{Variant: v.ID, Msg: fmt.Sprintf("unknown block %q", id)})
				continue
			}
			if b.Position == "" || b.Position == PositionBody {
				body++
			}
		}
		if body == 0 {
			probs = append(probs, Problem{Variant: v.ID, Msg: "no content: no body block fits and no default block exists"})
		}
		if strings.TrimSpace(v.Subject) == "" {
			probs = append(probs, Problem{Variant: v.ID, Msg: "missing subject: the leading block has no subjects"})
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: probs}
}
