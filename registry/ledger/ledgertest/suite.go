package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry/ledger"
)

// NewStore returns a fresh, empty store for one test.
type NewStore func(t *testing.T) ledger.Store

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *Env)
	}{
		{"Lifecycle", testLifecycle},
		{"Idempotency", testIdempotency},
		{"Gateway", testGateway},
		{"BadInput", testBadInput},
		{"Distribution", testDistribution},
		{"FreezePause", testFreezePause},
		{"RecoveryForced", testRecoveryForced},
		{"Holdings", testHoldings},
		{"EventsLog", testEventsLog},
		{"Revenue", testRevenue},
		{"Concurrency", testConcurrency},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, NewEnv(t, newStore(t)))
		})
	}
}

var ctx = context.Background()

func m(key string) ledger.Meta { return ledger.Meta{IdempotencyKey: key, Actor: "tester"} }

func wantBuckets(t *testing.T, e *Env, want ledger.Buckets) {
	t.Helper()
	got, err := e.Ledger.Buckets(ctx, Asset)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	if err := e.Ledger.CheckInvariants(ctx, Asset); err != nil {
		t.Error(err)
	}
}

func must(t *testing.T) func(*ledger.Operation, error) *ledger.Operation {
	return func(op *ledger.Operation, err error) *ledger.Operation {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
}

func testLifecycle(t *testing.T, e *Env) {
	l := e.Ledger
	must(t)(l.Mint(ctx, ledger.MintRequest{Meta: m("mint-1"), AssetID: Asset, Amount: 600000}))
	wantBuckets(t, e, ledger.Buckets{Treasury: 600000, Total: 600000})
	must(t)(l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: m("r1"), AssetID: Asset, InvestmentID: "inv-1", InvestorID: "alice", Wallet: Alice, Amount: 104500}))
	must(t)(l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: m("r2"), AssetID: Asset, InvestmentID: "inv-2", InvestorID: "bob", Wallet: Bob, Amount: 65200}))
	must(t)(l.ConfirmInvestment(ctx, ledger.InvestmentRequest{Meta: m("c2"), AssetID: Asset, InvestmentID: "inv-2"}))
	wantBuckets(t, e, ledger.Buckets{Treasury: 430300, Reserved: 104500, Confirmed: 65200, Total: 600000})
	op := must(t)(l.DistributeInvestment(ctx, ledger.InvestmentRequest{Meta: m("d2"), AssetID: Asset, InvestmentID: "inv-2"}))
	if op.Status != ledger.OpApplied || op.DecisionID == "" {
		t.Fatalf("distribute: %+v", op)
	}
	inv, _ := l.Investment(ctx, Asset, "inv-2")
	if inv.Status != ledger.InvDistributed {
		t.Errorf("investment status %s", inv.Status)
	}
	must(t)(l.Transfer(ctx, ledger.TransferRequest{Meta: m("t1"), AssetID: Asset, From: Bob, To: Alice, Amount: 30000}))
	must(t)(l.Redeem(ctx, ledger.RedeemRequest{Meta: m("red1"), AssetID: Asset, Wallet: Alice, Amount: 10000}))
	wantBuckets(t, e, ledger.Buckets{Treasury: 430300, Reserved: 104500, Distributed: 55200, Redeemed: 10000, Total: 600000})
	must(t)(l.Burn(ctx, ledger.BurnRequest{Meta: m("b1"), AssetID: Asset, Amount: 10000, Source: ledger.BurnFromRedeemed}))
	must(t)(l.Burn(ctx, ledger.BurnRequest{Meta: m("b2"), AssetID: Asset, Amount: 300, Source: ledger.BurnFromTreasury}))
	must(t)(l.CancelInvestment(ctx, ledger.InvestmentRequest{Meta: m("x1"), AssetID: Asset, InvestmentID: "inv-1"}))
	wantBuckets(t, e, ledger.Buckets{Treasury: 534500, Distributed: 55200, Total: 589700})
	bal, err := l.Balance(ctx, Asset)
	if err != nil {
		t.Fatal(err)
	}
	if bal.Treasury.TextValue != "53.45" || bal.Total.TextValue != "58.97" || bal.Total.Ticker != Ticker || bal.Redeemed.TextValue != "0" {
		t.Errorf("balance object: %+v", bal)
	}
	// Every movement was cleared with the matching action.
	var acts []policies.Action
	for _, c := range e.Clearer.Calls() {
		acts = append(acts, c.Action)
	}
	want := []policies.Action{policies.ActionIssuance, policies.ActionDistribution, policies.ActionTransfer, policies.ActionRedemption, policies.ActionBurn, policies.ActionBurn}
	if diff := cmp.Diff(want, acts); diff != "" {
		t.Errorf("cleared actions (-want +got):\n%s", diff)
	}
	if c := e.Clearer.Calls()[0]; c.To != Treasury || c.Origin == "" {
		t.Errorf("mint clearance %+v", c)
	}
}

func testIdempotency(t *testing.T, e *Env) {
	l := e.Ledger
	op1 := must(t)(l.Mint(ctx, ledger.MintRequest{Meta: m("k1"), AssetID: Asset, Amount: 100}))
	op2 := must(t)(l.Mint(ctx, ledger.MintRequest{Meta: m("k1"), AssetID: Asset, Amount: 100}))
	if !op2.Replayed || op2.ID != op1.ID || op2.DecisionID != op1.DecisionID {
		t.Errorf("replay: %+v vs %+v", op2, op1)
	}
	wantBuckets(t, e, ledger.Buckets{Treasury: 100, Total: 100})
	_, err := l.Mint(ctx, ledger.MintRequest{Meta: m("k1"), AssetID: Asset, Amount: 101})
	if !errors.Is(err, ledger.ErrIdempotencyConflict) {
		t.Errorf("different body: %v", err)
	}
	_, err = l.Burn(ctx, ledger.BurnRequest{Meta: m("k1"), AssetID: Asset, Amount: 100})
	if !errors.Is(err, ledger.ErrIdempotencyConflict) {
		t.Errorf("different kind: %v", err)
	}
	if _, err := l.Mint(ctx, ledger.MintRequest{AssetID: Asset, Amount: 1}); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("missing key: %v", err)
	}
	if n := len(e.Clearer.Calls()); n != 1 {
		t.Errorf("clearer asked %d times, want 1", n)
	}
}

func testGateway(t *testing.T, e *Env) {
	l := e.Ledger
	e.Fund(t, map[string]int64{Alice: 1000, Bob: 1000})
	deny := []policies.Reason{{Code: "SANCTIONS_FLAGGED", Message: "listed"}}
	e.Clearer.Script(
		Rule{Action: policies.ActionTransfer, Wallet: Erin, Effect: policies.Deny, Reasons: deny},
		Rule{Action: policies.ActionTransfer, Wallet: Alice2, Effect: policies.Review},
		Rule{Action: policies.ActionRedemption, Err: errors.New("gateway down")},
	)
	before, _ := l.Buckets(ctx, Asset)
	op, err := l.Transfer(ctx, ledger.TransferRequest{Meta: m("deny-1"), AssetID: Asset, From: Alice, To: Erin, Amount: 10})
	if !errors.Is(err, ledger.ErrRejected) || op == nil || op.Status != ledger.OpRejected || op.Reasons[0].Code != "SANCTIONS_FLAGGED" {
		t.Fatalf("deny: %+v %v", op, err)
	}
	if w, _ := l.WalletBalance(ctx, Asset, Erin); w.Balance != 0 {
		t.Errorf("denied transfer moved tokens")
	}
	// Replay of a denied key returns the denial.
	if op2, err := l.Transfer(ctx, ledger.TransferRequest{Meta: m("deny-1"), AssetID: Asset, From: Alice, To: Erin, Amount: 10}); !errors.Is(err, ledger.ErrRejected) || !op2.Replayed {
		t.Errorf("deny replay %v", err)
	}
	// Clearer error: fail closed, key not consumed.
	if _, err := l.Redeem(ctx, ledger.RedeemRequest{Meta: m("red-1"), AssetID: Asset, Wallet: Alice, Amount: 10}); !errors.Is(err, ledger.ErrClearance) {
		t.Errorf("clearer error: %v", err)
	}
	// Review parks; settle executes exactly once.
	op, err = l.Transfer(ctx, ledger.TransferRequest{Meta: m("rev-1"), AssetID: Asset, From: Alice, To: Alice2, Amount: 100})
	if err != nil || op.Status != ledger.OpPendingReview || op.CaseID == "" {
		t.Fatalf("review: %+v %v", op, err)
	}
	wantBuckets(t, e, before)
	if w, _ := l.WalletBalance(ctx, Asset, Alice2); w.Balance != 0 {
		t.Errorf("parked transfer moved tokens")
	}
	s1, err := l.Settle(ctx, op.ID, true, "reviewer-1", "ok")
	if err != nil || s1.Status != ledger.OpApplied {
		t.Fatalf("settle: %+v %v", s1, err)
	}
	s2, err := l.Settle(ctx, op.ID, true, "reviewer-1", "ok")
	if err != nil || !s2.Replayed || s2.Status != ledger.OpApplied {
		t.Fatalf("settle twice: %+v %v", s2, err)
	}
	if w, _ := l.WalletBalance(ctx, Asset, Alice2); w.Balance != 100 {
		t.Errorf("after settle alice2 holds %d, want 100", w.Balance)
	}
	// Replaying the original key now returns the settled operation.
	if op3, _ := l.Transfer(ctx, ledger.TransferRequest{Meta: m("rev-1"), AssetID: Asset, From: Alice, To: Alice2, Amount: 100}); op3.Status != ledger.OpApplied {
		t.Errorf("replay after settle: %s", op3.Status)
	}
	// Rejected review: nothing moves.
	op, _ = l.Transfer(ctx, ledger.TransferRequest{Meta: m("rev-2"), AssetID: Asset, From: Alice, To: Alice2, Amount: 50})
	if s, err := l.Settle(ctx, op.ID, false, "reviewer-1", "no"); err != nil || s.Status != ledger.OpCancelled {
		t.Fatalf("reject: %+v %v", s, err)
	}
	// Approved but no longer possible: FAILED, nothing moves.
	op, _ = l.Transfer(ctx, ledger.TransferRequest{Meta: m("rev-3"), AssetID: Asset, From: Alice, To: Alice2, Amount: 900})
	must(t)(l.Transfer(ctx, ledger.TransferRequest{Meta: m("drain"), AssetID: Asset, From: Alice, To: Bob, Amount: 850}))
	if s, err := l.Settle(ctx, op.ID, true, "reviewer-1", "ok"); err != nil || s.Status != ledger.OpFailed {
		t.Fatalf("stale approve: %+v %v", s, err)
	}
	if w, _ := l.WalletBalance(ctx, Asset, Alice2); w.Balance != 100 {
		t.Errorf("alice2 holds %d, want 100", w.Balance)
	}
	if err := l.CheckInvariants(ctx, Asset); err != nil {
		t.Error(err)
	}
}

func testBadInput(t *testing.T, e *Env) {
	l := e.Ledger
	e.Fund(t, map[string]int64{Alice: 1000})
	before, _ := l.Buckets(ctx, Asset)
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"unknown asset", func() error {
			_, err := l.Mint(ctx, ledger.MintRequest{Meta: m("b1"), AssetID: "NOPE", Amount: 1})
			return err
		}, ledger.ErrNotFound},
		{"unknown investment", func() error {
			_, err := l.ConfirmInvestment(ctx, ledger.InvestmentRequest{Meta: m("b2"), AssetID: Asset, InvestmentID: "nope"})
			return err
		}, ledger.ErrNotFound},
		{"over balance", func() error {
			_, err := l.Transfer(ctx, ledger.TransferRequest{Meta: m("b3"), AssetID: Asset, From: Alice, To: Bob, Amount: 1001})
			return err
		}, ledger.ErrInsufficientBalance},
		{"burn over treasury", func() error {
			_, err := l.Burn(ctx, ledger.BurnRequest{Meta: m("b4"), AssetID: Asset, Amount: 1})
			return err
		}, ledger.ErrInsufficientBalance},
		{"zero amount", func() error {
			_, err := l.Mint(ctx, ledger.MintRequest{Meta: m("b5"), AssetID: Asset, Amount: 0})
			return err
		}, ledger.ErrInvalid},
		{"forced without reason", func() error {
			_, err := l.ForcedTransfer(ctx, ledger.ForcedTransferRequest{Meta: m("b6"), AssetID: Asset, From: Alice, To: Bob, Amount: 1})
			return err
		}, ledger.ErrInvalid},
		{"confirm cancelled", func() error {
			must(t)(l.Mint(ctx, ledger.MintRequest{Meta: m("b7m"), AssetID: Asset, Amount: 5}))
			must(t)(l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: m("b7r"), AssetID: Asset, InvestmentID: "x", InvestorID: "bob", Wallet: Bob, Amount: 5}))
			must(t)(l.CancelInvestment(ctx, ledger.InvestmentRequest{Meta: m("b7c"), AssetID: Asset, InvestmentID: "x"}))
			_, err := l.ConfirmInvestment(ctx, ledger.InvestmentRequest{Meta: m("b7"), AssetID: Asset, InvestmentID: "x"})
			return err
		}, ledger.ErrWrongState},
		{"wallet of another investor", func() error {
			_, err := l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: m("b8"), AssetID: Asset, InvestmentID: "y", InvestorID: "alice", Wallet: Bob, Amount: 1})
			return err
		}, ledger.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	before.Treasury += 5
	before.Total += 5
	wantBuckets(t, e, before)
}

func testDistribution(t *testing.T, e *Env) {
	l := e.Ledger
	must(t)(l.Mint(ctx, ledger.MintRequest{Meta: m("m"), AssetID: Asset, Amount: 10000}))
	reserve := func(id, investor, wallet string, amt int64) {
		must(t)(l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: m("r-" + id), AssetID: Asset, InvestmentID: id, InvestorID: investor, Wallet: wallet, Amount: amt}))
		must(t)(l.ConfirmInvestment(ctx, ledger.InvestmentRequest{Meta: m("c-" + id), AssetID: Asset, InvestmentID: id}))
	}
	reserve("i-alice", "alice", Alice, 100)
	reserve("i-bob", "bob", Bob, 200)
	reserve("i-carol", "carol", Carol, 300) // investor PENDING
	// Batch: one failing prerequisite, nothing executes.
	_, err := l.DistributeBatch(ctx, Asset, "batch-1", "tester")
	var pe *ledger.PrerequisiteError
	if !errors.As(err, &pe) || len(pe.Failures) != 1 || pe.Failures[0].InvestmentID != "i-carol" {
		t.Fatalf("batch prerequisites: %v", err)
	}
	wantBuckets(t, e, ledger.Buckets{Treasury: 9400, Confirmed: 600, Total: 10000})
	// Individual: carol fails alone with details.
	if _, err := l.DistributeInvestment(ctx, ledger.InvestmentRequest{Meta: m("d-carol"), AssetID: Asset, InvestmentID: "i-carol"}); !errors.Is(err, ledger.ErrPrerequisites) {
		t.Fatalf("individual carol: %v", err)
	}
	inv, _ := l.Investment(ctx, Asset, "i-carol")
	if inv.Status != ledger.InvDistributionFailed || inv.Failure == "" {
		t.Errorf("carol: %+v", inv)
	}
	must(t)(l.CancelInvestment(ctx, ledger.InvestmentRequest{Meta: m("x-carol"), AssetID: Asset, InvestmentID: "i-carol"}))
	// Bob's delivery is denied: only bob fails.
	e.Clearer.Script(Rule{Action: policies.ActionDistribution, Wallet: Bob, Effect: policies.Deny, Reasons: []policies.Reason{{Code: "RECIPIENT_NOT_ELIGIBLE"}}})
	res, err := l.DistributeBatch(ctx, Asset, "batch-2", "tester")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Operations) != 2 || res.Errors["i-bob"] == "" {
		t.Fatalf("batch: %+v", res)
	}
	a, _ := l.Investment(ctx, Asset, "i-alice")
	b, _ := l.Investment(ctx, Asset, "i-bob")
	if a.Status != ledger.InvDistributed || b.Status != ledger.InvDistributionFailed || len(b.FailureReasons) == 0 {
		t.Errorf("alice %s, bob %s %+v", a.Status, b.Status, b.FailureReasons)
	}
	// Replaying the batch distributes nothing twice.
	if _, err := l.DistributeBatch(ctx, Asset, "batch-2", "tester"); err != nil {
		t.Fatal(err)
	}
	// Retry bob once the gateway allows; retry of a distributed one replays.
	e.Clearer.Script()
	must(t)(l.DistributeInvestment(ctx, ledger.InvestmentRequest{Meta: m("d-bob-2"), AssetID: Asset, InvestmentID: "i-bob"}))
	op := must(t)(l.DistributeInvestment(ctx, ledger.InvestmentRequest{Meta: m("d-bob-3"), AssetID: Asset, InvestmentID: "i-bob"}))
	if !op.Replayed {
		t.Errorf("retry of distributed investment was not a replay")
	}
	wantBuckets(t, e, ledger.Buckets{Treasury: 9700, Distributed: 300, Total: 10000})
	// A review parks the distribution IN_DISTRIBUTION until settled.
	reserve("i-bob-2", "bob", Bob, 50)
	e.Clearer.Script(Rule{Action: policies.ActionDistribution, Effect: policies.Review})
	op = must(t)(l.DistributeInvestment(ctx, ledger.InvestmentRequest{Meta: m("d-bob2"), AssetID: Asset, InvestmentID: "i-bob-2"}))
	if inv, _ := l.Investment(ctx, Asset, "i-bob-2"); op.Status != ledger.OpPendingReview || inv.Status != ledger.InvInDistribution {
		t.Fatalf("review: %s %s", op.Status, inv.Status)
	}
	if _, err := l.Settle(ctx, op.ID, false, "rv", "no"); err != nil {
		t.Fatal(err)
	}
	if inv, _ := l.Investment(ctx, Asset, "i-bob-2"); inv.Status != ledger.InvDistributionFailed {
		t.Errorf("after rejection: %s", inv.Status)
	}
	wantBuckets(t, e, ledger.Buckets{Treasury: 9650, Confirmed: 50, Distributed: 300, Total: 10000})
}

func testFreezePause(t *testing.T, e *Env) {
	l := e.Ledger
	e.Fund(t, map[string]int64{Alice: 1000, Bob: 10})
	must(t)(l.FreezeWallet(ctx, ledger.FreezeRequest{Meta: m("f1"), AssetID: Asset, Wallet: Alice, Amount: 500, Reason: "court order"}))
	if _, err := l.Transfer(ctx, ledger.TransferRequest{Meta: m("t1"), AssetID: Asset, From: Alice, To: Bob, Amount: 501}); !errors.Is(err, ledger.ErrInsufficientBalance) {
		t.Errorf("partial freeze: %v", err)
	}
	must(t)(l.Transfer(ctx, ledger.TransferRequest{Meta: m("t2"), AssetID: Asset, From: Alice, To: Bob, Amount: 400}))
	must(t)(l.FreezeWallet(ctx, ledger.FreezeRequest{Meta: m("f2"), AssetID: Asset, Wallet: Bob}))
	if _, err := l.Transfer(ctx, ledger.TransferRequest{Meta: m("t3"), AssetID: Asset, From: Bob, To: Alice, Amount: 1}); !errors.Is(err, ledger.ErrFrozen) {
		t.Errorf("frozen sender: %v", err)
	}
	if _, err := l.Transfer(ctx, ledger.TransferRequest{Meta: m("t4"), AssetID: Asset, From: Alice, To: Bob, Amount: 1}); !errors.Is(err, ledger.ErrFrozen) {
		t.Errorf("frozen recipient: %v", err)
	}
	must(t)(l.UnfreezeWallet(ctx, ledger.FreezeRequest{Meta: m("u2"), AssetID: Asset, Wallet: Bob}))
	must(t)(l.Transfer(ctx, ledger.TransferRequest{Meta: m("t5"), AssetID: Asset, From: Bob, To: Alice, Amount: 1}))
	must(t)(l.Pause(ctx, ledger.PauseRequest{Meta: m("p1"), AssetID: Asset, Actions: []string{"TRANSFER"}}))
	if _, err := l.Transfer(ctx, ledger.TransferRequest{Meta: m("t6"), AssetID: Asset, From: Bob, To: Alice, Amount: 1}); !errors.Is(err, ledger.ErrPaused) {
		t.Errorf("paused: %v", err)
	}
	must(t)(l.Mint(ctx, ledger.MintRequest{Meta: m("m-p"), AssetID: Asset, Amount: 1}))
	must(t)(l.Unpause(ctx, ledger.PauseRequest{Meta: m("p2"), AssetID: Asset, Actions: []string{"TRANSFER"}}))
	must(t)(l.Transfer(ctx, ledger.TransferRequest{Meta: m("t7"), AssetID: Asset, From: Bob, To: Alice, Amount: 1}))
	wantBuckets(t, e, ledger.Buckets{Treasury: 1, Distributed: 1010, Total: 1011})
}

func testRecoveryForced(t *testing.T, e *Env) {
	l := e.Ledger
	e.Fund(t, map[string]int64{Alice: 500})
	e.Clock.Advance(48 * time.Hour)
	e.Fund(t, map[string]int64{Alice: 300})
	before, _ := l.WalletBalance(ctx, Asset, Alice)
	must(t)(l.FreezeWallet(ctx, ledger.FreezeRequest{Meta: m("f"), AssetID: Asset, Wallet: Alice}))
	op := must(t)(l.RecoverWallet(ctx, ledger.RecoverRequest{Meta: m("rec"), AssetID: Asset, LostWallet: Alice, NewWallet: Alice2, Reason: "lost keys"}))
	after, _ := l.WalletBalance(ctx, Asset, Alice2)
	if diff := cmp.Diff(before.Lots, after.Lots); diff != "" || after.Balance != 800 {
		t.Errorf("lots did not carry over (-want +got):\n%s", diff)
	}
	if op.Status != ledger.OpApplied {
		t.Errorf("recovery %s", op.Status)
	}
	if _, err := l.RecoverWallet(ctx, ledger.RecoverRequest{Meta: m("rec2"), AssetID: Asset, LostWallet: Alice2, NewWallet: Bob}); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("recovery to another investor: %v", err)
	}
	must(t)(l.FreezeWallet(ctx, ledger.FreezeRequest{Meta: m("f2"), AssetID: Asset, Wallet: Alice2}))
	must(t)(l.ForcedTransfer(ctx, ledger.ForcedTransferRequest{Meta: m("ft"), AssetID: Asset, From: Alice2, To: Bob, Amount: 100, Reason: "court order 12"}))
	if w, _ := l.WalletBalance(ctx, Asset, Bob); w.Balance != 100 {
		t.Errorf("forced transfer: bob %d", w.Balance)
	}
	calls := e.Clearer.Calls()
	if last := calls[len(calls)-1]; last.Action != policies.ActionForcedTransfer {
		t.Errorf("forced transfer cleared as %s", last.Action)
	}
	wantBuckets(t, e, ledger.Buckets{Distributed: 800, Total: 800})
}

func testHoldings(t *testing.T, e *Env) {
	reg := NewRegistry(t, 10)
	l, err := ledger.New(e.Store, reg, e.Clearer, ledger.Options{Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.Ledger = l
	e.Fund(t, map[string]int64{Alice: 500, Bob: 70})
	e.Clock.Advance(5 * 24 * time.Hour)
	e.Fund(t, map[string]int64{Alice2: 200})
	if _, err := l.ReportBalance(ctx, ledger.BalanceReport{Chain: "evm", AssetID: Asset, Wallet: Alice2, Balance: 50, ObservedAt: Start, Block: 10}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := l.ReportBalance(ctx, ledger.BalanceReport{Chain: "evm", AssetID: Asset, Wallet: Alice2, Balance: 0, Block: 9}); ok {
		t.Errorf("stale report accepted")
	}
	at := Start.Add(11 * 24 * time.Hour) // first lots unlocked, second locked
	hf, err := l.Holding(ctx, Asset, Alice2, []string{Alice, Alice2}, at)
	if err != nil {
		t.Fatal(err)
	}
	want := policies.HoldingFacts{WalletBalance: 250, Unlocked: 50, NextUnlockAt: Start.Add(15 * 24 * time.Hour).Unix(), InvestorBalance: 750, IsHolder: true}
	if diff := cmp.Diff(want, hf); diff != "" {
		t.Errorf("holding (-want +got):\n%s", diff)
	}
	total, byJur, err := l.HolderCounts(ctx, Asset)
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || !cmp.Equal(byJur, map[string]int64{"CH": 1, "DE": 1}) {
		t.Errorf("holder counts %d %v", total, byJur)
	}
	if held, _ := l.Held(ctx, Asset, Bob); held {
		t.Errorf("held before exception")
	}
	x, err := l.RecordException(ctx, ledger.Exception{AssetID: Asset, Wallet: Bob, Chain: "evm", Item: "balance", Expected: "70", Observed: "60", Difference: "-10"})
	if err != nil {
		t.Fatal(err)
	}
	if held, _ := l.Held(ctx, Asset, Bob); !held {
		t.Errorf("not held with an open exception")
	}
	if open, _ := l.Exceptions(ctx, Asset, ledger.ExceptionOpen, "", 0); len(open) != 1 {
		t.Errorf("open exceptions %d", len(open))
	}
	if _, err := l.ResolveException(ctx, x.ID, "ops", "fixed"); err != nil {
		t.Fatal(err)
	}
	if held, _ := l.Held(ctx, Asset, Bob); held {
		t.Errorf("held after resolve")
	}
	if ok, err := l.ReportTransfer(ctx, ledger.ObservedTransfer{Chain: "evm", AssetID: Asset, From: Alice, To: Bob, Amount: 5, TxRef: "0xabc:1", Block: 11, ViaProxy: true, DecisionID: "dec-x"}); !ok || err != nil {
		t.Errorf("report transfer %v %v", ok, err)
	}
	if ok, _ := l.ReportTransfer(ctx, ledger.ObservedTransfer{Chain: "evm", AssetID: Asset, TxRef: "0xabc:1"}); ok {
		t.Errorf("duplicate transfer recorded")
	}
}

func testEventsLog(t *testing.T, e *Env) {
	l := e.Ledger
	e.Fund(t, map[string]int64{Alice: 10, Bob: 10})
	for i := range 5 {
		must(t)(l.Transfer(ctx, ledger.TransferRequest{Meta: m(fmt.Sprint("t", i)), AssetID: Asset, From: Alice, To: Bob, Amount: 1}))
	}
	var all []ledger.Event
	var after int64
	for {
		page, next, err := l.Events(ctx, Asset, "", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == 0 {
			break
		}
		after = next
	}
	if len(all) < 12 {
		t.Fatalf("events: %d", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq || all[i].PrevHash != all[i-1].Hash {
			t.Fatalf("events out of order or unlinked at %d", i)
		}
	}
	ev, _, err := l.Events(ctx, Asset, Alice, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var transfers int
	for _, x := range ev {
		if x.From != Alice && x.To != Alice {
			t.Errorf("wallet filter returned %+v", x)
		}
		if x.Type == ledger.EvTransfer {
			transfers++
			if x.DecisionID == "" || x.IdempotencyKey == "" || x.Actor != "tester" {
				t.Errorf("transfer event missing fields: %+v", x)
			}
		}
	}
	if transfers != 5 {
		t.Errorf("alice transfers %d", transfers)
	}
	res, err := l.Verify(ctx)
	if err != nil || !res.OK || res.Events != int64(len(all)) {
		t.Errorf("verify: %+v %v", res, err)
	}
}

func testConcurrency(t *testing.T, e *Env) {
	l := e.Ledger
	e.Fund(t, map[string]int64{Alice: 1000, Alice2: 1000, Bob: 1000})
	wallets := []string{Alice, Alice2, Bob}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, insufficient int
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				from, to := wallets[(g+i)%3], wallets[(g+i+1)%3]
				_, err := l.Transfer(ctx, ledger.TransferRequest{Meta: m(fmt.Sprintf("cc-%d-%d", g, i)), AssetID: Asset, From: from, To: to, Amount: int64(150 + 10*g)})
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, ledger.ErrInsufficientBalance):
					insufficient++
				default:
					t.Errorf("transfer: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok == 0 {
		t.Errorf("no transfer succeeded")
	}
	var sum int64
	for _, w := range wallets {
		h, _ := l.WalletBalance(ctx, Asset, w)
		if h.Balance < 0 {
			t.Errorf("%s overdrawn: %d", w, h.Balance)
		}
		sum += h.Balance
	}
	if sum != 3000 {
		t.Errorf("supply not conserved: %d", sum)
	}
	wantBuckets(t, e, ledger.Buckets{Distributed: 3000, Total: 3000})
	if res, err := l.Verify(ctx); err != nil || !res.OK {
		t.Errorf("verify: %+v %v", res, err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func testRevenue(t *testing.T, e *Env) {
	l := e.Ledger
	e.Fund(t, map[string]int64{Alice: 2000, Alice2: 1500, Bob: 500}) // 4000 shares... plus none else
	t0 := e.Clock.Now()
	rd, err := l.CreateRound(ctx, ledger.CreateRoundRequest{Meta: m("rc1"), AssetID: Asset, Token: "USDC", Amount: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Commission != 50 || rd.TotalAmount != 9950 || rd.TotalShares != 4000 || !rd.ClaimableFrom.Equal(t0.Add(time.Hour)) {
		t.Fatalf("round: %+v", rd)
	}
	// Shares are snapshotted: a transfer after the record date changes nothing.
	must(t)(l.Transfer(ctx, ledger.TransferRequest{Meta: m("tx-after"), AssetID: Asset, From: Bob, To: Alice, Amount: 500}))
	e.Clock.Set(t0.Add(43199 * time.Second))
	_, err = l.CreateRound(ctx, ledger.CreateRoundRequest{Meta: m("rc2"), AssetID: Asset, Token: "USDC", Amount: 10})
	wantErr(t, "too soon", err, ledger.ErrDistributionTooSoon)
	e.Clock.Set(t0.Add(3599 * time.Second))
	_, err = l.Claim(ctx, ledger.ClaimRequest{Meta: m("cl0"), AssetID: Asset, RoundID: rd.ID, Wallet: Alice})
	wantErr(t, "claims not open", err, ledger.ErrClaimsNotOpenYet)
	e.Clock.Set(t0.Add(3600 * time.Second))
	cl, err := l.Claim(ctx, ledger.ClaimRequest{Meta: m("cl1"), AssetID: Asset, RoundID: rd.ID, Wallet: Alice})
	if err != nil || cl.Status != ledger.ClaimClaimed || cl.Amount != 4975 {
		t.Fatalf("claim alice: %+v %v", cl, err)
	}
	_, err = l.Claim(ctx, ledger.ClaimRequest{Meta: m("cl1b"), AssetID: Asset, RoundID: rd.ID, Wallet: Alice})
	wantErr(t, "second claim", err, ledger.ErrAlreadyClaimed)
	if again, _ := l.Claim(ctx, ledger.ClaimRequest{Meta: m("cl1"), AssetID: Asset, RoundID: rd.ID, Wallet: Alice}); !again.Replayed || again.Amount != 4975 {
		t.Errorf("claim replay: %+v", again)
	}
	// Floor: 1500/4000 * 9950 = 3731.25 -> 3731.
	cl, _ = l.Claim(ctx, ledger.ClaimRequest{Meta: m("cl2"), AssetID: Asset, RoundID: rd.ID, Wallet: Alice2})
	if cl.Amount != 3731 {
		t.Errorf("floor: %d", cl.Amount)
	}
	// A denied holder is withheld, then released once reinstated.
	e.Clearer.Script(Rule{Action: policies.ActionDistribution, Wallet: Bob, Effect: policies.Deny, Reasons: []policies.Reason{{Code: "SANCTIONS_FLAGGED"}}})
	cl, err = l.Claim(ctx, ledger.ClaimRequest{Meta: m("cl3"), AssetID: Asset, RoundID: rd.ID, Wallet: Bob})
	if err != nil || cl.Status != ledger.ClaimWithheld || cl.Reasons[0].Code != "SANCTIONS_FLAGGED" {
		t.Fatalf("withheld: %+v %v", cl, err)
	}
	e.Clearer.Script()
	cl, err = l.Claim(ctx, ledger.ClaimRequest{Meta: m("cl4"), AssetID: Asset, RoundID: rd.ID, Wallet: Bob})
	if err != nil || cl.Status != ledger.ClaimClaimed || cl.Amount != 1243 {
		t.Fatalf("released: %+v %v", cl, err)
	}
	got, _ := l.Round(ctx, Asset, rd.ID)
	if got.TotalClaimed != 4975+3731+1243 || got.TotalClaimed > got.TotalAmount {
		t.Errorf("total_claimed %d", got.TotalClaimed)
	}
	_, err = l.ReclaimRound(ctx, ledger.ReclaimRequest{Meta: m("rr0"), AssetID: Asset, RoundID: rd.ID})
	wantErr(t, "reclaim early", err, ledger.ErrRoundNotExpired)
	e.Clock.Set(rd.ExpiresAt)
	_, err = l.Claim(ctx, ledger.ClaimRequest{Meta: m("cl5"), AssetID: Asset, RoundID: rd.ID, Wallet: Alice2})
	wantErr(t, "expired", err, ledger.ErrRoundExpired)
	got, err = l.ReclaimRound(ctx, ledger.ReclaimRequest{Meta: m("rr1"), AssetID: Asset, RoundID: rd.ID})
	if err != nil || got.Reclaimed != 1 {
		t.Fatalf("reclaim dust: %+v %v", got, err)
	}
	_, err = l.ReclaimRound(ctx, ledger.ReclaimRequest{Meta: m("rr2"), AssetID: Asset, RoundID: rd.ID})
	wantErr(t, "reclaim twice", err, ledger.ErrNothingToReclaim)

	// Schedules.
	_, err = l.TriggerSchedule(ctx, ledger.AssetRequest{Meta: m("tr0"), AssetID: Asset})
	wantErr(t, "not configured", err, ledger.ErrScheduleNotConfigured)
	first := e.Clock.Now().Add(24 * time.Hour)
	_, err = l.SetSchedule(ctx, ledger.ScheduleRequest{Meta: m("ss0"), AssetID: Asset, First: first, Interval: 60, Total: 2, Token: "USDC", Amount: 100})
	wantErr(t, "interval below min_interval", err, ledger.ErrInvalidScheduleConfig)
	if _, err := l.SetSchedule(ctx, ledger.ScheduleRequest{Meta: m("ss1"), AssetID: Asset, First: first, Interval: 86400, Total: 2, Token: "USDC", Amount: 100}); err != nil {
		t.Fatal(err)
	}
	_, err = l.TriggerSchedule(ctx, ledger.AssetRequest{Meta: m("tr1"), AssetID: Asset})
	wantErr(t, "not due", err, ledger.ErrScheduledDistributionNotDue)
	for i := range 2 {
		e.Clock.Set(first.Add(time.Duration(i) * 24 * time.Hour))
		if _, err := l.TriggerSchedule(ctx, ledger.AssetRequest{Meta: m(fmt.Sprint("tr-ok-", i)), AssetID: Asset}); err != nil {
			t.Fatalf("trigger %d: %v", i, err)
		}
	}
	e.Clock.Advance(24 * time.Hour)
	_, err = l.TriggerSchedule(ctx, ledger.AssetRequest{Meta: m("tr3"), AssetID: Asset})
	wantErr(t, "completed", err, ledger.ErrScheduleCompleted)
	if _, err := l.DisableSchedule(ctx, ledger.AssetRequest{Meta: m("off"), AssetID: Asset}); err != nil {
		t.Fatal(err)
	}
	_, err = l.TriggerSchedule(ctx, ledger.AssetRequest{Meta: m("tr4"), AssetID: Asset})
	wantErr(t, "disabled", err, ledger.ErrScheduleNotEnabled)
	if rounds, _ := l.Rounds(ctx, Asset, 0, 0); len(rounds) != 3 {
		t.Errorf("rounds: %d", len(rounds))
	}
	// V1 push: all or nothing.
	e.Fund(t, map[string]int64{Bob: 10})
	e.Clearer.Script(Rule{Action: policies.ActionDistribution, Wallet: Bob, Effect: policies.Deny})
	before, _ := l.RevenueBalance(ctx, Asset, "EUR", Alice)
	if _, err := l.PushRevenue(ctx, ledger.PushRequest{Meta: m("push1"), AssetID: Asset, Token: "EUR", Amount: 1000}); !errors.Is(err, ledger.ErrRejected) {
		t.Errorf("push with a denied holder: %v", err)
	}
	if after, _ := l.RevenueBalance(ctx, Asset, "EUR", Alice); after != before {
		t.Errorf("push paid despite a denial")
	}
	e.Clearer.Script()
	pr, err := l.PushRevenue(ctx, ledger.PushRequest{Meta: m("push2"), AssetID: Asset, Token: "EUR", Amount: 1000})
	if err != nil || pr.Commission != 5 || pr.TotalPaid > 995 || len(pr.Payments) != 3 {
		t.Errorf("push: %+v %v", pr, err)
	}
	evs, _, _ := l.Events(ctx, Asset, "", 0, 1000)
	seen := map[string]bool{}
	for _, ev := range evs {
		seen[ev.Type] = true
	}
	for _, typ := range []string{"dist_created", "claimed", "schedule_set", "sched_off", "sched_dist", "reclaimed"} {
		if !seen[typ] {
			t.Errorf("no %s event", typ)
		}
	}
}
