package opaengine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/clearancehq/clearance/policies"
)

// Entrypoints of a pack.
const (
	StaticQuery  = "data.clearance.static"
	DynamicQuery = "data.clearance.dynamic"
	// BothQuery evaluates both entrypoints in one query, so the rules they
	// share are evaluated once.
	BothQuery = "[data.clearance.static, data.clearance.dynamic]"
)

// EngineName is the Result.Engine of this engine.
const EngineName = "rego"

// Engine evaluates a compiled Rego pack. It is immutable and safe for
// concurrent use.
type Engine struct {
	revision string
	static   rego.PreparedEvalQuery
	dynamic  rego.PreparedEvalQuery
	both     rego.PreparedEvalQuery
	terms    *termCache
	compiler *ast.Compiler
}

var _ policies.Engine = (*Engine)(nil)

type options struct {
	revision string
	strict   bool
}

// Option configures New.
type Option func(*options)

// WithRevision sets the revision the engine reports (default: empty; the
// source package passes the pack's content hash).
func WithRevision(rev string) Option { return func(o *options) { o.revision = rev } }

// WithStrict compiles with OPA's strict checks (unused variables, imports and
// arguments, deprecated builtins), as `opa check --strict` does.
func WithStrict(strict bool) Option { return func(o *options) { o.strict = strict } }

// Capabilities returns the builtins a pack may use: this OPA version's set
// without network and I/O builtins (http.send, net.*, opa.runtime,
// providers.*) and without non-deterministic ones (time.now_ns, rand.*,
// uuid.*).
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if forbiddenBuiltin(b.Name) {
			continue
		}
		kept = append(kept, b)
	}
	caps.Builtins = kept
	caps.AllowNet = []string{}
	return caps
}

func forbiddenBuiltin(name string) bool {
	switch name {
	case "http.send", "opa.runtime", "time.now_ns", "trace":
		return true
	}
	for _, p := range []string{"net.", "rand.", "uuid.", "providers."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// CompileModules parses and compiles modules (path -> source) with the pack
// capabilities. Errors are *policies.Error{Code: "compile_error"} whose Rule
// is "file:line" of the first error and whose message lists them all.
func CompileModules(modules map[string]string, strict bool) (*ast.Compiler, error) {
	paths := make([]string, 0, len(modules))
	for p := range modules {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	parsed := make(map[string]*ast.Module, len(modules))
	var errs ast.Errors
	for _, p := range paths {
		m, err := ast.ParseModuleWithOpts(p, modules[p], ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			var ae ast.Errors
			if errors.As(err, &ae) {
				errs = append(errs, ae...)
				continue
			}
			return nil, &policies.Error{Code: "compile_error", Rule: p, Err: err}
		}
		parsed[p] = m
	}
	if len(errs) > 0 {
		return nil, compileError(errs)
	}
	c := ast.NewCompiler().
		WithCapabilities(Capabilities()).
		WithStrict(strict).
		WithEnablePrintStatements(false)
	c.Compile(parsed)
	if c.Failed() {
		return nil, compileError(c.Errors)
	}
	return c, nil
}

func compileError(errs ast.Errors) error {
	sort.SliceStable(errs, func(i, j int) bool { return locString(errs[i].Location) < locString(errs[j].Location) })
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = fmt.Sprintf("%s: %s", locString(e.Location), e.Message)
	}
	rule := ""
	if len(errs) > 0 {
		rule = locString(errs[0].Location)
	}
	return &policies.Error{Code: "compile_error", Rule: rule, Err: errors.New(strings.Join(msgs, "; "))}
}

func locString(l *ast.Location) string {
	if l == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d", l.File, l.Row)
}

// New compiles modules (path -> Rego source) and prepares both entrypoints.
func New(ctx context.Context, modules map[string]string, opts ...Option) (*Engine, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	c, err := CompileModules(modules, o.strict)
	if err != nil {
		return nil, err
	}
	e := &Engine{revision: o.revision, compiler: c, terms: newTermCache(100_000)}
	if e.static, err = prepare(ctx, c, StaticQuery); err != nil {
		return nil, err
	}
	if e.dynamic, err = prepare(ctx, c, DynamicQuery); err != nil {
		return nil, err
	}
	if e.both, err = prepare(ctx, c, BothQuery); err != nil {
		return nil, err
	}
	return e, nil
}

func prepare(ctx context.Context, c *ast.Compiler, query string) (rego.PreparedEvalQuery, error) {
	pq, err := rego.New(
		rego.Query(query),
		rego.Compiler(c),
		rego.StrictBuiltinErrors(true),
		rego.Capabilities(Capabilities()),
	).PrepareForEval(ctx)
	if err != nil {
		var ae ast.Errors
		if errors.As(err, &ae) {
			return pq, compileError(ae)
		}
		return pq, &policies.Error{Code: "compile_error", Rule: query, Err: err}
	}
	return pq, nil
}

// Revision returns the revision given with WithRevision.
func (e *Engine) Revision() string { return e.revision }

// Compiler returns the compiled modules (used to run the pack's tests).
func (e *Engine) Compiler() *ast.Compiler { return e.compiler }

// Evaluate runs the scope's entrypoint(s) against in and merges the results.
func (e *Engine) Evaluate(ctx context.Context, in *policies.Input, scope policies.Scope) (policies.Result, error) {
	if in == nil {
		return policies.Result{}, &policies.Error{Code: "eval_error", Err: errors.New("nil input")}
	}
	// OPA notices cancellation only periodically; a context that is already
	// done must not produce a decision.
	if err := ctx.Err(); err != nil {
		return policies.Result{}, &policies.Error{Code: "eval_canceled", Err: err}
	}
	val := e.terms.inputValue(in)
	switch scope {
	case policies.ScopeStatic:
		return e.eval(ctx, &e.static, StaticQuery, val)
	case policies.ScopeDynamic:
		return e.eval(ctx, &e.dynamic, DynamicQuery, val)
	}
	s, err := e.eval(ctx, &e.static, StaticQuery, val)
	if err != nil {
		return s, err
	}
	d, err := e.eval(ctx, &e.dynamic, DynamicQuery, val)
	if err != nil {
		return d, err
	}
	return policies.Result{
		Allow:   s.Allow && d.Allow,
		Deny:    append(s.Deny, d.Deny...),
		Review:  append(s.Review, d.Review...),
		Engine:  EngineName,
		Revised: e.revision,
	}, nil
}

var _ policies.BothEvaluator = (*Engine)(nil)

// EvaluateBoth evaluates the static and dynamic entrypoints in one query.
func (e *Engine) EvaluateBoth(ctx context.Context, in *policies.Input) (policies.Result, policies.Result, error) {
	var none policies.Result
	if in == nil {
		return none, none, &policies.Error{Code: "eval_error", Err: errors.New("nil input")}
	}
	if err := ctx.Err(); err != nil {
		return none, none, &policies.Error{Code: "eval_canceled", Err: err}
	}
	rs, err := e.both.Eval(ctx, rego.EvalParsedInput(e.terms.inputValue(in)))
	if err != nil {
		code := "eval_error"
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || topdown.IsCancel(err) {
			code = "eval_canceled"
		}
		return none, none, &policies.Error{Code: code, Rule: BothQuery, Err: err}
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return none, none, &policies.Error{Code: "undefined_decision", Rule: BothQuery, Err: errors.New("entrypoint is undefined")}
	}
	pair, ok := rs[0].Expressions[0].Value.([]any)
	if !ok || len(pair) != 2 {
		return none, none, &policies.Error{Code: "undefined_decision", Rule: BothQuery, Err: errors.New("an entrypoint is undefined")}
	}
	out := [2]policies.Result{}
	for i, v := range pair {
		r, err := decodeResult(v)
		if err != nil {
			return none, none, &policies.Error{Code: "eval_error", Rule: BothQuery, Err: err}
		}
		r.Engine, r.Revised = EngineName, e.revision
		out[i] = r
	}
	return out[0], out[1], nil
}

func (e *Engine) eval(ctx context.Context, pq *rego.PreparedEvalQuery, query string, input ast.Value) (policies.Result, error) {
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		code := "eval_error"
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || topdown.IsCancel(err) {
			code = "eval_canceled"
		}
		return policies.Result{}, &policies.Error{Code: code, Rule: query, Err: err}
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return policies.Result{}, &policies.Error{Code: "undefined_decision", Rule: query, Err: errors.New("entrypoint is undefined")}
	}
	r, err := decodeResult(rs[0].Expressions[0].Value)
	if err != nil {
		return policies.Result{}, &policies.Error{Code: "eval_error", Rule: query, Err: err}
	}
	r.Engine = EngineName
	r.Revised = e.revision
	return r, nil
}

func decodeResult(v any) (policies.Result, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return policies.Result{}, fmt.Errorf("decision is %T, want an object", v)
	}
	var r policies.Result
	allow, ok := obj["allow"].(bool)
	if !ok {
		return r, errors.New(`decision has no boolean "allow"`)
	}
	r.Allow = allow
	var err error
	if r.Deny, err = decodeReasons(obj["deny"], "deny"); err != nil {
		return r, err
	}
	if r.Review, err = decodeReasons(obj["review"], "review"); err != nil {
		return r, err
	}
	return r, nil
}

func decodeReasons(v any, field string) ([]policies.Reason, error) {
	if v == nil {
		return nil, nil
	}
	xs, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("decision field %q is %T, want an array", field, v)
	}
	if len(xs) == 0 {
		return nil, nil
	}
	out := make([]policies.Reason, 0, len(xs))
	for i, x := range xs {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is %T, want an object", field, i, x)
		}
		code, _ := m["code"].(string)
		if code == "" {
			return nil, fmt.Errorf("%s[%d] has no code", field, i)
		}
		r := policies.Reason{Code: code}
		r.Message = asString(m["message"])
		r.Policy = asString(m["policy"])
		r.Observed = asString(m["observed"])
		r.Limit = asString(m["limit"])
		r.Reference = asString(m["reference"])
		out = append(out, r)
	}
	return out, nil
}

func asString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}
