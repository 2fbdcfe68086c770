package celengine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	lru "github.com/hashicorp/golang-lru/v2"
	"gopkg.in/yaml.v3"

	"github.com/clearancehq/clearance/policies"
)

// EngineName is the Result.Engine of this engine.
const EngineName = "cel"

// Defaults.
const (
	DefaultCostLimit          = 10000
	DefaultConditionCacheSize = 4096
	// MaxConditionLength bounds an inline condition's expression text.
	MaxConditionLength = 4096
	// MaxConditions bounds the inline conditions of one asset.
	MaxConditions  = 64
	interruptEvery = 100
)

// RuleFile is the YAML form of a CEL rule file.
type RuleFile struct {
	Definitions []Definition `yaml:"definitions"`
	Rules       []Rule       `yaml:"rules"`
}

// Definition is a named expression evaluated once per request and visible
// to every rule by name.
type Definition struct {
	Name string `yaml:"name"`
	Expr string `yaml:"expr"`
}

// Rule is one CEL rule. When fires it.
type Rule struct {
	ID          string `yaml:"id"`
	Description string `yaml:"description"`
	Scope       string `yaml:"scope"`
	When        string `yaml:"when"`
	Effect      string `yaml:"effect"`
	Code        string `yaml:"code"`
	Message     string `yaml:"message"`
	Observed    string `yaml:"observed"`
	Limit       string `yaml:"limit"`
	Reference   string `yaml:"reference"`
}

type options struct {
	revision  string
	costLimit uint64
	cacheSize int
}

// Option configures New.
type Option func(*options)

// WithRevision sets the revision the engine reports.
func WithRevision(rev string) Option { return func(o *options) { o.revision = rev } }

// WithCostLimit sets the CEL cost limit of every program (default 10000).
func WithCostLimit(n uint64) Option { return func(o *options) { o.costLimit = n } }

// WithConditionCacheSize bounds the compiled inline-condition cache (default 4096).
func WithConditionCacheSize(n int) Option { return func(o *options) { o.cacheSize = n } }

type compiledDef struct {
	name string
	prg  cel.Program
}

type compiledRule struct {
	Rule
	policy   string
	static   bool
	effect   string // DENY, REVIEW or ALLOW
	when     cel.Program
	observed cel.Program
	limit    cel.Program
}

type condEntry struct {
	prg cel.Program
	err error
}

// Engine evaluates compiled CEL rules and inline asset conditions.
type Engine struct {
	revision string
	env      *cel.Env // base environment (input variables only)
	progOpts []cel.ProgramOption
	defs     []compiledDef
	static   []*compiledRule
	dynamic  []*compiledRule
	conds    *lru.Cache[string, condEntry]
}

var _ policies.Engine = (*Engine)(nil)

// BaseEnv returns the CEL environment of the input variables, the one inline
// asset conditions are checked against.
func BaseEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("action", cel.StringType),
		cel.Variable("amount", cel.IntType),
		cel.Variable("now", cel.IntType),
		cel.Variable("asset", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("from", cel.DynType),
		cel.Variable("to", cel.DynType),
		cel.Variable("has_from", cel.BoolType),
		cel.Variable("has_to", cel.BoolType),
		cel.Variable("list_version", cel.StringType),
		cel.Variable("asset_id", cel.StringType),
		cel.Variable("from_wallet", cel.StringType),
		cel.Variable("to_wallet", cel.StringType),
		cel.Variable("venue", cel.StringType),
		ext.Strings(),
	)
}

func compileErr(rule string, format string, args ...any) error {
	return &policies.Error{Code: "compile_error", Rule: rule, Err: fmt.Errorf(format, args...)}
}

// New compiles rule files (path -> YAML). Paths name the rules in errors and
// in each reason's policy ("cel/<file>/<rule id>").
func New(ctx context.Context, files map[string][]byte, opts ...Option) (*Engine, error) {
	o := options{costLimit: DefaultCostLimit, cacheSize: DefaultConditionCacheSize}
	for _, f := range opts {
		f(&o)
	}
	base, err := BaseEnv()
	if err != nil {
		return nil, fmt.Errorf("celengine: environment: %w", err)
	}
	cache, err := lru.New[string, condEntry](max(o.cacheSize, 1))
	if err != nil {
		return nil, fmt.Errorf("celengine: %w", err)
	}
	e := &Engine{
		revision: o.revision,
		env:      base,
		progOpts: []cel.ProgramOption{
			cel.EvalOptions(cel.OptOptimize),
			cel.CostLimit(o.costLimit),
			cel.InterruptCheckFrequency(interruptEvery),
		},
		conds: cache,
	}
	type located struct {
		file string
		line int
		def  Definition
		rule Rule
	}
	var defs, rules []located
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var doc struct {
			Definitions []yaml.Node `yaml:"definitions"`
			Rules       []yaml.Node `yaml:"rules"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(files[p]))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil {
			return nil, compileErr(p, "%v", err)
		}
		for i := range doc.Definitions {
			n := &doc.Definitions[i]
			var d Definition
			if err := decodeStrict(n, &d); err != nil {
				return nil, compileErr(fmt.Sprintf("%s:%d", p, n.Line), "%v", err)
			}
			defs = append(defs, located{file: p, line: n.Line, def: d})
		}
		for i := range doc.Rules {
			n := &doc.Rules[i]
			var r Rule
			if err := decodeStrict(n, &r); err != nil {
				return nil, compileErr(fmt.Sprintf("%s:%d", p, n.Line), "%v", err)
			}
			rules = append(rules, located{file: p, line: n.Line, rule: r})
		}
	}

	// Definitions: compile in dependency order (repeated passes).
	env := base
	seen := map[string]bool{}
	pending := defs
	for len(pending) > 0 {
		var next []located
		var lastErr error
		for _, d := range pending {
			where := fmt.Sprintf("%s:%d", d.file, d.line)
			if d.def.Name == "" || d.def.Expr == "" {
				return nil, compileErr(where, "definition needs a name and an expr")
			}
			if seen[d.def.Name] || isVariable(d.def.Name) {
				return nil, compileErr(where, "definition %q is declared twice or shadows an input variable", d.def.Name)
			}
			ast, iss := env.Compile(d.def.Expr)
			if iss.Err() != nil {
				next = append(next, d)
				lastErr = compileErr(where, "definition %s: %v", d.def.Name, iss.Err())
				continue
			}
			prg, err := env.Program(ast, e.progOpts...)
			if err != nil {
				return nil, compileErr(where, "definition %s: %v", d.def.Name, err)
			}
			env, err = env.Extend(cel.Variable(d.def.Name, ast.OutputType()))
			if err != nil {
				return nil, compileErr(where, "definition %s: %v", d.def.Name, err)
			}
			seen[d.def.Name] = true
			e.defs = append(e.defs, compiledDef{name: d.def.Name, prg: prg})
		}
		if len(next) == len(pending) {
			return nil, lastErr
		}
		pending = next
	}

	ids := map[string]bool{}
	for _, r := range rules {
		where := fmt.Sprintf("%s:%d (rule %s)", r.file, r.line, r.rule.ID)
		cr, err := e.compileRule(ctx, env, r.file, r.rule)
		if err != nil {
			return nil, compileErr(where, "%v", err)
		}
		if ids[cr.policy] {
			return nil, compileErr(where, "rule id %q is declared twice in %s", r.rule.ID, r.file)
		}
		ids[cr.policy] = true
		if cr.static {
			e.static = append(e.static, cr)
		} else {
			e.dynamic = append(e.dynamic, cr)
		}
	}
	return e, nil
}

func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func isVariable(name string) bool {
	switch name {
	case "action", "amount", "now", "asset", "from", "to", "has_from", "has_to", "list_version", "asset_id", "from_wallet", "to_wallet", "venue":
		return true
	}
	return false
}

func (e *Engine) compileRule(_ context.Context, env *cel.Env, file string, r Rule) (*compiledRule, error) {
	if r.ID == "" {
		return nil, errors.New("rule has no id")
	}
	cr := &compiledRule{Rule: r, policy: "cel/" + strings.TrimSuffix(path.Base(file), path.Ext(file)) + "/" + r.ID}
	switch r.Scope {
	case "static":
		cr.static = true
	case "dynamic":
	default:
		return nil, fmt.Errorf("scope %q must be static or dynamic", r.Scope)
	}
	switch r.Effect {
	case "DENY", "REVIEW", "ALLOW":
		cr.effect = r.Effect
	default:
		return nil, fmt.Errorf("effect %q must be DENY, REVIEW or ALLOW", r.Effect)
	}
	if cr.effect != "ALLOW" && r.Code == "" {
		return nil, errors.New("a DENY or REVIEW rule needs a code")
	}
	if r.When == "" {
		return nil, errors.New("rule has no when expression")
	}
	ast, iss := env.Compile(r.When)
	if iss.Err() != nil {
		return nil, fmt.Errorf("when: %v", iss.Err())
	}
	if ast.OutputType() != cel.BoolType {
		return nil, fmt.Errorf("when must be bool, is %s", ast.OutputType())
	}
	var err error
	if cr.when, err = env.Program(ast, e.progOpts...); err != nil {
		return nil, fmt.Errorf("when: %w", err)
	}
	for _, x := range []struct {
		name string
		expr string
		dst  *cel.Program
	}{{"observed", r.Observed, &cr.observed}, {"limit", r.Limit, &cr.limit}} {
		if x.expr == "" {
			continue
		}
		a, iss := env.Compile(x.expr)
		if iss.Err() != nil {
			return nil, fmt.Errorf("%s: %v", x.name, iss.Err())
		}
		if *x.dst, err = env.Program(a, e.progOpts...); err != nil {
			return nil, fmt.Errorf("%s: %w", x.name, err)
		}
	}
	return cr, nil
}

// Revision returns the revision given with WithRevision.
func (e *Engine) Revision() string { return e.revision }

// RuleCount returns the number of compiled rules.
func (e *Engine) RuleCount() int { return len(e.static) + len(e.dynamic) }

// Evaluate runs the rules of scope (and, for the dynamic scope, the asset's
// inline conditions) against in.
func (e *Engine) Evaluate(ctx context.Context, in *policies.Input, scope policies.Scope) (policies.Result, error) {
	res := policies.Result{Engine: EngineName, Revised: e.revision}
	if in == nil {
		return res, &policies.Error{Code: "eval_error", Err: errors.New("nil input")}
	}
	act := newActivation(in, len(e.defs))
	for _, d := range e.defs {
		v, _, err := d.prg.ContextEval(ctx, act)
		if err != nil {
			return res, evalError("definition "+d.name, err)
		}
		act.defs[d.name] = v
	}
	if scope != policies.ScopeDynamic {
		if err := e.run(ctx, e.static, act, &res); err != nil {
			return res, err
		}
	}
	if scope != policies.ScopeStatic {
		if err := e.run(ctx, e.dynamic, act, &res); err != nil {
			return res, err
		}
		e.conditions(ctx, in, act, &res)
	}
	return res, nil
}

var _ policies.BothEvaluator = (*Engine)(nil)

// EvaluateBoth evaluates both scopes with one activation (definitions are
// computed once).
func (e *Engine) EvaluateBoth(ctx context.Context, in *policies.Input) (policies.Result, policies.Result, error) {
	st := policies.Result{Engine: EngineName, Revised: e.revision}
	dy := policies.Result{Engine: EngineName, Revised: e.revision}
	if in == nil {
		return st, dy, &policies.Error{Code: "eval_error", Err: errors.New("nil input")}
	}
	act := newActivation(in, len(e.defs))
	for _, d := range e.defs {
		v, _, err := d.prg.ContextEval(ctx, act)
		if err != nil {
			return st, dy, evalError("definition "+d.name, err)
		}
		act.defs[d.name] = v
	}
	if err := e.run(ctx, e.static, act, &st); err != nil {
		return st, dy, err
	}
	if err := e.run(ctx, e.dynamic, act, &dy); err != nil {
		return st, dy, err
	}
	e.conditions(ctx, in, act, &dy)
	return st, dy, nil
}

func (e *Engine) run(ctx context.Context, rules []*compiledRule, act *activation, res *policies.Result) error {
	for _, r := range rules {
		v, _, err := r.when.ContextEval(ctx, act)
		if err != nil {
			return evalError(r.policy, err)
		}
		fired, ok := v.(types.Bool)
		if !ok {
			return &policies.Error{Code: "eval_error", Rule: r.policy, Err: fmt.Errorf("when evaluated to %s, want bool", v.Type())}
		}
		if !fired {
			continue
		}
		if r.effect == "ALLOW" {
			res.Allow = true
			continue
		}
		reason := policies.Reason{Code: r.Code, Message: r.Message, Policy: r.policy, Reference: r.Reference}
		if r.observed != nil {
			if reason.Observed, err = render(ctx, r.observed, act); err != nil {
				return evalError(r.policy+" observed", err)
			}
		}
		if r.limit != nil {
			if reason.Limit, err = render(ctx, r.limit, act); err != nil {
				return evalError(r.policy+" limit", err)
			}
		}
		if r.effect == "DENY" {
			res.Deny = append(res.Deny, reason)
		} else {
			res.Review = append(res.Review, reason)
		}
	}
	return nil
}

func render(ctx context.Context, prg cel.Program, act *activation) (string, error) {
	v, _, err := prg.ContextEval(ctx, act)
	if err != nil {
		return "", err
	}
	return valueString(v), nil
}

func valueString(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return string(x)
	case types.Int:
		return strconv.FormatInt(int64(x), 10)
	case types.Uint:
		return strconv.FormatUint(uint64(x), 10)
	case types.Double:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case types.Bool:
		return strconv.FormatBool(bool(x))
	case types.Null:
		return ""
	}
	if s, err := v.ConvertToNative(stringType); err == nil {
		return s.(string)
	}
	return fmt.Sprint(v.Value())
}

func evalError(rule string, err error) error {
	code := "eval_error"
	msg := err.Error()
	switch {
	case strings.Contains(msg, "cost limit exceeded"):
		code = "cost_limit_exceeded"
	case strings.Contains(msg, "interrupted"), strings.Contains(msg, "cancel"), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = "eval_canceled"
	}
	return &policies.Error{Code: code, Rule: rule, Err: err}
}
