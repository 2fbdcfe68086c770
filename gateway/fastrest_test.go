package gateway_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFastCheckMatchesGRPCGateway: the hand-coded POST /v1/check answers
// exactly what the grpc-gateway path answers. camelCase field names are
// protojson-only, so they take the grpc-gateway path for the same request.
func TestFastCheckMatchesGRPCGateway(t *testing.T) {
	h := newHarness(t, ruleEngine{}, nil)
	for _, tc := range []struct{ name, from, to, amount string }{
		{"allow", alice, alice, "100"},
		{"deny with two reasons", frz, bob, "100"},
		{"review", alice, alice, "2000000"},
		{"unknown wallet", alice, ghost, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast := fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":%q,"request_id":"r1"}`, tc.from, tc.to, tc.amount)
			slow := fmt.Sprintf(`{"action":"TRANSFER","assetId":"BOND","fromWallet":%q,"toWallet":%q,"amount":%q,"requestId":"r1"}`, tc.from, tc.to, tc.amount)
			st1, a := h.post(t, "/v1/check", fast, "")
			st2, b := h.post(t, "/v1/check", slow, "")
			if st1 != 200 || st2 != 200 {
				t.Fatalf("status %d / %d: %v %v", st1, st2, a, b)
			}
			for _, k := range []string{"decision_id", "evaluated_at", "as_of"} {
				if a[k] == "" || b[k] == "" {
					t.Errorf("%s missing", k)
				}
				delete(a, k)
				delete(b, k)
			}
			if d := cmp.Diff(b, a); d != "" {
				t.Errorf("fast path differs from grpc-gateway (-gateway +fast):\n%s", d)
			}
		})
	}
	// Bad input on the fast path is the same 400 naming the field.
	st, m := h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"-1"}`, alice, alice), "")
	st2, m2 := h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","assetId":"BOND","fromWallet":%q,"toWallet":%q,"amount":"-1"}`, alice, alice), "")
	if st != 400 || st2 != 400 || m["message"] != m2["message"] || m["reason"] != m2["reason"] {
		t.Errorf("errors differ: %d %v / %d %v", st, m, st2, m2)
	}
}
