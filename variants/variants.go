// Package variants is the model at the centre of tailor: a Plan maps every
// preference cluster to one newsletter Variant, made of content blocks chosen
// for the cluster's strongest interests. It depends on the standard library
// only, so every stage and the template loader can share it.
package variants

import (
	"errors"
	"fmt"
	"iter"
	"maps"
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
	// Tiers, Relationships, Locales and Attributes, each when not empty,
	// restrict the block to the recipients who hold one of the card
	// tiers, have one of the relationship types, read one of the locales
	// (see Target.Matches) and have, for each attribute named, one of
	// its values: such a block is chosen per recipient (see Build). A
	// body block with tiers and no interests is a tier block; with
	// relationships and no interests, a retention block.
	Tiers         []string            `json:"tiers,omitempty" toml:"tiers"`
	Relationships []string            `json:"relationships,omitempty" toml:"relationships"`
	Locales       []string            `json:"locales,omitempty" toml:"locales"`
	Attributes    map[string][]string `json:"attributes,omitempty" toml:"attributes"`
	// Replaces names the block this one stands in for, for the
	// recipients it targets: they read it where the other would be.
	Replaces string `json:"replaces,omitempty" toml:"replaces"`
	// MinShare and MaxShare, when not zero, hold an interest block to
	// the clusters that put at least MinShare and less than MaxShare of
	// their spend into the interest of its place (0 to 1): a cluster at
	// 70% of its spend in travel can read another block than one at 12%.
	// They choose per cluster, never per recipient.
	MinShare float64 `json:"min_share,omitempty" toml:"min_share"`
	MaxShare float64 `json:"max_share,omitempty" toml:"max_share"`
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

// Fits reports whether b may serve an interest of which a cluster has
// share of its spend: share is at least b.MinShare and, when b has a
// MaxShare, below it.
func (b Block) Fits(share float64) bool {
	return share >= b.MinShare && (b.MaxShare == 0 || share < b.MaxShare)
}

// Target returns whom b is for.
func (b Block) Target() Target {
	return Target{Tiers: b.Tiers, Relationships: b.Relationships, Locales: b.Locales, Attributes: b.Attributes}
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
	// SlotIntro blocks open every variant.
	SlotIntro = "intro"
	// SlotInterest blocks serve the cluster's strongest interests.
	SlotInterest = "interest"
	// SlotDefault blocks stand in when no interest block fits.
	SlotDefault = "default"
	// SlotTier blocks follow the interest blocks, one per recipient, for
	// their card tier.
	SlotTier = "tier"
	// SlotRetention blocks come just before the closing, one per
	// recipient, for their relationship type.
	SlotRetention = "retention"
	// SlotClosing blocks end every variant.
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

// Target is whom a block is for: each list, when not empty, holds the
// values a recipient's own must be among. The zero Target is for everyone.
type Target struct {
	Tiers         []string `json:"tiers,omitempty"`
	Relationships []string `json:"relationships,omitempty"`
	// Locales match a recipient's locale without regard to case or to
	// "_" for "-"; a language alone ("fr") matches each of its regions
	// ("fr-CA").
	Locales []string `json:"locales,omitempty"`
	// Attributes map a cardholder attribute (an extra column of the
	// cardholders input) to its values, matched without regard to case
	// or surrounding space; a recipient without the attribute matches
	// none.
	Attributes map[string][]string `json:"attributes,omitempty"`
}

// Everyone reports whether t is for every recipient.
func (t Target) Everyone() bool { return t.dimensions() == 0 }

// dimensions counts what t restricts: among blocks of equal priority the
// more specific comes first.
func (t Target) dimensions() int {
	n := len(t.Attributes)
	for _, l := range [][]string{t.Tiers, t.Relationships, t.Locales} {
		if len(l) > 0 {
			n++
		}
	}
	return n
}

// Matches reports whether t is for m.
func (t Target) Matches(m Member) bool {
	if len(t.Tiers) > 0 && !slices.Contains(t.Tiers, m.Tier) ||
		len(t.Relationships) > 0 && !slices.Contains(t.Relationships, m.Relationship) ||
		len(t.Locales) > 0 && !slices.ContainsFunc(t.Locales, func(l string) bool { return LocaleMatches(l, m.Locale) }) {
		return false
	}
	for name, vals := range t.Attributes {
		v, ok := m.Attrs[name]
		v = strings.TrimSpace(v)
		if !ok || !slices.ContainsFunc(vals, func(w string) bool { return strings.EqualFold(strings.TrimSpace(w), v) }) {
			return false
		}
	}
	return true
}

// LocaleMatches reports whether a recipient's locale matches a block's
// locale want: the same tag, ignoring case and "_" for "-", or want is a
// language alone and locale one of its regions or scripts.
func LocaleMatches(want, locale string) bool {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-") }
	w, l := norm(want), norm(locale)
	return w != "" && (w == l || strings.HasPrefix(l, w+"-"))
}

// Member is what chooses a recipient's alternatives: their card tier
// ("" for none), relationship type, locale and cardholder attributes.
type Member struct {
	Tier         string            `json:"tier,omitempty"`
	Relationship string            `json:"relationship,omitempty"`
	Locale       string            `json:"locale,omitempty"`
	Attrs        map[string]string `json:"attributes,omitempty"`
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
	// of members who hold it. Reports show them; they choose no block.
	Tier      string  `json:"tier,omitempty"`
	TierShare float64 `json:"tier_share,omitempty"`
	// Relationship is the members' most common relationship type, such as
	// "lost-for-good" or "lapsing"; RelationshipShare is the share of
	// members of that type.
	Relationship      string  `json:"relationship,omitempty"`
	RelationshipShare float64 `json:"relationship_share,omitempty"`
	// Kinds count the cluster's eligible members by what chooses their
	// alternatives (see Member), for the recipients of each alternative
	// of the variant's slots. Empty, the slots count no one.
	Kinds []Kind `json:"kinds,omitempty"`
}

// Kind is a number of a cluster's eligible members alike in what chooses
// their alternatives.
type Kind struct {
	Member
	Eligible int `json:"eligible"`
}

// Count returns the kinds of members: the number of them alike in card
// tier, relationship type, locale and the attributes named (the others
// are left out), in a fixed order.
func Count(members iter.Seq[Member], attributes []string) []Kind {
	kinds := map[string]*Kind{}
	var key []byte
	for m := range members {
		key = append(append(append(append(append(key[:0], m.Tier...), 0), m.Relationship...), 0), m.Locale...)
		for _, a := range attributes {
			if v, ok := m.Attrs[a]; ok {
				key = append(append(append(append(key, 0), a...), '='), v...)
			}
		}
		k := kinds[string(key)]
		if k == nil {
			k = &Kind{Member: Member{Tier: m.Tier, Relationship: m.Relationship, Locale: m.Locale}}
			for _, a := range attributes {
				if v, ok := m.Attrs[a]; ok {
					if k.Attrs == nil {
						k.Attrs = map[string]string{}
					}
					k.Attrs[a] = v
				}
			}
			kinds[string(key)] = k
		}
		k.Eligible++
	}
	out := make([]Kind, 0, len(kinds))
	for _, key := range slices.Sorted(maps.Keys(kinds)) {
		out = append(out, *kinds[key])
	}
	return out
}

// Slot is a place in a variant whose block is chosen for each recipient:
// the first of its alternatives whose target matches them (see
// Target.Matches), none when no alternative does. Every alternative is
// compiled once for the variant.
type Slot struct {
	// Name is the slot of its blocks: SlotIntro, SlotInterest,
	// SlotDefault, SlotTier, SlotRetention or SlotClosing.
	Name string `json:"slot"`
	// At places the slot in the variant: before Variant.Blocks[At], or
	// after the last block when At is len(Blocks).
	At int `json:"at"`
	// Alternatives are in the order they are tried.
	Alternatives []Alternative `json:"alternatives"`
	// Unmatched counts the eligible members no alternative matches.
	Unmatched int `json:"unmatched"`
}

// Alternative is one block a slot may take, with whom it is for.
type Alternative struct {
	Block string `json:"block"`
	Target
	// Recipients counts the cluster's eligible members it is chosen for.
	Recipients int `json:"recipients"`
}

// Choose returns the index of the alternative m gets, -1 for none.
func (s *Slot) Choose(m Member) int {
	for i, a := range s.Alternatives {
		if a.Matches(m) {
			return i
		}
	}
	return -1
}

// Covers reports whether every recipient gets one of s's alternatives:
// its last is for everyone.
func (s *Slot) Covers() bool {
	return len(s.Alternatives) > 0 && s.Alternatives[len(s.Alternatives)-1].Everyone()
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
	// most of the cluster's members. They choose no block: blocks that
	// target recipients are Slots, chosen for each.
	Tier         string `json:"tier,omitempty"`
	Relationship string `json:"relationship,omitempty"`
	// Blocks are the ids of the blocks every recipient gets, in reading
	// order.
	Blocks []string `json:"blocks"`
	// Slots are the blocks chosen per recipient, in reading order, each
	// placed among Blocks by its At (see Parts).
	Slots []Slot `json:"slots,omitempty"`
	// Subjects are the subject and preheader each interest block of the
	// variant proposes, in reading order, then a default block's (with no
	// interests): a recipient gets those of the first block they are a
	// target of and that serves an interest they have spend on, else the
	// default block's, else Subject and Preheader.
	Subjects  []SubjectChoice `json:"subjects,omitempty"`
	Subject   string          `json:"subject"`
	Preheader string          `json:"preheader"`
	// SameAs, when not empty, is the id of the variant whose newsletter
	// this variant's cluster reads: the two plans make the same
	// newsletter (Plan.Share), which is rendered, audited and sent once,
	// as that variant. Also lists, on that variant, the ids of the
	// variants whose SameAs it is.
	SameAs string   `json:"same_as,omitempty"`
	Also   []string `json:"also,omitempty"`
	// AlsoInterests, on a newsletter Plan.Newsletters made of several
	// clusters' variants, are the interests of the other clusters that
	// are not among Interests, in the order met: the newsletter's
	// picks follow them too, and "why you got this" may name them.
	AlsoInterests []Interest `json:"also_interests,omitempty"`
}

// SubjectChoice is the subject and preheader a block of a variant
// proposes, for the recipients of its target with spend on one of its
// interests.
type SubjectChoice struct {
	Block     string   `json:"block"`
	Interests []string `json:"interests"`
	Target
	Subject   string `json:"subject"`
	Preheader string `json:"preheader"`
}

// SubjectFor returns the index in v.Subjects of the subject m gets,
// spending being the interests they have spend on: the first choice whose
// target matches them, with one of those interests or with none; -1 for
// the variant's own Subject.
func (v *Variant) SubjectFor(m Member, spending []string) int {
	for i, c := range v.Subjects {
		if !c.Matches(m) {
			continue
		}
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

// Parts returns v's blocks and slots in reading order: each slot before
// the block its At names, after the slots before it.
func (v *Variant) Parts() []Part {
	out := make([]Part, 0, len(v.Blocks)+len(v.Slots))
	s := 0
	for i := 0; i <= len(v.Blocks); i++ {
		for ; s < len(v.Slots) && v.Slots[s].At <= i; s++ {
			out = append(out, Part{Slot: &v.Slots[s]})
		}
		if i < len(v.Blocks) {
			out = append(out, Part{Block: v.Blocks[i]})
		}
	}
	for ; s < len(v.Slots); s++ {
		out = append(out, Part{Slot: &v.Slots[s]})
	}
	return out
}

// BlockIDs returns every block v may show, in reading order (Parts), each
// once: its blocks and every alternative of its slots.
func (v *Variant) BlockIDs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, p := range v.Parts() {
		if p.Slot == nil {
			add(p.Block)
			continue
		}
		for _, a := range p.Slot.Alternatives {
			add(a.Block)
		}
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

// Build makes one variant per cluster, in this order:
//
//   - the intro blocks;
//   - one block for each of the cluster's strongest interests, at most
//     MaxInterestBlocks, then the default blocks when none of them is for
//     every recipient;
//   - MaxTierBlocks tier slots and MaxRetentionBlocks retention slots:
//     each recipient gets the first tier (retention) block that targets
//     them, so that nobody reads of a tier they do not hold or is thanked
//     for a loyalty that is fading; a second slot of a kind takes the
//     blocks the first did not;
//   - the closing blocks.
//
// An interest block with min_share or max_share (Block.Fits) competes
// only for the clusters whose share of the interest is in its range.
// Where several blocks compete, the higher priority wins, then the block
// restricted on more (see Target), then the id that sorts first. Every
// block that targets recipients (tiers, relationships, locales,
// attributes) is chosen per recipient: it becomes a slot. For an interest,
// the slot tries the targeted blocks that rank before its first block for
// everyone, then that block, the default alternative; an intro, default
// or closing block that targets recipients is a slot of its own, which
// the others skip. A block that replaces another is tried before it, in
// its place. The subject and preheader come from the leading body block,
// the variants with the same blocks and slots taking turns through its
// candidates (subjects first, then preheaders);
// Subjects hold those of every interest block, for the recipients who
// have no spend on the leading block's interests or are not its target.
// Each slot counts the cluster's eligible members (Cluster.Kinds) each
// alternative is chosen for. Clusters keep their order, so variant i
// serves clusters[i]. Build returns the plan with the error of Validate
// under opts.Vocabulary.
func Build(clusters []Cluster, blocks []Block, opts Options) (Plan, error) {
	opts = opts.withDefaults()
	slots := map[string][]Block{}
	byInterest := map[string][]Block{}
	replacing := map[string][]Block{}
	for _, b := range blocks {
		if b.Replaces != "" {
			replacing[b.Replaces] = append(replacing[b.Replaces], b)
			continue
		}
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
			if ri, rj := bs[i].Target().dimensions(), bs[j].Target().dimensions(); ri != rj {
				return ri > rj
			}
			return bs[i].ID < bs[j].ID
		})
	}
	for _, m := range []map[string][]Block{slots, byInterest, replacing} {
		for _, bs := range m {
			order(bs)
		}
	}

	plan := Plan{Variants: make([]Variant, 0, len(clusters))}
	// turns counts the variants of each list of blocks and slots so far,
	// and first holds the cluster id of the first: the variants with the
	// same blocks take turns through their subject lines and preheaders.
	turns, first := map[string]int{}, map[string]int{}
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
		// A place is a block for everyone (one alternative, for
		// everyone) or a slot.
		type place struct {
			name string
			alts []Block
		}
		// each makes a place of every unused block of bs.
		each := func(name string, bs []Block) []place {
			var out []place
			for _, b := range bs {
				if !used[b.ID] {
					used[b.ID] = true
					out = append(out, place{name, []Block{b}})
				}
			}
			return out
		}
		var body []place
		for rank, in := range c.Interests {
			if len(body) == opts.MaxInterestBlocks {
				break
			}
			if in.Share < opts.MinShare || (rank > 0 && in.Lift < opts.MinLift) {
				continue
			}
			// The blocks targeted at some recipients, up to the first
			// for everyone, which the others get.
			var alts []Block
			for _, b := range byInterest[in.ID] {
				if used[b.ID] || !b.Fits(in.Share) {
					continue
				}
				alts = append(alts, b)
				if b.Target().Everyone() {
					break
				}
			}
			if len(alts) > 0 {
				for _, b := range alts {
					used[b.ID] = true
				}
				body = append(body, place{SlotInterest, alts})
			}
		}
		// The default blocks when no interest block is for everyone.
		if !slices.ContainsFunc(body, func(p place) bool { return p.alts[len(p.alts)-1].Target().Everyone() }) {
			body = append(body, each(SlotDefault, slots[SlotDefault])...)
		}
		places := each(SlotIntro, slots[SlotIntro])
		places = append(places, body...)
		for _, s := range slotsOf(SlotTier, slots[SlotTier], opts.MaxTierBlocks, used) {
			places = append(places, place{SlotTier, s})
		}
		for _, s := range slotsOf(SlotRetention, slots[SlotRetention], opts.MaxRetentionBlocks, used) {
			places = append(places, place{SlotRetention, s})
		}
		places = append(places, each(SlotClosing, slots[SlotClosing])...)
		for pi := range places {
			p := &places[pi]
			var alts []Block
			for _, b := range p.alts {
				alts = append(alts, replacing[b.ID]...)
				alts = append(alts, b)
			}
			p.alts = alts
			if len(alts) == 1 && alts[0].Target().Everyone() {
				v.Blocks = append(v.Blocks, alts[0].ID)
				continue
			}
			s := Slot{Name: p.name, At: len(v.Blocks)}
			var targets []Target
			for _, b := range alts {
				// A block no recipient could get, the alternatives before
				// it taking them all, is left out.
				if t := b.Target(); !shadowed(targets, t) {
					s.Alternatives = append(s.Alternatives, Alternative{Block: b.ID, Target: t})
					targets = append(targets, t)
				}
			}
			for _, k := range c.Kinds {
				if i := s.Choose(k.Member); i >= 0 {
					s.Alternatives[i].Recipients += k.Eligible
				} else {
					s.Unmatched += k.Eligible
				}
			}
			v.Slots = append(v.Slots, s)
		}
		// The subjects: those of the interest blocks, then, for the
		// recipients with spend on none of those interests, a default
		// block's, which speaks to every cardmember. The first variant of
		// a list of blocks and slots takes the candidates its cluster id
		// points at; the next ones with the same list step through the
		// subjects, then the preheaders, so that they differ in both
		// before any pair repeats.
		key := (&Variant{Blocks: v.Blocks, Slots: v.Slots}).Signature()
		turn := turns[key]
		turns[key]++
		base, ok := first[key]
		if !ok {
			base, first[key] = c.ID, c.ID
		}
		subject := func(b Block) (string, string) {
			n := len(b.Subjects)
			sub := b.Subjects[rotate(base+turn, n)]
			pre := ""
			if m := len(b.Preheaders); m > 0 {
				pre = b.Preheaders[rotate(base+turn/n, m)]
			}
			return sub, pre
		}
		choice := func(b Block) SubjectChoice {
			sc := SubjectChoice{Block: b.ID, Interests: b.Interests, Target: b.Target()}
			sc.Subject, sc.Preheader = subject(b)
			return sc
		}
		for _, p := range body {
			for _, b := range p.alts {
				if len(b.Interests) > 0 && len(b.Subjects) > 0 {
					v.Subjects = append(v.Subjects, choice(b))
				}
			}
		}
		if len(v.Subjects) > 0 {
			for _, b := range slots[SlotDefault] {
				if len(b.Subjects) > 0 && len(b.Interests) == 0 {
					v.Subjects = append(v.Subjects, choice(b))
					if b.Target().Everyone() {
						break
					}
				}
			}
		}
		// The variant's own subject is the leading body block's: of the
		// first place with a block for everyone, that block.
		if len(body) > 0 {
			lead := body[0].alts[len(body[0].alts)-1]
			for _, p := range body {
				if b := p.alts[len(p.alts)-1]; b.Target().Everyone() {
					lead = b
					break
				}
			}
			// Rotate through the candidates by cluster so that neighbouring
			// variants led by the same block do not all share one subject.
			if len(lead.Subjects) > 0 {
				v.Subject, v.Preheader = subject(lead)
			} else if n := len(lead.Preheaders); n > 0 {
				v.Preheader = lead.Preheaders[rotate(base+turn, n)]
			}
		}
		plan.Variants = append(plan.Variants, v)
	}
	return plan, opts.Vocabulary.Validate(plan, blocks)
}

// slotsOf returns the alternatives of n slots of the kind name from bs,
// in their order: each takes the blocks the slots before it did not, one
// for each distinct target, so that a second tier slot gives a recipient
// a second block of their tier. used is marked with every block taken.
func slotsOf(name string, bs []Block, n int, used map[string]bool) [][]Block {
	var out [][]Block
	for range n {
		var alts []Block
		var targets []Target
		for _, b := range bs {
			// A block no recipient could get, the alternatives before it
			// taking them all, is left for the next slot.
			if used[b.ID] || shadowed(targets, b.Target()) {
				continue
			}
			used[b.ID] = true
			alts = append(alts, b)
			targets = append(targets, b.Target())
		}
		if len(alts) == 0 {
			break
		}
		out = append(out, alts)
	}
	return out
}

// shadowed reports whether every recipient b matches is matched by one of
// the targets before: for each of the tiers, relationships and locales b
// lists, or any when it lists none (which only a target that lists none
// matches), some target matches the combination, and restricts the
// attributes b restricts, if any, to no fewer values.
func shadowed(before []Target, b Target) bool {
	const anyValue = "\x00any"
	values := func(vs []string) []string {
		if len(vs) == 0 {
			return []string{anyValue}
		}
		return vs
	}
	in := func(list []string, v string, eq func(a, b string) bool) bool {
		return len(list) == 0 || v != anyValue && slices.ContainsFunc(list, func(w string) bool { return eq(w, v) })
	}
	same := func(a, b string) bool { return a == b }
	attrsHeld := func(a Target) bool {
		for name, vals := range a.Attributes {
			mine, ok := b.Attributes[name]
			if !ok {
				return false
			}
			for _, v := range mine {
				if !slices.ContainsFunc(vals, func(w string) bool { return strings.EqualFold(strings.TrimSpace(w), strings.TrimSpace(v)) }) {
					return false
				}
			}
		}
		return true
	}
	for _, t := range values(b.Tiers) {
		for _, r := range values(b.Relationships) {
			for _, l := range values(b.Locales) {
				taken := false
				for _, a := range before {
					if in(a.Tiers, t, same) && in(a.Relationships, r, same) && in(a.Locales, l, LocaleMatches) && attrsHeld(a) {
						taken = true
						break
					}
				}
				if !taken {
					return false
				}
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
	// Attributes are the cardholder attributes that have values: the
	// extra columns of the cardholders input. Nil is not checked.
	Attributes []string
}

// Validate reports the problems of plan and blocks that need no
// vocabulary: it is Vocabulary{}.Validate.
func Validate(plan Plan, blocks []Block) error {
	return Vocabulary{}.Validate(plan, blocks)
}

// Validate reports every block defined twice, placed at an unknown position
// or targeting nothing (a body block with no interests, tiers or
// relationships that is not a default), every interest, tier and
// relationship a block targets that voc does not list, every min_share
// and max_share that is no share of spend, on a block without interests,
// or an empty range, and every variant with a duplicate id, an unknown block, no body content or no subject. It
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
			if b.Slot() == "" && b.Replaces == "" {
				probs = append(probs, Problem{Block: b.ID, Msg: "targets nothing: give it interests, tiers or relationships, mark it default, or name the block it replaces"})
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
		probs = append(probs, shareProblems(b)...)
		for _, l := range b.Locales {
			if !ValidLocale(l) {
				probs = append(probs, Problem{Block: b.ID, Key: "locales", Value: l, Msg: fmt.Sprintf("%q is not a locale: want a language tag such as \"en\", \"en-GB\" or \"fr-CA\"", l)})
			}
		}
		for _, name := range slices.Sorted(maps.Keys(b.Attributes)) {
			switch {
			case voc.Attributes != nil && !slices.Contains(voc.Attributes, name):
				msg := fmt.Sprintf("no cardholder has a value for attribute %q", name)
				if len(voc.Attributes) > 0 {
					msg = unknown("attribute", name, voc.Attributes) + ": the attributes are the cardholders' extra columns"
				}
				probs = append(probs, Problem{Block: b.ID, Key: "attributes", Value: name, Msg: msg})
			case len(b.Attributes[name]) == 0:
				probs = append(probs, Problem{Block: b.ID, Key: "attributes", Value: name, Msg: fmt.Sprintf("attribute %q lists no value", name)})
			}
		}
	}
	for _, b := range blocks {
		if b.Replaces == "" {
			continue
		}
		r, ok := known[b.Replaces]
		switch {
		case !ok:
			probs = append(probs, Problem{Block: b.ID, Key: "replaces", Value: b.Replaces, Msg: fmt.Sprintf("replaces %q, which is no block of the set", b.Replaces)})
		case b.Replaces == b.ID:
			probs = append(probs, Problem{Block: b.ID, Key: "replaces", Value: b.Replaces, Msg: "replaces itself"})
		case r.Replaces != "":
			probs = append(probs, Problem{Block: b.ID, Key: "replaces", Value: b.Replaces, Msg: fmt.Sprintf("replaces %q, which itself replaces %q: name %q", b.Replaces, r.Replaces, r.Replaces)})
		case b.Target().Everyone():
			probs = append(probs, Problem{Block: b.ID, Key: "replaces", Value: b.Replaces, Msg: fmt.Sprintf("replaces %q for everyone: give it the tiers, relationships, locales or attributes of the recipients it is for", b.Replaces)})
		}
	}
	seen := map[string]bool{}
	for _, v := range plan.Variants {
		if seen[v.ID] {
			probs = append(probs, Problem{Variant: v.ID, Msg: "id used twice"})
		}
		seen[v.ID] = true
		body := 0
		isBody := func(b Block) bool { return b.Position == "" || b.Position == PositionBody }
		for _, id := range v.Blocks {
			b, ok := known[id]
			if !ok {
				probs = append(probs, Problem{Variant: v.ID, Msg: fmt.Sprintf("unknown block %q", id)})
				continue
			}
			if isBody(b) {
				body++
			}
		}
		for _, sl := range v.Slots {
			for _, a := range sl.Alternatives {
				if _, ok := known[a.Block]; !ok {
					probs = append(probs, Problem{Variant: v.ID, Msg: fmt.Sprintf("slot %s: unknown block %q", sl.Name, a.Block)})
				}
			}
			if (sl.Name == SlotInterest || sl.Name == SlotDefault) && sl.Covers() {
				body++
			}
		}
		if body == 0 {
			probs = append(probs, Problem{Variant: v.ID, Msg: "no content: no interest or default block for every recipient fits (blocks that target some recipients, such as tier and retention blocks, cannot lead)"})
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

// shareProblems reports b's min_share and max_share out of range, the
// one not below the other, or either on a block that serves no interest.
func shareProblems(b Block) []Problem {
	var probs []Problem
	for _, f := range []struct {
		key string
		v   float64
	}{{"min_share", b.MinShare}, {"max_share", b.MaxShare}} {
		switch {
		case f.v == 0:
		case len(b.Interests) == 0:
			probs = append(probs, Problem{Block: b.ID, Key: f.key, Msg: "only an interest block can ask for a share of spend: give it interests"})
		case f.v < 0 || f.v > 1 || f.v != f.v:
			probs = append(probs, Problem{Block: b.ID, Key: f.key, Value: fmt.Sprint(f.v), Msg: fmt.Sprintf("%v is not a share of spend: want a number from 0 to 1, such as 0.4 for 40%%", f.v)})
		}
	}
	if b.MaxShare > 0 && b.MaxShare <= b.MinShare {
		probs = append(probs, Problem{Block: b.ID, Key: "max_share", Value: fmt.Sprint(b.MaxShare), Msg: fmt.Sprintf("%v is not above min_share %v: no cluster could get the block", b.MaxShare, b.MinShare)})
	}
	return probs
}

// ValidLocale reports whether s looks like a language tag: letters and
// digits in parts of 1 to 8, joined by "-" or "_", the first letters only.
func ValidLocale(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) == 0 || strings.Count(s, "-")+strings.Count(s, "_") != len(parts)-1 {
		return false
	}
	for i, p := range parts {
		if len(p) > 8 {
			return false
		}
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return len(parts[0]) >= 2 && len(parts[0]) <= 3
}

// unknown describes a value missing from a vocabulary: with the value it
// is most likely a typo of, or else with the list when it is short.
func unknown(what, v string, known []string) string {
	msg := fmt.Sprintf("unknown %s %q", what, v)
	if best := Closest(v, known); best != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(known) <= 8 {
		return msg + " (want " + strings.Join(known, ", ") + ")"
	}
	return msg
}

// Closest returns the known name closest to name, "" when none is close:
// what a misspelt block target, merge field or campaign key most likely
// meant. A name close to the start of a longer one counts too: Frist is a
// slip for FirstName.
func Closest(name string, known []string) string {
	// At most two edits, fewer for a short name.
	best, bestD := "", min(len(name)/2+1, 3)
	lower := strings.ToLower(name)
	for _, k := range known {
		kl := strings.ToLower(k)
		d := distance(lower, kl)
		if n := len([]rune(lower)); n < len([]rune(kl)) {
			d = min(d, distance(lower, string([]rune(kl)[:n]))+1)
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the edit distance between a and b, counting insertions,
// deletions, substitutions and swaps of neighbouring letters.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
