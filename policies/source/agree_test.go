package source_test

import (
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/policytest"
	"github.com/clearancehq/clearance/policies/source"
)

// reasonView is a reason without the engine-specific policy name.
type reasonView struct {
	Code, Message, Observed, Limit string
}

func views(rs []policies.Reason) []reasonView {
	out := make([]reasonView, len(rs))
	for i, r := range rs {
		out[i] = reasonView{r.Code, r.Message, r.Observed, r.Limit}
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

// TestEnginesAgree runs every golden case on the Rego pack and its CEL port
// and requires the same decision and the same reasons (code, message,
// observed, limit) in every scope.
func TestEnginesAgree(t *testing.T) {
	b, err := source.Compile(t.Context(), library.FS())
	if err != nil {
		t.Fatal(err)
	}
	cases, err := policytest.Load(os.DirFS("../testdata/decisions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, scope := range []policies.Scope{policies.ScopeStatic, policies.ScopeDynamic, policies.ScopeAll} {
				r, err := b.Rego().Evaluate(t.Context(), c.Input, scope)
				if err != nil {
					t.Fatal(err)
				}
				l, err := b.CEL().Evaluate(t.Context(), c.Input, scope)
				if err != nil {
					t.Fatal(err)
				}
				if r.Allow != l.Allow {
					t.Errorf("%s: allow rego=%v cel=%v", scope, r.Allow, l.Allow)
				}
				if d := cmp.Diff(views(r.Deny), views(l.Deny)); d != "" {
					t.Errorf("%s: deny reasons differ (-rego +cel):\n%s", scope, d)
				}
				if d := cmp.Diff(views(r.Review), views(l.Review)); d != "" {
					t.Errorf("%s: review reasons differ (-rego +cel):\n%s", scope, d)
				}
			}
		})
	}
}
