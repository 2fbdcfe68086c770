package evm

import (
	"math/big"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

// byRecipient scripts the gateway: bob is allowed, carol denied, dave goes to
// review until approved.
type byRecipient struct {
	allow, deny, review string
	approved            atomic.Bool
}

func (b *byRecipient) script(c *gatewayv1.CheckRequest) *gatewayv1.Verdict {
	switch c.GetToWallet() {
	case b.allow:
		return sidecartest.Allow()
	case b.deny:
		return sidecartest.Deny("RECIPIENT_NOT_ELIGIBLE", "JURISDICTION_NOT_ALLOWED")
	case b.review:
		if b.approved.Load() {
			return sidecartest.Allow()
		}
		return sidecartest.Review("case-42", "AML_AMOUNT_ABOVE_EXPECTED")
	}
	if c.GetAction() == gatewayv1.Action_ISSUANCE {
		return sidecartest.Allow()
	}
	return sidecartest.Deny("NO_APPLICABLE_RULE")
}

func TestProxyEndToEnd(t *testing.T) {
	script := &byRecipient{}
	s := newStack(t, func(c *gatewayv1.CheckRequest) *gatewayv1.Verdict { return script.script(c) },
		"alice", "bob", "carol", "dave", "eve")
	script.allow, script.deny, script.review = addr(s.addr("bob")), addr(s.addr("carol")), addr(s.addr("dave"))
	alice, bob, carol, dave := s.addr("alice"), s.addr("bob"), s.addr("carol"), s.addr("dave")

	// The agent mints through the proxy: an ISSUANCE check, allowed.
	tx, err := s.transact(t, s.wallet, s.agent, "mint", alice, big.NewInt(1000))
	if err != nil {
		t.Fatalf("mint through proxy: %v", err)
	}
	s.mustMine(t, tx)
	if got := s.balance(t, alice); got != 1000 {
		t.Fatalf("alice balance after mint = %d, want 1000", got)
	}
	if err := s.watcher.Poll(t.Context()); err != nil { // starts at the head
		t.Fatal(err)
	}

	t.Run("allowed transfer lands", func(t *testing.T) {
		tx, err := s.transact(t, s.wallet, s.keys["alice"], "transfer", bob, big.NewInt(100))
		if err != nil {
			t.Fatalf("transfer to bob: %v", err)
		}
		s.mustMine(t, tx)
		if got := s.balance(t, bob); got != 100 {
			t.Errorf("bob balance = %d, want 100", got)
		}
		reqs := s.gw.Requests()
		last := reqs[len(reqs)-1]
		want := &gatewayv1.CheckRequest{Action: gatewayv1.Action_TRANSFER, AssetId: "FS-1", FromWallet: addr(alice),
			ToWallet: addr(bob), Amount: "100", Venue: "test-venue", RequestId: tx.Hash().Hex()}
		if diff := cmp.Diff(want.String(), last.String()); diff != "" {
			t.Errorf("check request (-want +got):\n%s", diff)
		}
		if ids, ok := s.proxy.Forwarded(tx.Hash().Hex()); !ok || len(ids) != 1 {
			t.Errorf("Forwarded(%s) = %v, %v; want one decision id", tx.Hash().Hex(), ids, ok)
		}
	})

	t.Run("denied transfer never reaches the chain", func(t *testing.T) {
		before := s.balance(t, alice)
		_, err := s.transact(t, s.wallet, s.keys["alice"], "transfer", carol, big.NewInt(50))
		code, data := rpcErr(t, err)
		if code != CodeDenied {
			t.Errorf("code = %d, want %d", code, CodeDenied)
		}
		if diff := cmp.Diff([]any{"RECIPIENT_NOT_ELIGIBLE", "JURISDICTION_NOT_ALLOWED"}, data["reason_codes"]); diff != "" {
			t.Errorf("reason codes (-want +got):\n%s", diff)
		}
		if ids, _ := data["decision_ids"].([]any); len(ids) != 1 || ids[0] == "" {
			t.Errorf("decision_ids = %v, want one id", data["decision_ids"])
		}
		s.sim.Commit()
		if got := s.balance(t, carol); got != 0 {
			t.Errorf("carol balance = %d, want 0", got)
		}
		if got := s.balance(t, alice); got != before {
			t.Errorf("alice balance = %d, want unchanged %d", got, before)
		}
	})

	t.Run("review, approval, resubmission", func(t *testing.T) {
		// Sign once; the wallet resubmits the same signed transaction while
		// the case is pending and again after approval.
		signed := s.signTransfer(t, "alice", dave, 30)
		for range 2 {
			err := s.wallet.SendTransaction(t.Context(), signed)
			code, data := rpcErr(t, err)
			if code != CodeReview || data["case_id"] != "case-42" || data["request_id"] != signed.Hash().Hex() {
				t.Fatalf("submission while pending: code %d data %v", code, data)
			}
		}
		if id, ok := s.proxy.runner.PendingCase(signed.Hash().Hex()); !ok || id != "case-42" {
			t.Errorf("pending case = %q, %v", id, ok)
		}
		s.sim.Commit()
		if got := s.balance(t, dave); got != 0 {
			t.Fatalf("dave balance while pending = %d, want 0", got)
		}
		script.approved.Store(true) // a reviewer approved case-42
		if err := s.wallet.SendTransaction(t.Context(), signed); err != nil {
			t.Fatalf("resubmission after approval: %v", err)
		}
		s.mustMine(t, signed)
		if got := s.balance(t, dave); got != 30 {
			t.Errorf("dave balance = %d, want 30", got)
		}
		reqs := s.gw.Requests()
		if got := reqs[len(reqs)-1].GetRequestId(); got != signed.Hash().Hex() {
			t.Errorf("resubmission request_id = %s, want the tx hash %s", got, signed.Hash().Hex())
		}
	})

	t.Run("bypass transfer is flagged by the watcher", func(t *testing.T) {
		eve := s.addr("eve")
		tx, err := s.transact(t, s.direct, s.keys["alice"], "transfer", eve, big.NewInt(7))
		if err != nil {
			t.Fatalf("direct transfer: %v", err)
		}
		s.mustMine(t, tx)
		s.sim.Commit()
		s.sim.Commit() // two confirmations
		if err := s.watcher.Poll(t.Context()); err != nil {
			t.Fatal(err)
		}
		exc, err := s.rep.ListExceptions(t.Context(), sidecar.ExceptionFilter{Status: sidecar.ExceptionOpen})
		if err != nil {
			t.Fatal(err)
		}
		var flagged []string
		for _, e := range exc {
			if e.Kind == sidecar.ExceptionUnclearedTransfer {
				flagged = append(flagged, e.Wallet+" "+e.Item)
			}
		}
		item := "transfer:" + tx.Hash().Hex() + ":0"
		if diff := cmp.Diff([]string{addr(alice) + " " + item, addr(eve) + " " + item}, flagged); diff != "" {
			t.Errorf("flagged transfers (-want +got):\n%s", diff)
		}
		var via, direct int
		for _, tr := range s.rep.Transfers() {
			switch {
			case tr.ViaProxy && tr.DecisionID != "":
				via++
			case !tr.ViaProxy && strings.EqualFold(tr.TxHash, tx.Hash().Hex()):
				direct++
			}
		}
		if via != 3 || direct != 1 { // the mint, bob and dave through the proxy; eve direct
			t.Errorf("reported transfers: %d via proxy, %d direct; want 3 and 1: %+v", via, direct, s.rep.Transfers())
		}
		if len(s.rep.Balances()) == 0 {
			t.Error("no balances reported")
		}
	})

	t.Run("gateway stopped: nothing is forwarded", func(t *testing.T) {
		forwarded := s.counter(t, "forwarded")
		s.gw.Stop()
		before := s.balance(t, bob)
		for range 3 {
			_, err := s.transact(t, s.wallet, s.keys["alice"], "transfer", bob, big.NewInt(1))
			if code, _ := rpcErr(t, err); code != CodeFailedClosed {
				t.Errorf("code = %d, want %d", code, CodeFailedClosed)
			}
		}
		s.sim.Commit()
		if got := s.balance(t, bob); got != before {
			t.Errorf("bob balance = %d, want unchanged %d", got, before)
		}
		if got := s.counter(t, "forwarded"); got != forwarded {
			t.Errorf("forwarded counter moved from %v to %v with the gateway stopped", forwarded, got)
		}
		if got := s.counter(t, "failed_closed"); got != 3 {
			t.Errorf("failed_closed = %v, want 3", got)
		}
	})
}
