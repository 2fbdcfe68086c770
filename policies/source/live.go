package source

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/clearancehq/clearance/policies"
)

// Live holds the current Bundle and swaps it atomically. It implements
// policies.Engine by delegating to the current bundle. A request that
// evaluates several scopes should pin one bundle with Current, so that both
// scopes come from the same revision.
type Live struct {
	cur atomic.Pointer[Bundle]
}

var _ policies.Engine = (*Live)(nil)

// NewLive returns a Live serving b (which may be nil: Evaluate then fails
// closed until the first Swap).
func NewLive(b *Bundle) *Live {
	l := &Live{}
	if b != nil {
		l.cur.Store(b)
	}
	return l
}

// Current returns the bundle being served, or nil.
func (l *Live) Current() *Bundle { return l.cur.Load() }

// Swap installs b and returns the previous bundle.
func (l *Live) Swap(b *Bundle) *Bundle { return l.cur.Swap(b) }

// Revision is the revision of the current bundle ("" if none).
func (l *Live) Revision() string {
	if b := l.cur.Load(); b != nil {
		return b.Revision()
	}
	return ""
}

// ErrNoBundle is returned by Live.Evaluate before any bundle is installed.
var ErrNoBundle = errors.New("source: no policy bundle loaded")

// Evaluate evaluates in with the current bundle.
func (l *Live) Evaluate(ctx context.Context, in *policies.Input, scope policies.Scope) (policies.Result, error) {
	b := l.cur.Load()
	if b == nil {
		return policies.Result{}, &policies.Error{Code: "eval_error", Err: ErrNoBundle}
	}
	return b.Evaluate(ctx, in, scope)
}

var _ policies.BothEvaluator = (*Live)(nil)

// EvaluateBoth evaluates both scopes on the bundle in force.
func (l *Live) EvaluateBoth(ctx context.Context, in *policies.Input) (policies.Result, policies.Result, error) {
	return l.Current().EvaluateBoth(ctx, in)
}
