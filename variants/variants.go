// Package variants is the model at the centre of tailor: a Plan maps every
// preference cluster to one newsletter Variant, made of content blocks chosen
// for the cluster's strongest interests. It depends on the standard library
// only, so every stage and the template loader can share it.
package variants

import (
	"errors"
	"fmt"
	"slices"
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
	// Tiers, when not empty, restrict the block to clusters whose majority
	// card tier is listed; a body block with tiers and no interests is a
	// tier block.
	Tiers []string `json:"tiers,omitempty" toml:"tiers"`
	// Relationships, when not empty, restrict the block to clusters whose
	// majority relationship type is listed; a body block with relationships
	// and no interests is a retention block.
	Relationships []string `json:"relationships,omitempty" toml:"relationships"`
	// Default marks blocks used when no interest block fits a cluster.
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

// Slots: the place Build gives a block in a variant, from its position and
// what it targets.
const (
	// SlotIntro blocks open every variant whose cluster they fit.
	SlotIntro = "intro"
	// SlotInterest blocks serve the cluster's strongest interests.
	SlotInterest = "interest"
	// SlotDefault blocks stand in when no interest block fits.
	SlotDefault = "default"
	// SlotTier blocks follow the interest blocks, chosen by the cluster's
	// majority card tier.
	SlotTier = "tier"
	// SlotRetention blocks come just before the closing, chosen by the
	// cluster's majority relationship type.
	SlotRetention = "retention"
	// SlotClosing blocks end every variant whose cluster they fit.
	SlotClosing = "closing"
)

// Slot returns where Build places b: SlotIntro or SlotClosing by its
// position; for a body block, SlotInterest when it lists interests, else
// SlotDefault when it is a default, else SlotRetention when it lists
// relationships, else SlotTier when it lists tiers. It returns "" for a body
// block that targets nothing, and for an unknown position.
func (b Block) Slot() string {
	switch b.Position {
	case PositionIntro:
		return SlotIntro
	case PositionClosing:
		return SlotClosing
	case "", PositionBody:
	default:
		return ""
	}
	switch {
	case len(b.Interests) > 0:
		return SlotInterest
	case b.Default:
		return SlotDefault
	case len(b.Relationships) > 0:
		return SlotRetention
	case len(b.Tiers) > 0:
		return SlotTier
	}
	return ""
}

// Fits reports whether b may appear in the variant of c: c's majority tier
// is among b's Tiers and its majority relationship type among b's
// Relationships, for each of the two that b lists. A cluster with no known
// majority fits no block that lists values for it.
func (b Block) Fits(c *Cluster) bool {
	return (len(b.Tiers) == 0 || slices.Contains(b.Tiers, c.Tier)) &&
		(len(b.Relationships) == 0 || slices.Contains(b.Relationships, c.Relationship))
}

// restrictions counts the dimensions, tier and relationship, that b is
// restricted on: among blocks of equal priority the more specific wins.
func (b Block) restrictions() int {
	n := 0
	if len(b.Tiers) > 0 {
		n++
	}
	if len(b.Relationships) > 0 {
		n++
	}
	return n
}

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
	// Tier is the card tier most of the cluster's members hold, "" when
	// more members have no tier than any one tier; TierShare is the share
	// of members who hold it.
	Tier      string  `json:"tier,omitempty"`
	TierShare float64 `json:"tier_share,omitempty"`
	// Relationship is the members' most common relationship type, such as
	// "lost-for-good" or "lapsing"; RelationshipShare is the share of
	// members of that type.
	Relationship      string  `json:"relationship,omitempty"`
	RelationshipShare float64 `json:"relationship_share,omitempty"`
	// Kinds count the cluster's eligible members by card tier and
	// relationship type, for the recipients of each alternative of the
	// variant's slots. Empty, the slots count no one.
	Kinds []Kind `json:"kinds,omitempty"`
}

// Kind is a number of a cluster's eligible members who hold one card tier
// ("" for none) and have one relationship type.
type Kind struct {
	Tier         string `json:"tier,omitempty"`
	Relationship string `json:"relationship,omitempty"`
	Eligible     int    `json:"eligible"`
}

// Slot is a place in a variant whose block is chosen for each recipient:
// the first of its alternatives whose tiers hold the recipient's card
// tier and whose relationships hold the recipient's relationship type
// (each where the block lists any), none when no alternative matches.
// Every alternative is compiled once for the variant.
type Slot struct {
	// Name is SlotTier or SlotRetention.
	Name string `json:"slot"`
	// Alternatives are in the order they are tried.
	Alternatives []Alternative `json:"alternatives"`
	// Unmatched counts the eligible members no alternative matches.
	Unmatched int `json:"unmatched"`
}

// Alternative is one block a slot may take, with what it matches.
type Alternative struct {
	Block         string   `json:"block"`
	Tiers         []string `json:"tiers,omitempty"`
	Relationships []string `json:"relationships,omitempty"`
	// Recipients counts the cluster's eligible members it is chosen for.
	Recipients int `json:"recipients"`
}

// Matches reports whether a recipient of card tier tier and relationship
// type rel gets a.
func (a Alternative) Matches(tier, rel string) bool {
	return (len(a.Tiers) == 0 || slices.Contains(a.Tiers, tier)) &&
		(len(a.Relationships) == 0 || slices.Contains(a.Relationships, rel))
}

// Choose returns the index of the alternative a recipient of card tier
// tier and relationship type rel gets, -1 for none.
func (s Slot) Choose(tier, rel string) int {
	for i, a := range s.Alternatives {
		if a.Matches(tier, rel) {
			return i
		}
	}
	return -1
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
	// Tier and Relationship are the card tier and relationship type of
	// most of the cluster's members. They choose no block: the tier and
	// retention blocks are Slots, chosen for each recipient.
	Tier         string `json:"tier,omitempty"`
	Relationship string `json:"relationship,omitempty"`
	// Blocks are the ids of the blocks every recipient gets, in reading
	// order.
	Blocks []string `json:"blocks"`
	// Slots are the blocks chosen per recipient: they come after the body
	// blocks, before the closing ones (see Parts).
	Slots []Slot `json:"slots,omitempty"`
	// Subjects are the subject and preheader each interest block of the
	// variant proposes, in reading order, then a default block's (with no
	// interests): a recipient gets those of the first block serving an
	// interest they have spend on, else the default block's, else Subject
	// and Preheader.
	Subjects  []SubjectChoice `json:"subjects,omitempty"`
	Subject   string          `json:"subject"`
	Preheader string          `json:"preheader"`
}

// SubjectChoice is the subject and preheader a block of a variant
// proposes, for the recipients with spend on one of its interests.
type SubjectChoice struct {
	Block     string   `json:"block"`
	Interests []string `json:"interests"`
	Subject   string   `json:"subject"`
	Preheader string   `json:"preheader"`
}

// SubjectFor returns the index in v.Subjects of the subject a recipient
// gets, spending being the interests they have spend on: the first choice
// with one of those interests or with none; -1 for the variant's own
// Subject.
func (v *Variant) SubjectFor(spending []string) int {
	for i, c := range v.Subjects {
		if len(c.Interests) == 0 {
			return i // a default block's, true of anyone
		}
		for _, in := range c.Interests {
			if slices.Contains(spending, in) {
				return i
			}
		}
	}
	return -1
}

// Part is one place of a variant in reading order: a block every
// recipient gets, or a slot.
type Part struct {
	Block string
	Slot  *Slot
}

// Parts returns v's blocks and slots in reading order: the slots come
// before the first closing block, after the rest; position tells a
// block's position (PositionIntro, PositionBody, PositionClosing).
func (v *Variant) Parts(position func(block string) string) []Part {
	out := make([]Part, 0, len(v.Blocks)+len(v.Slots))
	slots := func() {
		for i := range v.Slots {
			out = append(out, Part{Slot: &v.Slots[i]})
		}
	}
	placed := false
	for _, id := range v.Blocks {
		if !placed && position(id) == PositionClosing {
			slots()
			placed = true
		}
		out = append(out, Part{Block: id})
	}
	if !placed {
		slots()
	}
	return out
}

// Plan is the full set of variants of one campaign month.
type Plan struct {
	Variants []Variant `json:"variants"`
}

// Options tunes Build. The zero value is useful.
type Options struct {
	// MaxInterestBlocks caps the interest blocks per variant (default 3).
	MaxInterestBlocks int
	// MaxTierBlocks is the number of tier slots per variant, each giving
	// a recipient one tier block (default 1; negative for none).
	MaxTierBlocks int
	// MaxRetentionBlocks is the number of retention slots per variant,
	// each giving a recipient one retention block (default 1; negative
	// for none).
	MaxRetentionBlocks int
	// MinLift is the lift an interest needs to earn a block (default 1.1);
	// the strongest interest always qualifies when it has any share.
	MinLift float64
	// MinShare is the share of spend an interest needs to earn a block
	// (default 0.05).
	MinShare float64
	// Vocabulary is what the blocks may target; the Validate that ends
	// Build checks them against it. The zero value checks nothing.
	Vocabulary Vocabulary
}

func (o Options) withDefaults() Options {
	if o.MaxInterestBlocks <= 0 {
		o.MaxInterestBlocks = 3
	}
	for _, n := range []*int{&o.MaxTierBlocks, &o.MaxRetentionBlocks} {
		switch {
		case *n == 0:
			*n = 1
		case *n < 0:
			*n = 0
		}
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

// Build makes one variant per cluster, from the blocks that fit the
// cluster (see Block.Fits) in this order:
//
//   - the intro blocks;
//   - one block for each of the cluster's strongest interests, at most
//     MaxInterestBlocks, or the default blocks when no interest block fits;
//   - MaxTierBlocks tier slots and MaxRetentionBlocks retention slots:
//     each recipient gets the first tier (retention) block that fits their
//     own card tier and relationship type, so that nobody reads of a tier
//     they do not hold or is thanked for a loyalty that is fading; a
//     second slot of a kind takes the blocks the first did not;
//   - the closing blocks.
//
// Where several blocks compete, the higher priority wins, then the block
// restricted to more of tier and relationship, then the id that sorts
// first. The subject and preheader come from the leading body block, a
// slot's alternatives aside; Subjects hold those of every interest block,
// for the recipients who have no spend on the leading block's interests. Each slot counts the cluster's eligible
// members (Cluster.Kinds) each alternative is chosen for.
// Clusters keep their order, so variant i serves clusters[i]. Build
// returns the plan with the error of Validate under opts.Vocabulary.
func Build(clusters []Cluster, blocks []Block, opts Options) (Plan, error) {
	opts = opts.withDefaults()
	slots := map[string][]Block{}
	byInterest := map[string][]Block{}
	for _, b := range blocks {
		slot := b.Slot()
		switch slot {
		case SlotInterest:
			for _, in := range b.Interests {
				byInterest[in] = append(byInterest[in], b)
			}
			if b.Default {
				slots[SlotDefault] = append(slots[SlotDefault], b)
			}
		case "":
		default:
			slots[slot] = append(slots[slot], b)
		}
	}
	order := func(bs []Block) {
		sort.SliceStable(bs, func(i, j int) bool {
			if bs[i].Priority != bs[j].Priority {
				return bs[i].Priority > bs[j].Priority
			}
			if ri, rj := bs[i].restrictions(), bs[j].restrictions(); ri != rj {
				return ri > rj
			}
			return bs[i].ID < bs[j].ID
		})
	}
	for _, bs := range slots {
		order(bs)
	}
	for _, bs := range byInterest {
		order(bs)
	}

	plan := Plan{Variants: make([]Variant, 0, len(clusters))}
	for i := range clusters {
		c := &clusters[i]
		id := c.Variant
		if id == "" {
			id = ID(i)
		}
		v := Variant{
			ID:           id,
			Cluster:      c.ID,
			Label:        c.Label,
			Size:         c.Size,
			Eligible:     c.Eligible,
			Interests:    c.Interests,
			Tier:         c.Tier,
			Relationship: c.Relationship,
		}
		used := map[string]bool{}
		// pick appends up to n unused blocks of bs that fit c.
		pick := func(out []Block, bs []Block, n int) []Block {
			for _, b := range bs {
				if n == 0 {
					break
				}
				if !used[b.ID] && b.Fits(c) {
					used[b.ID] = true
					out = append(out, b)
					n--
				}
			}
			return out
		}
		var body []Block
		for rank, in := range c.Interests {
			if len(body) == opts.MaxInterestBlocks {
				break
			}
			if in.Share < opts.MinShare || (rank > 0 && in.Lift < opts.MinLift) {
				continue
			}
			body = pick(body, byInterest[in.ID], 1)
		}
		if len(body) == 0 {
			body = pick(body, slots[SlotDefault], -1)
		}
		v.Slots = append(v.Slots, slotsOf(SlotTier, slots[SlotTier], opts.MaxTierBlocks, c.Kinds, used)...)
		v.Slots = append(v.Slots, slotsOf(SlotRetention, slots[SlotRetention], opts.MaxRetentionBlocks, c.Kinds, used)...)
		var all []Block
		all = pick(all, slots[SlotIntro], -1)
		all = append(all, body...)
		all = pick(all, slots[SlotClosing], -1)
		v.Blocks = make([]string, len(all))
		for j, b := range all {
			v.Blocks[j] = b.ID
		}
		for _, b := range body {
			if len(b.Interests) == 0 || len(b.Subjects) == 0 {
				continue
			}
			sc := SubjectChoice{Block: b.ID, Interests: b.Interests, Subject: b.Subjects[rotate(c.ID, len(b.Subjects))]}
			if n := len(b.Preheaders); n > 0 {
				sc.Preheader = b.Preheaders[rotate(c.ID, n)]
			}
			v.Subjects = append(v.Subjects, sc)
		}
		// For the recipients with spend on none of those interests, a
		// default block's subject, which speaks to every cardmember.
		if len(v.Subjects) > 0 {
			for _, b := range slots[SlotDefault] {
				if len(b.Subjects) == 0 || len(b.Interests) > 0 || !b.Fits(c) {
					continue
				}
				sc := SubjectChoice{Block: b.ID, Subject: b.Subjects[rotate(c.ID, len(b.Subjects))]}
				if n := len(b.Preheaders); n > 0 {
					sc.Preheader = b.Preheaders[rotate(c.ID, n)]
				}
				v.Subjects = append(v.Subjects, sc)
				break
			}
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
	return plan, opts.Vocabulary.Validate(plan, blocks)
}

// slotsOf makes n slots of the kind name from bs, in their order: each
// takes the blocks the slots before it did not, one for each distinct
// target, so that a second tier slot gives a recipient a second block of
// their tier. used is marked with every block taken.
func slotsOf(name string, bs []Block, n int, kinds []Kind, used map[string]bool) []Slot {
	var out []Slot
	for range n {
		var s Slot
		for _, b := range bs {
			if used[b.ID] {
				continue
			}
			alt := Alternative{Block: b.ID, Tiers: b.Tiers, Relationships: b.Relationships}
			// A block no recipient could get, the alternatives before it
			// taking them all, is left for the next slot.
			if shadowed(s.Alternatives, alt) {
				continue
			}
			used[b.ID] = true
			s.Alternatives = append(s.Alternatives, alt)
		}
		if len(s.Alternatives) == 0 {
			break
		}
		s.Name = name
		for _, k := range kinds {
			if i := s.Choose(k.Tier, k.Relationship); i >= 0 {
				s.Alternatives[i].Recipients += k.Eligible
			} else {
				s.Unmatched += k.Eligible
			}
		}
		out = append(out, s)
	}
	return out
}

// shadowed reports whether every recipient b matches is matched by one of
// alts: for each tier and relationship b lists, or any when it lists none
// (which only an alternative that lists none matches).
func shadowed(alts []Alternative, b Alternative) bool {
	const anyValue = "\x00any"
	values := func(vs []string) []string {
		if len(vs) == 0 {
			return []string{anyValue}
		}
		return vs
	}
	matches := func(list []string, v string) bool {
		return len(list) == 0 || v != anyValue && slices.Contains(list, v)
	}
	for _, t := range values(b.Tiers) {
		for _, r := range values(b.Relationships) {
			taken := false
			for _, a := range alts {
				if matches(a.Tiers, t) && matches(a.Relationships, r) {
					taken = true
					break
				}
			}
			if !taken {
				return false
			}
		}
	}
	return true
}

// rotate maps a cluster id onto [0, n), negative ids included.
func rotate(id, n int) int { return ((id % n) + n) % n }

// Problem is one thing wrong with a plan.
type Problem struct {
	// Variant is the variant id, or empty for a problem with a block.
	Variant string
	// Block is the block id, or empty for a problem with a variant.
	Block string
	// Key is the block's front matter key the problem is about, such as
	// "tiers", and Value the offending value, when there is one: a
	// template loader uses them to point at the line.
	Key   string
	Value string
	Msg   string
}

func (p Problem) Error() string {
	switch {
	case p.Variant != "":
		return "variant " + p.Variant + ": " + p.Msg
	case p.Key != "":
		return "block " + p.Block + ": " + p.Key + ": " + p.Msg
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

// Vocabulary lists the values content blocks may target: the interest ids
// of the taxonomy, the campaign's card tiers and the relationship types.
// The caller fills it, since they come from the pipeline's configuration.
// An empty list is not checked.
type Vocabulary struct {
	Interests     []string
	Tiers         []string
	Relationships []string
}

// Validate reports the problems of plan and blocks that need no
// vocabulary: it is Vocabulary{}.Validate.
func Validate(plan Plan, blocks []Block) error {
	return Vocabulary{}.Validate(plan, blocks)
}

// Validate reports every block defined twice, placed at an unknown position
// or targeting nothing (a body block with no interests, tiers or
// relationships that is not a default), every interest, tier and
// relationship a block targets that voc does not list, and every variant
// with a duplicate id, an unknown block, no body content or no subject. It
// returns nil or a *ValidationError.
func (voc Vocabulary) Validate(plan Plan, blocks []Block) error {
	var probs []Problem
	known := map[string]Block{}
	for _, b := range blocks {
		if _, dup := known[b.ID]; dup {
			probs = append(probs, Problem{Block: b.ID, Msg: "defined more than once"})
		}
		known[b.ID] = b
		switch b.Position {
		case "", PositionBody:
			if b.Slot() == "" {
				probs = append(probs, Problem{Block: b.ID, Msg: "targets nothing: give it interests, tiers or relationships, or mark it default"})
			}
		case PositionIntro, PositionClosing:
		default:
			probs = append(probs, Problem{Block: b.ID, Key: "position", Value: b.Position, Msg: unknown("position", b.Position, []string{PositionIntro, PositionBody, PositionClosing})})
		}
		for _, f := range []struct {
			key, what string
			vals      []string
			known     []string
		}{
			{"interests", "interest", b.Interests, voc.Interests},
			{"tiers", "tier", b.Tiers, voc.Tiers},
			{"relationships", "relationship type", b.Relationships, voc.Relationships},
		} {
			if len(f.known) == 0 {
				continue
			}
			for _, v := range f.vals {
				if !slices.Contains(f.known, v) {
					probs = append(probs, Problem{Block: b.ID, Key: f.key, Value: v, Msg: unknown(f.what, v, f.known)})
				}
			}
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
		for _, sl := range v.Slots {
			for _, a := range sl.Alternatives {
				if _, ok := known[a.Block]; !ok {
					probs = append(probs, Problem{Variant: v.ID, Msg: fmt.Sprintf("slot %s: unknown block %q", sl.Name, a.Block)})
				}
			}
		}
		if body == 0 {
			probs = append(probs, Problem{Variant: v.ID, Msg: "no content: no interest block fits and no default block exists (tier and retention blocks are chosen for each recipient and cannot lead)"})
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

// unknown describes a value missing from a vocabulary: with the value it
// is most likely a typo of, or else with the list when it is short.
func unknown(what, v string, known []string) string {
	msg := fmt.Sprintf("unknown %s %q", what, v)
	best, bestD := "", 3 // suggest only within two edits
	for _, k := range known {
		if d := distance(strings.ToLower(v), k); d < bestD {
			best, bestD = k, d
		}
	}
	switch {
	case best != "":
		return msg + fmt.Sprintf(" (did you mean %q?)", best)
	case len(known) <= 8:
		return msg + " (want " + strings.Join(known, ", ") + ")"
	}
	return msg
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
