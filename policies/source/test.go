package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/opaengine"
	"github.com/clearancehq/clearance/policies/policytest"
)

// Failure is one failed test or check.
type Failure struct {
	// Kind is "rego", "golden" or "compile".
	Kind string
	// Name is the test or case name.
	Name string
	// Location is "file:line" where known.
	Location string
	Message  string
}

func (f Failure) String() string {
	loc := f.Location
	if loc != "" {
		loc += ": "
	}
	return fmt.Sprintf("%s%s %s: %s", loc, f.Kind, f.Name, f.Message)
}

// Counts are passed and failed test counts.
type Counts struct {
	Passed int
	Failed int
}

// Report is the outcome of Test.
type Report struct {
	Revision string
	// Rego counts the pack's Rego unit tests (*_test.rego, test_* rules).
	Rego Counts
	// Golden counts the pack's golden cases (tests/**/*.yaml); each case runs
	// on the Rego engine, the CEL engine (when the pack has CEL rules) and the
	// combined bundle, and counts once.
	Golden   Counts
	Failures []Failure
}

// OK reports whether every test passed.
func (r Report) OK() bool { return len(r.Failures) == 0 }

// Test compiles the pack in fsys and runs its Rego unit tests and golden
// cases. The error is non-nil when the pack does not compile
// (compile_error) or a test fails (test_failure, Rule naming the first
// failure's location); the Report lists every failure.
func Test(ctx context.Context, fsys fs.FS) (Report, error) {
	files, err := Load(fsys)
	if err != nil {
		return Report{}, err
	}
	_, rep, err := compileAndTest(ctx, files)
	return rep, err
}

// compileAndTest compiles files and runs their tests; the bundle is returned
// only when everything passed.
func compileAndTest(ctx context.Context, files *Files) (*Bundle, Report, error) {
	rep := Report{Revision: files.Revision}
	b, err := CompileFiles(ctx, files)
	if err != nil {
		var pe *policies.Error
		loc := ""
		if errors.As(err, &pe) {
			loc = pe.Rule
		}
		rep.Failures = append(rep.Failures, Failure{Kind: "compile", Location: loc, Message: err.Error()})
		return nil, rep, err
	}
	if err := runRegoTests(ctx, files, &rep); err != nil {
		return nil, rep, err
	}
	if err := runGolden(ctx, b, files, &rep); err != nil {
		return nil, rep, err
	}
	if !rep.OK() {
		f := rep.Failures[0]
		return nil, rep, &policies.Error{Code: "test_failure", Rule: f.Location, Err: fmt.Errorf("%d test(s) failed; first: %s", len(rep.Failures), f)}
	}
	return b, rep, nil
}

func runRegoTests(ctx context.Context, files *Files, rep *Report) error {
	if len(files.RegoTests) == 0 {
		return nil
	}
	mods := make(map[string]*ast.Module, len(files.Modules)+len(files.RegoTests))
	for _, set := range []map[string]string{files.Modules, files.RegoTests} {
		for p, src := range set {
			m, err := ast.ParseModuleWithOpts(p, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				rep.Failures = append(rep.Failures, Failure{Kind: "compile", Location: p, Message: err.Error()})
				return &policies.Error{Code: "compile_error", Rule: p, Err: err}
			}
			mods[p] = m
		}
	}
	caps := opaCapsWithPrint()
	c := ast.NewCompiler().WithCapabilities(caps).WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(c).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		Run(ctx, mods)
	if err != nil {
		var ae ast.Errors
		loc := ""
		if errors.As(err, &ae) && len(ae) > 0 && ae[0].Location != nil {
			loc = fmt.Sprintf("%s:%d", ae[0].Location.File, ae[0].Location.Row)
		}
		rep.Failures = append(rep.Failures, Failure{Kind: "compile", Location: loc, Message: err.Error()})
		return &policies.Error{Code: "compile_error", Rule: loc, Err: err}
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Name < results[j].Name })
	for _, r := range results {
		if r.Skip {
			continue
		}
		if !r.Fail && r.Error == nil {
			rep.Rego.Passed++
			continue
		}
		rep.Rego.Failed++
		loc := ""
		if r.Location != nil {
			loc = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
		}
		msg := "fail"
		if r.Error != nil {
			msg = r.Error.Error()
		}
		if out := strings.TrimSpace(string(r.Output)); out != "" {
			msg += "; output: " + out
		}
		rep.Failures = append(rep.Failures, Failure{Kind: "rego", Name: r.Package + "." + r.Name, Location: loc, Message: msg})
	}
	return nil
}

func runGolden(ctx context.Context, b *Bundle, files *Files, rep *Report) error {
	if len(files.Golden) == 0 {
		return nil
	}
	mfs := fstest.MapFS{}
	for p, data := range files.Golden {
		mfs[strings.TrimPrefix(p, "tests/")] = &fstest.MapFile{Data: data}
	}
	cases, err := policytest.Load(mfs)
	if err != nil {
		rep.Failures = append(rep.Failures, Failure{Kind: "golden", Location: "tests/", Message: err.Error()})
		return nil
	}
	engines := []policies.Engine{b}
	if b.rego != nil {
		engines = append(engines, b.rego)
	}
	if len(files.CEL) > 0 {
		engines = append(engines, b.cel)
	}
	for _, c := range cases {
		failed := false
		for _, e := range engines {
			if err := policytest.Check(ctx, e, c); err != nil {
				failed = true
				rep.Failures = append(rep.Failures, Failure{Kind: "golden", Name: c.Name, Location: "tests/" + c.Name + ".yaml", Message: engineName(e) + ": " + err.Error()})
			}
		}
		if failed {
			rep.Golden.Failed++
		} else {
			rep.Golden.Passed++
		}
	}
	return nil
}

func engineName(e policies.Engine) string {
	switch e.(type) {
	case *Bundle:
		return "bundle"
	case *opaengine.Engine:
		return "rego"
	}
	return "cel"
}

// opaCapsWithPrint is the pack capabilities plus print, which tests and lint
// allow (print is a no-op when the engine compiles the pack).
func opaCapsWithPrint() *ast.Capabilities {
	caps := opaengine.Capabilities()
	caps.Builtins = append(caps.Builtins, ast.Print)
	return caps
}

// CompileTested compiles the pack in fsys and runs its tests, returning the
// bundle only when it compiled and every test passed: what the Watcher swaps
// in, for use at start-up.
func CompileTested(ctx context.Context, fsys fs.FS) (*Bundle, Report, error) {
	files, err := Load(fsys)
	if err != nil {
		return nil, Report{}, err
	}
	return compileAndTest(ctx, files)
}
