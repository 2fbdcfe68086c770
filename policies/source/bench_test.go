package source_test

import (
	"os"
	"testing"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/policytest"
	"github.com/clearancehq/clearance/policies/source"
)

func BenchmarkBundleEvaluate(b *testing.B) {
	bundle, err := source.Compile(b.Context(), library.FS())
	if err != nil {
		b.Fatal(err)
	}
	live := source.NewLive(bundle)
	cases, err := policytest.Load(os.DirFS("../testdata/decisions"))
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
	for _, bc := range []struct {
		name string
		in   *policies.Input
	}{{"allow", allow}, {"deny", deny}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := live.Evaluate(b.Context(), bc.in, policies.ScopeAll); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
