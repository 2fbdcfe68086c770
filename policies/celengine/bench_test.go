package celengine_test

import (
	"testing"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/policytest"
)

func BenchmarkEvaluate(b *testing.B) {
	e := newLibraryEngine(b)
	cases, err := policytest.Load(osDir(b, "../testdata/decisions"))
	if err != nil {
		b.Fatal(err)
	}
	var allow, deny *policies.Input
	for _, c := range cases {
		switch c.Name {
		case "eligibility/allow_transfer":
			allow = c.Input
		case "eligibility/many_failures":
			deny = c.Input
		}
	}
	withCond := *allow
	withCond.Asset.Conditions = []policies.Condition{{ID: "c1", Expr: `amount <= 50000 || to.investor.category == "INSTITUTIONAL"`, Effect: "DENY"}}
	for _, bc := range []struct {
		name  string
		in    *policies.Input
		scope policies.Scope
	}{
		{"allow/all", allow, policies.ScopeAll},
		{"allow/static", allow, policies.ScopeStatic},
		{"allow/dynamic", allow, policies.ScopeDynamic},
		{"deny/all", deny, policies.ScopeAll},
		{"allow+condition/all", &withCond, policies.ScopeAll},
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
