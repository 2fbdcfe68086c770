package opaengine_test

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/opaengine"
	"github.com/clearancehq/clearance/policies/policytest"
)

// libraryModules returns the shipped Rego pack without its tests.
func libraryModules(t testing.TB) map[string]string {
	t.Helper()
	mods := map[string]string{}
	err := fs.WalkDir(library.FS(), "rego", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".rego" || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := fs.ReadFile(library.FS(), p)
		mods[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mods
}

func newLibraryEngine(t testing.TB) *opaengine.Engine {
	t.Helper()
	e, err := opaengine.New(context.Background(), libraryModules(t), opaengine.WithRevision("test"))
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
		modules  map[string]string
		wantCode string
		wantRule string
	}{
		{
			name:     "syntax error",
			modules:  map[string]string{"p.rego": "package clearance\n\nstatic := {\n"},
			wantCode: "compile_error",
			wantRule: "p.rego:",
		},
		{
			name:     "network builtin removed",
			modules:  map[string]string{"net.rego": "package clearance\n\nx := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n"},
			wantCode: "compile_error",
			wantRule: "net.rego:3",
		},
		{
			name:     "opa.runtime removed",
			modules:  map[string]string{"rt.rego": "package clearance\n\nx := opa.runtime()\n"},
			wantCode: "compile_error",
			wantRule: "rt.rego:3",
		},
		{
			name:     "unsafe variable",
			modules:  map[string]string{"u.rego": "package clearance\n\n\nstatic := {\"allow\": y}\n"},
			wantCode: "compile_error",
			wantRule: "u.rego:4",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := opaengine.New(t.Context(), tt.modules)
			var pe *policies.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *policies.Error", err)
			}
			if pe.Code != tt.wantCode || !strings.HasPrefix(pe.Rule, tt.wantRule) {
				t.Fatalf("got code %q rule %q (%v), want %q %q", pe.Code, pe.Rule, pe.Err, tt.wantCode, tt.wantRule)
			}
		})
	}
}

func TestUndefinedDecision(t *testing.T) {
	e, err := opaengine.New(t.Context(), map[string]string{"p.rego": `package clearance

static := {"allow": true, "deny": [], "review": []} if input.amount > 5
dynamic := {"allow": true, "deny": [], "review": []}
`})
	if err != nil {
		t.Fatal(err)
	}
	in := &policies.Input{Amount: 1}
	_, err = e.Evaluate(t.Context(), in, policies.ScopeStatic)
	var pe *policies.Error
	if !errors.As(err, &pe) || pe.Code != "undefined_decision" {
		t.Fatalf("err = %v, want undefined_decision", err)
	}
	if _, err := e.Evaluate(t.Context(), &policies.Input{Amount: 6}, policies.ScopeAll); err != nil {
		t.Fatalf("defined decision: %v", err)
	}
}

func TestScopes(t *testing.T) {
	e := newLibraryEngine(t)
	cases, err := policytest.Load(mustSub(t, "../testdata/decisions"))
	if err != nil {
		t.Fatal(err)
	}
	var in *policies.Input
	for _, c := range cases {
		if c.Name == "eligibility/many_failures" {
			in = c.Input
		}
	}
	if in == nil {
		t.Fatal("case eligibility/many_failures not found")
	}
	in.Amount = 20000 // also fails INSUFFICIENT_BALANCE (dynamic)
	st, err := e.Evaluate(t.Context(), in, policies.ScopeStatic)
	if err != nil {
		t.Fatal(err)
	}
	dy, err := e.Evaluate(t.Context(), in, policies.ScopeDynamic)
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.Evaluate(t.Context(), in, policies.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	if got := policytest.CodeSet(dy.Deny); strings.Join(got, ",") != "INSUFFICIENT_BALANCE" {
		t.Errorf("dynamic deny codes = %v", got)
	}
	if len(st.Deny) != 5 {
		t.Errorf("static deny = %d reasons, want 5: %+v", len(st.Deny), st.Deny)
	}
	if len(all.Deny) != len(st.Deny)+len(dy.Deny) {
		t.Errorf("all = %d reasons, want static+dynamic = %d", len(all.Deny), len(st.Deny)+len(dy.Deny))
	}
	for _, r := range dy.Deny {
		if r.Observed != "20000" || r.Limit != "10000" || r.Policy == "" {
			t.Errorf("balance reason = %+v, want observed 20000 limit 10000 and a policy", r)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	e := newLibraryEngine(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := e.Evaluate(ctx, &policies.Input{Action: policies.ActionTransfer}, policies.ScopeAll)
	var pe *policies.Error
	if !errors.As(err, &pe) || pe.Code != "eval_canceled" {
		t.Fatalf("err = %v, want eval_canceled", err)
	}
}
