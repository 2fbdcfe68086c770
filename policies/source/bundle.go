package source

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/opaengine"
)

// EngineName is the Result.Engine of a Bundle.
const EngineName = "bundle"

// Bundle is a compiled pack: its Rego engine (when the pack has modules) and
// its CEL engine. It implements policies.Engine and is immutable.
type Bundle struct {
	files    *Files
	rego     *opaengine.Engine
	cel      policies.Engine
	loadedAt time.Time
}

var _ policies.Engine = (*Bundle)(nil)

// Compile loads and compiles the pack in fsys. It does not run the pack's
// tests; Test and the Watcher do.
func Compile(ctx context.Context, fsys fs.FS) (*Bundle, error) {
	files, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	return CompileFiles(ctx, files)
}

// CompileFiles compiles an already loaded pack.
func CompileFiles(ctx context.Context, files *Files) (*Bundle, error) {
	b := &Bundle{files: files, loadedAt: time.Now()}
	if len(files.Modules) > 0 {
		e, err := opaengine.New(ctx, files.Modules, opaengine.WithRevision(files.Revision))
		if err != nil {
			return nil, err
		}
		b.rego = e
	}
	cel, err := newCEL(ctx, files)
	if err != nil {
		return nil, err
	}
	b.cel = cel
	if b.rego == nil && len(files.CEL) == 0 {
		return nil, &policies.Error{Code: "compile_error", Err: fmt.Errorf("pack has no Rego modules and no CEL rules")}
	}
	return b, nil
}

// Revision is the pack's content hash.
func (b *Bundle) Revision() string { return b.files.Revision }

// LoadedAt is when the bundle was compiled.
func (b *Bundle) LoadedAt() time.Time { return b.loadedAt }

// Files returns the pack's loaded files.
func (b *Bundle) Files() *Files { return b.files }

// Rego returns the Rego engine, nil when the pack has no modules.
func (b *Bundle) Rego() *opaengine.Engine { return b.rego }

// CEL returns the CEL engine.
func (b *Bundle) CEL() policies.Engine { return b.cel }

// Evaluate runs both engines on the scope and merges their results: the
// union of deny and review reasons (identical reasons reported by both
// engines appear once) and allow when either engine allows.
func (b *Bundle) Evaluate(ctx context.Context, in *policies.Input, scope policies.Scope) (policies.Result, error) {
	out := policies.Result{Engine: EngineName, Revised: b.files.Revision}
	var parts []policies.Result
	if b.rego != nil {
		r, err := b.rego.Evaluate(ctx, in, scope)
		if err != nil {
			return policies.Result{Engine: EngineName, Revised: b.files.Revision}, err
		}
		parts = append(parts, r)
	}
	if b.cel != nil {
		r, err := b.cel.Evaluate(ctx, in, scope)
		if err != nil {
			return policies.Result{Engine: EngineName, Revised: b.files.Revision}, err
		}
		parts = append(parts, r)
	}
	return Merge(out, parts...), nil
}

var _ policies.BothEvaluator = (*Bundle)(nil)

// EvaluateBoth evaluates both scopes with each engine in one pass and merges
// per scope, exactly as Evaluate does.
func (b *Bundle) EvaluateBoth(ctx context.Context, in *policies.Input) (policies.Result, policies.Result, error) {
	outS := policies.Result{Engine: EngineName, Revised: b.files.Revision}
	outD := outS
	var ss, ds []policies.Result
	for _, e := range []policies.Engine{b.regoEngine(), b.cel} {
		if e == nil {
			continue
		}
		var s, d policies.Result
		var err error
		if be, ok := e.(policies.BothEvaluator); ok {
			s, d, err = be.EvaluateBoth(ctx, in)
		} else {
			if s, err = e.Evaluate(ctx, in, policies.ScopeStatic); err == nil {
				d, err = e.Evaluate(ctx, in, policies.ScopeDynamic)
			}
		}
		if err != nil {
			return outS, outD, err
		}
		ss, ds = append(ss, s), append(ds, d)
	}
	return Merge(outS, ss...), Merge(outD, ds...), nil
}

// regoEngine returns the Rego engine as a policies.Engine (nil if none).
func (b *Bundle) regoEngine() policies.Engine {
	if b.rego == nil {
		return nil
	}
	return b.rego
}

type reasonKey struct {
	code, message, observed, limit string
}

// Merge unions results into out: allow when any part allows; deny and review
// reasons deduplicated on (code, message, observed, limit), first one kept.
func Merge(out policies.Result, parts ...policies.Result) policies.Result {
	seen := map[reasonKey]bool{}
	add := func(dst []policies.Reason, rs []policies.Reason, effect string) []policies.Reason {
		for _, r := range rs {
			k := reasonKey{effect + r.Code, r.Message, r.Observed, r.Limit}
			if seen[k] {
				continue
			}
			seen[k] = true
			dst = append(dst, r)
		}
		return dst
	}
	for _, p := range parts {
		out.Allow = out.Allow || p.Allow
		out.Deny = add(out.Deny, p.Deny, "D")
		out.Review = add(out.Review, p.Review, "R")
	}
	return out
}
