package flash

import (
	"context"
	"sync"

	"flashkiosk/firmware/fat"
	"flashkiosk/firmware/library"
)

// Plans lets jobs that run at once on drives of one size share one plan:
// the selection of the library that fits, the list of what the volume
// holds and the layout of folders and files, which cost a few bytes a
// library file each. Every job still gets a volume ID and disk signature
// of its own (fat.Layout.WithIDs). A plan is kept while a job uses it and
// dropped with the last one. The zero value is ready to use; a nil *Plans
// shares nothing, so every job plans alone.
type Plans struct {
	mu sync.Mutex
	m  map[planKey]*sharedPlan
}

// planKey is what a plan depends on besides the library's content.
type planKey struct {
	lib    *library.Library
	size   int64 // real capacity
	sector int
	label  string
}

// plan is one drive size's plan.
type plan struct {
	sel    *library.Selection
	vol    *library.Volume
	layout *fat.Layout
}

// sharedPlan is a plan and the jobs using it.
type sharedPlan struct {
	ready chan struct{} // closed once p and err are set
	p     plan
	err   error
	users int
}

// get returns the plan for k, made by build if no running job has it,
// and the function that gives it back. The job that comes first builds it;
// the others wait for it, or for ctx.
func (ps *Plans) get(ctx context.Context, k planKey, build func(*plan) error) (*plan, func(), error) {
	if ps == nil {
		var p plan
		return &p, func() {}, build(&p)
	}
	ps.mu.Lock()
	if ps.m == nil {
		ps.m = make(map[planKey]*sharedPlan)
	}
	s, found := ps.m[k]
	if !found {
		s = &sharedPlan{ready: make(chan struct{})}
		ps.m[k] = s
	}
	s.users++
	ps.mu.Unlock()
	release := func() {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		if s.users--; s.users == 0 {
			delete(ps.m, k)
		}
	}
	if !found {
		s.err = build(&s.p)
		close(s.ready)
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		release()
		return nil, func() {}, ctx.Err()
	}
	if s.err != nil {
		release()
		return nil, func() {}, s.err
	}
	return &s.p, release, nil
}
