package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/tailor-mail/tailor/pipeline/profile"
	"github.com/tailor-mail/tailor/pipeline/render"
	"github.com/tailor-mail/tailor/pipeline/rundir"
	"github.com/tailor-mail/tailor/pipeline/segment"
	"github.com/tailor-mail/tailor/variants"
)

// loader gives a stage the outputs of the stages before it: from their
// outcomes when they ran in this invocation, else read back from the run
// directory, once, into the outcome. The first error sticks: a stage asks
// for all it needs, then checks err once.
type loader struct {
	ctx context.Context
	r   *run
	o   *outcomes
	err error
}

// load returns a loader over the outcomes o.
func (r *run) load(ctx context.Context, o *outcomes) *loader {
	return &loader{ctx: ctx, r: r, o: o}
}

// profiles returns the profiles, with their pre-aggregated features when
// the campaign has them.
func (l *loader) profiles() []profile.Profile {
	p := &l.o.profile
	if l.err != nil || p.profiles != nil {
		return p.profiles
	}
	f, err := os.Open(l.r.file(rundir.ProfilesFile))
	if err != nil {
		l.err = err
		return nil
	}
	defer f.Close()
	ps, err := profile.ReadCSV(bufio.NewReader(f), rundir.ProfilesFile, l.r.tax)
	if err != nil {
		l.err = err
		return nil
	}
	ff, err := os.Open(l.r.file(rundir.FeaturesFile))
	switch {
	case os.IsNotExist(err):
	case err != nil:
		l.err = err
		return nil
	default:
		defer ff.Close()
		if p.features, err = profile.ReadFeatures(bufio.NewReader(ff), rundir.FeaturesFile, ps); err != nil {
			l.err = err
			return nil
		}
	}
	p.profiles = ps
	return ps
}

// features returns the names of the pre-aggregated features, nil when the
// campaign has none.
func (l *loader) features() []string {
	l.profiles()
	return l.o.profile.features
}

// clusters returns the clustering, clusters.json.
func (l *loader) clusters() *segment.File {
	c := &l.o.cluster
	if l.err != nil || c.file != nil {
		return c.file
	}
	var cf segment.File
	if l.err = rundir.ReadJSON(l.r.file(rundir.ClustersFile), &cf); l.err == nil {
		c.file = &cf
	}
	return c.file
}

// assignments returns the variant of every profile that has one.
func (l *loader) assignments() assignment {
	c := &l.o.cluster
	if l.err != nil || c.assigned != nil {
		return c.assigned
	}
	ps := l.profiles()
	if l.err != nil {
		return nil
	}
	f, err := os.Open(l.r.file(rundir.AssignmentsFile))
	if err != nil {
		l.err = err
		return nil
	}
	defer f.Close()
	byID, err := segment.ReadAssignments(bufio.NewReader(f), rundir.AssignmentsFile)
	if err != nil {
		l.err = err
		return nil
	}
	c.assigned = make(assignment, len(ps))
	for i := range ps {
		c.assigned[i] = byID[ps[i].ID]
	}
	return c.assigned
}

// plan returns the variants' plan, variants.json.
func (l *loader) plan() *variants.Plan {
	v := &l.o.variants
	if l.err != nil || v.plan != nil {
		return v.plan
	}
	var p variants.Plan
	if l.err = rundir.ReadJSON(l.r.file(rundir.PlanFile), &p); l.err != nil {
		return nil
	}
	if err := p.CheckShared(); err != nil {
		l.err = fmt.Errorf("%s: %w", rundir.PlanFile, err)
		return nil
	}
	v.plan = &p
	return v.plan
}

// newsletters returns every newsletter of the plan compiled: each variant
// that stands for no other (variants.Plan.Newsletters).
func (l *loader) newsletters() []*render.Newsletter {
	rd := &l.o.render
	plan := l.plan()
	if l.err != nil || rd.newsletters != nil {
		return rd.newsletters
	}
	rd.newsletters, l.err = l.r.compile(l.ctx, plan.Newsletters())
	return rd.newsletters
}

// mailing returns who may be mailed: not those on the campaign's
// suppression list. Each reads their cluster's newsletter: a cluster
// whose variant is the same as another's reads that one.
func (l *loader) mailing() *mailing {
	ps, assigned, plan := l.profiles(), l.assignments(), l.plan()
	if l.err != nil || l.o.mailing != nil {
		return l.o.mailing
	}
	list, err := l.r.suppressions()
	if err != nil {
		l.err = err
		return nil
	}
	l.o.mailing = newMailing(ps, assigned, plan.NewsletterOf(), list)
	return l.o.mailing
}

// recipients returns who gets a message in the outbox.
func (l *loader) recipients() []recipient {
	if l.r.outboxMode == OutboxNone {
		return nil
	}
	plan, ml := l.plan(), l.mailing()
	if l.err != nil {
		return nil
	}
	var rs []recipient
	rs, l.err = l.r.outboxRecipients(plan.Newsletters(), ml)
	return rs
}

// engine builds the render engine of the campaign's templates, once per
// stage that compiles variants.
func (r *run) engine() (*render.Engine, error) {
	engine, err := render.New(r.set, r.md, r.renderConfig())
	if err != nil {
		return nil, err
	}
	if l := r.c.Sender.Locale; l != "" {
		if _, ok := render.LocaleConventions(l); !ok {
			r.event(Event{Stage: "render", State: EventWarn, Message: fmt.Sprintf("sender.locale %q: no money and date conventions are known for its language; .Campaign.Locale writes them as en-US", l)})
		}
	}
	return engine, nil
}

// compile compiles every variant of the plan once.
func (r *run) compile(ctx context.Context, plan *variants.Plan) ([]*render.Newsletter, error) {
	engine, err := r.engine()
	if err != nil {
		return nil, err
	}
	out := make([]*render.Newsletter, 0, len(plan.Variants))
	for _, v := range plan.Variants {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := engine.Compile(v)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
