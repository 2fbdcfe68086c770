package opaengine_test

import (
	"testing"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/opaengine"
	"github.com/clearancehq/clearance/policies/policytest"
)

func benchInputs(b *testing.B) (allow, deny *policies.Input) {
	b.Helper()
	cases, err := policytest.Load(mustSub(b, "../testdata/decisions"))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		switch c.Name {
		case "eligibility/allow_transfer":
			allow = c.Input
		case "eligibility/many_failures":
			deny = c.Input
		}
	}
	return allow, deny
}

func BenchmarkInputValue(b *testing.B) {
	in, _ := benchInputs(b)
	for b.Loop() {
		_ = opaengine.InputValue(in)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	e := newLibraryEngine(b)
	allow, deny := benchInputs(b)
	for _, bc := range []struct {
		name  string
		in    *policies.Input
		scope policies.Scope
	}{
		{"allow/all", allow, policies.ScopeAll},
		{"allow/static", allow, policies.ScopeStatic},
		{"allow/dynamic", allow, policies.ScopeDynamic},
		{"deny/all", deny, policies.ScopeAll},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Evaluate(b.Context(), bc.in, bc.scope); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
