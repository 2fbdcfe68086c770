package source_test

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/policytest"
	"github.com/clearancehq/clearance/policies/source"
)

// TestEvaluateBothEqualsScopes: the one-pass evaluation of both scopes gives
// exactly what the two separate evaluations give, for the Rego engine, the
// CEL engine and the bundle, on every golden case.
func TestEvaluateBothEqualsScopes(t *testing.T) {
	b, err := source.Compile(t.Context(), library.FS())
	if err != nil {
		t.Fatal(err)
	}
	cases, err := policytest.Load(os.DirFS("../testdata/decisions"))
	if err != nil {
		t.Fatal(err)
	}
	engines := []struct {
		name string
		e    policies.Engine
	}{{"rego", b.Rego()}, {"cel", b.CEL()}, {"bundle", b}, {"live", source.NewLive(b)}}
	sortReasons := cmpopts.SortSlices(func(a, b policies.Reason) bool { return a.Code+a.Message+a.Observed < b.Code+b.Message+b.Observed })
	for _, c := range cases {
		for _, eng := range engines {
			be, ok := eng.e.(policies.BothEvaluator)
			if !ok {
				t.Fatalf("%s does not implement BothEvaluator", eng.name)
			}
			s, d, err := be.EvaluateBoth(t.Context(), c.Input)
			if err != nil {
				t.Fatalf("%s %s: %v", c.Name, eng.name, err)
			}
			ws, err := eng.e.Evaluate(t.Context(), c.Input, policies.ScopeStatic)
			if err != nil {
				t.Fatal(err)
			}
			wd, err := eng.e.Evaluate(t.Context(), c.Input, policies.ScopeDynamic)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ws, s, sortReasons, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s %s static (-separate +both):\n%s", c.Name, eng.name, diff)
			}
			if diff := cmp.Diff(wd, d, sortReasons, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s %s dynamic (-separate +both):\n%s", c.Name, eng.name, diff)
			}
		}
	}
}
