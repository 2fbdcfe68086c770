package celengine_test

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/celengine"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/policytest"
)

func libraryRules(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := fs.WalkDir(library.FS(), "cel", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".yaml" {
			return err
		}
		b, err := fs.ReadFile(library.FS(), p)
		files[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func newLibraryEngine(t testing.TB, opts ...celengine.Option) *celengine.Engine {
	t.Helper()
	e, err := celengine.New(t.Context(), libraryRules(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestGoldenCorpus(t *testing.T) {
	policytest.Run(t, newLibraryEngine(t), "../testdata/decisions")
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		wantRule string
		wantMsg  string
	}{
		{
			name:     "non-bool when",
			file:     "rules:\n  - id: r1\n    scope: static\n    when: amount + 1\n    effect: DENY\n    code: LOCKED\n",
			wantRule: "cel/x.yaml:2 (rule r1)",
			wantMsg:  "must be bool",
		},
		{
			name:     "syntax error",
			file:     "rules:\n  - id: ok\n    scope: static\n    when: amount > 1\n    effect: DENY\n    code: LOCKED\n  - id: bad\n    scope: dynamic\n    when: amount >\n    effect: DENY\n    code: LOCKED\n",
			wantRule: "cel/x.yaml:7 (rule bad)",
			wantMsg:  "Syntax error",
		},
		{
			name:     "undeclared variable",
			file:     "rules:\n  - id: r\n    scope: static\n    when: nope == 1\n    effect: DENY\n    code: LOCKED\n",
			wantRule: "cel/x.yaml:2 (rule r)",
			wantMsg:  "undeclared reference",
		},
		{
			name:     "bad scope",
			file:     "rules:\n  - id: r\n    scope: sometimes\n    when: amount > 1\n    effect: DENY\n    code: LOCKED\n",
			wantRule: "cel/x.yaml:2 (rule r)",
			wantMsg:  "scope",
		},
		{
			name:     "unknown field",
			file:     "rules:\n  - id: r\n    scope: static\n    whenever: amount > 1\n    effect: DENY\n    code: LOCKED\n",
			wantRule: "cel/x.yaml:2",
			wantMsg:  "whenever",
		},
		{
			name:     "definition cycle",
			file:     "definitions:\n  - name: a\n    expr: b\n  - name: b\n    expr: a\nrules: []\n",
			wantRule: "cel/x.yaml:",
			wantMsg:  "undeclared reference",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := celengine.New(t.Context(), map[string][]byte{"cel/x.yaml": []byte(tt.file)})
			var pe *policies.Error
			if !errors.As(err, &pe) || pe.Code != "compile_error" {
				t.Fatalf("err = %v, want compile_error", err)
			}
			if !strings.HasPrefix(pe.Rule, tt.wantRule) || !strings.Contains(pe.Err.Error(), tt.wantMsg) {
				t.Fatalf("rule %q err %q; want rule %q containing %q", pe.Rule, pe.Err, tt.wantRule, tt.wantMsg)
			}
		})
	}
}

func baseInput(t *testing.T) *policies.Input {
	t.Helper()
	cases, err := policytest.Load(osDir(t, "../testdata/decisions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Name == "eligibility/allow_transfer" {
			return c.Input
		}
	}
	t.Fatal("eligibility/allow_transfer not found")
	return nil
}

func TestInlineConditions(t *testing.T) {
	e := newLibraryEngine(t)
	tests := []struct {
		name       string
		conds      []policies.Condition
		amount     int64
		wantDeny   []string
		wantReview []string
		wantPolicy string
	}{
		{
			name:   "holds",
			conds:  []policies.Condition{{ID: "c1", Expr: `amount <= 50000 || to.investor.category == "INSTITUTIONAL"`, Effect: "DENY", Code: "LIMIT_X"}},
			amount: 1000,
		},
		{
			name:       "fails with undeclared code",
			conds:      []policies.Condition{{ID: "c1", Expr: `amount <= 500 || to.investor.category == "INSTITUTIONAL"`, Effect: "DENY", Code: "LIMIT_X"}},
			amount:     1000,
			wantDeny:   []string{"ASSET_CONDITION_FAILED"},
			wantPolicy: "asset/FUND-A/conditions/c1",
		},
		{
			name:       "fails with declared code and review",
			conds:      []policies.Condition{{ID: "c2", Expr: `amount <= 500`, Effect: "REVIEW", Code: "AML_REVIEW"}},
			amount:     1000,
			wantReview: []string{"AML_REVIEW"},
			wantPolicy: "asset/FUND-A/conditions/c2",
		},
		{
			name:       "does not compile",
			conds:      []policies.Condition{{ID: "broken", Expr: `amount <=`, Effect: "DENY"}},
			amount:     1000,
			wantDeny:   []string{"POLICY_ERROR"},
			wantPolicy: "asset/FUND-A/conditions/broken",
		},
		{
			name:       "not bool",
			conds:      []policies.Condition{{ID: "int", Expr: `amount + 1`, Effect: "DENY"}},
			amount:     1000,
			wantDeny:   []string{"POLICY_ERROR"},
			wantPolicy: "asset/FUND-A/conditions/int",
		},
		{
			name:       "dyn not bool at runtime",
			conds:      []policies.Condition{{ID: "dyn", Expr: `to.investor.category`, Effect: "DENY"}},
			amount:     1000,
			wantDeny:   []string{"POLICY_ERROR"},
			wantPolicy: "asset/FUND-A/conditions/dyn",
		},
		{
			name:       "runtime error on missing key",
			conds:      []policies.Condition{{ID: "nokey", Expr: `to.investor.nope == 1`, Effect: "DENY"}},
			amount:     1000,
			wantDeny:   []string{"POLICY_ERROR"},
			wantPolicy: "asset/FUND-A/conditions/nokey",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(t)
			in.Amount = tt.amount
			in.Asset.Conditions = tt.conds
			for range 2 { // the second run uses the cached program
				res, err := e.Evaluate(t.Context(), in, policies.ScopeDynamic)
				if err != nil {
					t.Fatal(err)
				}
				if got := policytest.CodeSet(res.Deny); strings.Join(got, ",") != strings.Join(tt.wantDeny, ",") {
					t.Errorf("deny = %v, want %v (%+v)", got, tt.wantDeny, res.Deny)
				}
				if got := policytest.CodeSet(res.Review); strings.Join(got, ",") != strings.Join(tt.wantReview, ",") {
					t.Errorf("review = %v, want %v", got, tt.wantReview)
				}
				for _, r := range append(res.Deny, res.Review...) {
					if r.Policy != tt.wantPolicy {
						t.Errorf("policy = %q, want %q", r.Policy, tt.wantPolicy)
					}
				}
			}
			st, err := e.Evaluate(t.Context(), in, policies.ScopeStatic)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Deny)+len(st.Review) != 0 {
				t.Errorf("static scope evaluated inline conditions: %+v", st)
			}
		})
	}
}

func TestCostLimit(t *testing.T) {
	rules := map[string][]byte{"cel/heavy.yaml": []byte(`rules:
  - id: heavy
    scope: static
    when: '[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, a + b + c > 0)))'
    effect: DENY
    code: LOCKED
`)}
	e, err := celengine.New(t.Context(), rules, celengine.WithCostLimit(100))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Evaluate(t.Context(), baseInput(t), policies.ScopeAll)
	var pe *policies.Error
	if !errors.As(err, &pe) || pe.Code != "cost_limit_exceeded" {
		t.Fatalf("err = %v, want cost_limit_exceeded", err)
	}
	e2, err := celengine.New(t.Context(), rules, celengine.WithCostLimit(1000000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e2.Evaluate(t.Context(), baseInput(t), policies.ScopeAll); err != nil {
		t.Fatalf("within a higher limit: %v", err)
	}
}
