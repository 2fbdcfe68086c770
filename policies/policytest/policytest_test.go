package policytest_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/policytest"
)

// fixed is an engine that always returns the same result.
type fixed struct{ res policies.Result }

func (f fixed) Evaluate(context.Context, *policies.Input, policies.Scope) (policies.Result, error) {
	return f.res, nil
}
func (fixed) Revision() string { return "r" }

func TestCheckDetectsMismatches(t *testing.T) {
	corpus := fstest.MapFS{
		"base.yaml":   {Data: []byte("action: TRANSFER\namount: 5\nasset: {known: true}\n")},
		"a/deny.yaml": {Data: []byte("description: d\ninput: {amount: 7}\nwant: {decision: DENY, codes: [KYC_EXPIRED]}\n")},
	}
	cases, err := policytest.Load(corpus)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 1 || cases[0].Input.Amount != 7 || !cases[0].Input.Asset.Known || cases[0].Input.Action != "TRANSFER" {
		t.Fatalf("cases = %+v, want the overlay merged over base", cases)
	}
	tests := []struct {
		name    string
		res     policies.Result
		wantErr string
	}{
		{"match", policies.Result{Deny: []policies.Reason{{Code: "KYC_EXPIRED", Policy: "p"}}}, ""},
		{"wrong decision", policies.Result{Allow: true}, "decision ALLOW, want DENY"},
		{"extra code", policies.Result{Deny: []policies.Reason{{Code: "KYC_EXPIRED", Policy: "p"}, {Code: "LOCKED", Policy: "p"}}}, "codes [KYC_EXPIRED LOCKED]"},
		{"undeclared code", policies.Result{Deny: []policies.Reason{{Code: "KYC_EXPIRED", Policy: "p"}, {Code: "MADE_UP", Policy: "p"}}}, "undeclared code MADE_UP"},
		{"missing policy", policies.Result{Deny: []policies.Reason{{Code: "KYC_EXPIRED"}}}, "has no policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policytest.Check(t.Context(), fixed{tt.res}, cases[0])
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadRejectsUnknownFields(t *testing.T) {
	corpus := fstest.MapFS{"x.yaml": {Data: []byte("description: d\ninput: {amount: 1, amountt: 2}\nwant: {decision: DENY, codes: []}\n")}}
	if _, err := policytest.Load(corpus); err == nil || !strings.Contains(err.Error(), "amountt") {
		t.Fatalf("err = %v, want unknown field amountt", err)
	}
}
