package sidecar_test

import (
	"fmt"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

// An outcome combines the verdicts of every movement in one native request;
// a refusing adapter reports the codes and decision ids of all of them.
func ExampleOutcome() {
	allow, deny := sidecartest.Allow(), sidecartest.Deny("RECIPIENT_NOT_ELIGIBLE", "LOCKED")
	allow.DecisionId, deny.DecisionId = "dec-1", "dec-2"
	out := sidecar.Outcome{Kind: sidecar.KindDenied, Key: "0xabc", Verdicts: []*gatewayv1.Verdict{allow, deny}}
	fmt.Println(out.Kind, out.ReasonCodes(), out.DecisionIDs())
	// Output: denied [RECIPIENT_NOT_ELIGIBLE LOCKED] [dec-1 dec-2]
}
