package evm

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/google/go-cmp/cmp"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/reconcile"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

var _ reconcile.ChainBalances = (*BalanceSource)(nil)

// allowBob allows movements to bob and mints, denies the rest.
func allowTo(allowed ...*string) sidecartest.Script {
	return func(c *gatewayv1.CheckRequest) *gatewayv1.Verdict {
		if c.GetAction() == gatewayv1.Action_ISSUANCE {
			return sidecartest.Allow()
		}
		for _, a := range allowed {
			if c.GetToWallet() == *a {
				return sidecartest.Allow()
			}
		}
		return sidecartest.Deny("RECIPIENT_NOT_ELIGIBLE")
	}
}

func (s *stack) mint(t testing.TB, to common.Address, amount int64) {
	t.Helper()
	tx, err := s.transact(t, s.wallet, s.agent, "mint", to, big.NewInt(amount))
	if err != nil {
		t.Fatalf("mint: %v", err)
	}
	s.mustMine(t, tx)
}

func TestProxyBatchCalls(t *testing.T) {
	var bob, carol string
	s := newStack(t, allowTo(&bob, &carol), "alice", "bob", "carol", "eve")
	bob, carol = addr(s.addr("bob")), addr(s.addr("carol"))
	s.mint(t, s.addr("alice"), 1000)
	if err := s.watcher.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}

	// One ineligible recipient denies the whole batch.
	_, err := s.transact(t, s.wallet, s.keys["alice"], "batchTransfer",
		[]common.Address{s.addr("bob"), s.addr("eve")}, []*big.Int{big.NewInt(1), big.NewInt(2)})
	code, errData := rpcErr(t, err)
	if code != CodeDenied {
		t.Fatalf("code = %d, want %d", code, CodeDenied)
	}
	if items, _ := errData["items"].([]any); len(items) != 2 {
		t.Errorf("items = %v, want 2", errData["items"])
	}
	s.sim.Commit()
	if got := s.balance(t, s.addr("bob")); got != 0 {
		t.Fatalf("bob = %d after a denied batch", got)
	}

	tx, err := s.transact(t, s.wallet, s.keys["alice"], "batchTransfer",
		[]common.Address{s.addr("bob"), s.addr("carol")}, []*big.Int{big.NewInt(5), big.NewInt(6)})
	if err != nil {
		t.Fatalf("allowed batch: %v", err)
	}
	s.mustMine(t, tx)
	if b, c := s.balance(t, s.addr("bob")), s.balance(t, s.addr("carol")); b != 5 || c != 6 {
		t.Fatalf("balances bob %d carol %d, want 5 and 6", b, c)
	}
	reqs := s.gw.Requests()
	ids := []string{reqs[len(reqs)-2].GetRequestId(), reqs[len(reqs)-1].GetRequestId()}
	if diff := cmp.Diff([]string{tx.Hash().Hex() + "#0", tx.Hash().Hex() + "#1"}, ids); diff != "" {
		t.Errorf("batch request ids (-want +got):\n%s", diff)
	}
	s.sim.Commit()
	s.sim.Commit()
	if err := s.watcher.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	fwd, _ := s.proxy.Forwarded(tx.Hash().Hex())
	var got []string
	for _, tr := range s.rep.Transfers() {
		if tr.TxHash == tx.Hash().Hex() {
			got = append(got, tr.DecisionID)
		}
	}
	if diff := cmp.Diff(fwd, got); diff != "" || len(got) != 2 {
		t.Errorf("decision ids of the batch's transfers (-forwarded +reported):\n%s", diff)
	}

	// An amount beyond int64 is refused before the gateway is asked.
	huge := new(big.Int).Lsh(big.NewInt(1), 70)
	before := len(s.gw.Requests())
	data, err := s.tokenABI.Pack("transfer", s.addr("bob"), huge)
	if err != nil {
		t.Fatal(err)
	}
	err = s.wallet.SendTransaction(t.Context(), s.signCall(t, "alice", data))
	if code, _ := rpcErr(t, err); code != CodeInvalid {
		t.Errorf("huge amount: code %d, want %d", code, CodeInvalid)
	}
	if n := len(s.gw.Requests()); n != before {
		t.Errorf("gateway asked %d times for an out-of-range amount", n-before)
	}
}

// post sends a raw JSON-RPC body to the proxy.
func (s *stack) post(t testing.TB, body []byte) (int, []byte) {
	t.Helper()
	srv := httptest.NewServer(s.proxy)
	defer srv.Close()
	res, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, buf.Bytes()
}

func TestProxyJSONRPCBatchAndLimits(t *testing.T) {
	s := newStack(t, allowTo(), "alice", "bob")
	s.mint(t, s.addr("alice"), 100)
	signed := s.signTransfer(t, "alice", s.addr("bob"), 10)
	raw, err := signed.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	batch := `[{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]},` +
		`{"jsonrpc":"2.0","id":2,"method":"eth_sendRawTransaction","params":["` + hexutil.Encode(raw) + `"]},` +
		`{"jsonrpc":"2.0","method":"eth_blockNumber","params":[]},` +
		`{"jsonrpc":"2.0","id":3,"method":"eth_getBalance","params":["` + s.addr("bob").Hex() + `","latest"]}]`
	code, body := s.post(t, []byte(batch))
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var out []struct {
		ID     int             `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(out) != 3 { // the notification gets no answer
		t.Fatalf("got %d responses: %s", len(out), body)
	}
	if out[0].ID != 1 || string(out[0].Result) != `"0x539"` {
		t.Errorf("eth_chainId passed through as %s", body)
	}
	if out[1].ID != 2 || out[1].Error == nil || out[1].Error.Code != CodeDenied {
		t.Errorf("send in a batch: %s", body)
	}
	if out[2].ID != 3 || out[2].Error != nil {
		t.Errorf("eth_getBalance: %s", body)
	}
	s.sim.Commit()
	if got := s.balance(t, s.addr("bob")); got != 0 {
		t.Errorf("denied batch item reached the chain: bob = %d", got)
	}

	code, _ = s.post(t, []byte(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["`+strings.Repeat("a", int(s.cfg.MaxBodyBytes))+`"]}`))
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", code)
	}
	code, body = s.post(t, []byte(`{"jsonrpc":"2.0","id":9,"method":"eth_sendRawTransaction","params":["0xdeadbeef"]}`))
	if code != http.StatusOK || !strings.Contains(string(body), `"code":-32004`) {
		t.Errorf("undecodable raw tx: %d %s", code, body)
	}

	// A plain ether transfer moves no token: it passes through.
	nonce, _ := s.direct.PendingNonceAt(t.Context(), s.addr("alice"))
	head, _ := s.direct.HeaderByNumber(t.Context(), nil)
	bob := s.addr("bob")
	eth, err := types.SignNewTx(s.keys["alice"], types.LatestSignerForChainID(big.NewInt(simChainID)), &types.DynamicFeeTx{
		ChainID: big.NewInt(simChainID), Nonce: nonce, GasTipCap: big.NewInt(params.GWei),
		GasFeeCap: new(big.Int).Add(big.NewInt(params.GWei), new(big.Int).Mul(head.BaseFee, big.NewInt(2))), Gas: 21000, To: &bob, Value: big.NewInt(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.wallet.SendTransaction(t.Context(), eth); err != nil {
		t.Fatalf("ether transfer: %v", err)
	}
	s.mustMine(t, eth)
	if got := s.counter(t, "passthrough"); got != 1 {
		t.Errorf("passthrough = %v, want 1", got)
	}
}

func TestProxyFailsClosedOnSlowGateway(t *testing.T) {
	s := newStack(t, allowTo(), "alice", "bob")
	s.proxy.runner = mustRunner(t, s, 100*time.Millisecond)
	s.mint(t, s.addr("alice"), 100)
	s.gw.SetHang(true)
	err := s.wallet.SendTransaction(t.Context(), s.signTransfer(t, "alice", s.addr("bob"), 1))
	if code, data := rpcErr(t, err); code != CodeFailedClosed || data["retryable"] != true {
		t.Errorf("code %d data %v, want %d retryable", code, data, CodeFailedClosed)
	}
	s.sim.Commit()
	if got := s.balance(t, s.addr("bob")); got != 0 {
		t.Errorf("bob = %d with a hung gateway", got)
	}
}

func mustRunner(t testing.TB, s *stack, timeout time.Duration) *sidecar.Runner {
	t.Helper()
	cfg := s.cfg.Gateway
	cfg.Timeout, cfg.Retries = timeout, 0
	r, err := sidecar.NewRunner(s.gw.Client(), cfg, nil, s.reg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWatcherSurvivesReorg(t *testing.T) {
	var bob string
	s := newStack(t, allowTo(&bob), "alice", "bob")
	bob = addr(s.addr("bob"))
	s.mint(t, s.addr("alice"), 100)
	if err := s.watcher.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	parent, err := s.direct.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.transact(t, s.wallet, s.keys["alice"], "transfer", s.addr("bob"), big.NewInt(10))
	if err != nil {
		t.Fatal(err)
	}
	s.mustMine(t, tx)
	if err := s.watcher.Poll(t.Context()); err != nil { // the block is seen, unconfirmed
		t.Fatal(err)
	}
	// Replace the block with a longer side chain from its parent.
	if err := s.sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		s.sim.Commit()
	}
	if err := s.watcher.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s.sim.Commit()
	}
	if err := s.watcher.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := s.watcher.Stats()
	if st.RolledBack == 0 {
		t.Errorf("no block rolled back: %+v", st)
	}
	if st.DeepReorgs != 0 {
		t.Errorf("deep reorgs = %d", st.DeepReorgs)
	}
	// Whatever was reported is on the canonical chain, and reported once.
	seen := map[string]int{}
	for _, tr := range s.rep.Transfers() {
		seen[tr.TxHash]++
		h, err := s.direct.HeaderByNumber(t.Context(), new(big.Int).SetUint64(tr.BlockNumber))
		if err != nil {
			t.Fatal(err)
		}
		if h.Hash().Hex() != tr.BlockHash {
			t.Errorf("transfer %s reported from non-canonical block %d %s", tr.TxHash, tr.BlockNumber, tr.BlockHash)
		}
	}
	for h, n := range seen {
		if n != 1 {
			t.Errorf("tx %s reported %d times", h, n)
		}
	}
	// The chain and the reports agree on bob.
	var reported int64
	for _, tr := range s.rep.Transfers() {
		if tr.To == bob {
			a, _ := new(big.Int).SetString(tr.Amount, 10)
			reported += a.Int64()
		}
	}
	if got := s.balance(t, s.addr("bob")); got != reported {
		t.Errorf("bob on chain %d, reported %d", got, reported)
	}
}

func TestRegistrySyncIsIdempotent(t *testing.T) {
	s := newStack(t, allowTo(), "bob", "carol")
	s.gw.SetEligibility(func(r *gatewayv1.GetEligibilityRequest) *gatewayv1.Eligibility {
		return &gatewayv1.Eligibility{CanReceive: r.GetWallet() == addr(s.addr("bob"))}
	})
	cfg := s.cfg
	cfg.RegistrySync = RegistrySyncConfig{Enabled: true, Contract: s.registry.Hex(), KeyEnv: "TEST_SYNC_KEY", AssetID: "FS-1", Interval: time.Minute}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rs, err := NewRegistrySync(cfg, s.direct, s.agent, nil)
	if err != nil {
		t.Fatal(err)
	}
	wallets := []common.Address{s.addr("bob"), s.addr("carol")}
	sent, err := rs.SyncWallets(t.Context(), s.gw.Client(), wallets)
	if err != nil || len(sent) != 1 {
		t.Fatalf("first sync sent %d (%v), want 1 (bob)", len(sent), err)
	}
	s.mustMine(t, sent[0])
	for _, tc := range []struct {
		who  common.Address
		want bool
	}{{s.addr("bob"), true}, {s.addr("carol"), false}} {
		if got, err := rs.IsEligible(t.Context(), tc.who); err != nil || got != tc.want {
			t.Errorf("isEligible(%s) = %v, %v; want %v", tc.who.Hex(), got, err, tc.want)
		}
	}
	if sent, err := rs.SyncWallets(t.Context(), s.gw.Client(), wallets); err != nil || len(sent) != 0 {
		t.Errorf("second sync sent %d (%v), want 0", len(sent), err)
	}
	// Revocation mirrors too.
	s.gw.SetEligibility(func(*gatewayv1.GetEligibilityRequest) *gatewayv1.Eligibility { return &gatewayv1.Eligibility{} })
	sent, err = rs.SyncWallets(t.Context(), s.gw.Client(), wallets)
	if err != nil || len(sent) != 1 {
		t.Fatalf("revocation sent %d (%v), want 1", len(sent), err)
	}
	s.mustMine(t, sent[0])
	if got, _ := rs.IsEligible(t.Context(), s.addr("bob")); got {
		t.Error("bob still eligible after revocation")
	}
}

func TestReconcileAgainstChain(t *testing.T) {
	s := newStack(t, allowTo(), "alice", "bob")
	s.mint(t, s.addr("alice"), 500)
	alice, bob := addr(s.addr("alice")), addr(s.addr("bob"))
	s.rep.SetHolding("evm", "FS-1", alice, "500")
	s.rep.SetHolding("evm", "FS-1", bob, "20") // Clearance believes bob holds 20; the chain says 0
	src, err := NewBalanceSource(s.cfg, s.direct)
	if err != nil {
		t.Fatal(err)
	}
	rc := s.cfg.Reconcile
	rc.Chain = s.cfg.Chain
	r, err := reconcile.New(rc, s.rep, src, reconcile.StaticTargets{{AssetID: "FS-1", Wallet: alice}, {AssetID: "FS-1", Wallet: bob}}, s.rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.RunOnce(t.Context())
	if err != nil || len(got.Errors) != 0 {
		t.Fatal(err, got.Errors)
	}
	want := []reconcile.Mismatch{{Target: reconcile.Target{AssetID: "FS-1", Wallet: bob}, Expected: "20", Observed: "0", Difference: "-20", ExceptionID: "exc-1"}}
	if diff := cmp.Diff(want, got.Mismatches); diff != "" {
		t.Errorf("mismatches (-want +got):\n%s", diff)
	}
	if err := r.Resolve(t.Context(), "exc-1", "ops", "ledger corrected after investigation"); err != nil {
		t.Fatal(err)
	}
	open, _ := s.rep.ListExceptions(t.Context(), sidecar.ExceptionFilter{Status: sidecar.ExceptionOpen})
	if len(open) != 0 {
		t.Errorf("open exceptions after resolution: %+v", open)
	}
}

func TestProxySendTransaction(t *testing.T) {
	var bob string
	s := newStack(t, allowTo(&bob), "alice", "bob", "carol")
	bob = addr(s.addr("bob"))
	send := func(to common.Address) []byte {
		data, err := s.tokenABI.Pack("transfer", to, big.NewInt(3))
		if err != nil {
			t.Fatal(err)
		}
		req := map[string]any{"jsonrpc": "2.0", "id": 5, "method": "eth_sendTransaction", "params": []any{map[string]any{
			"from": s.addr("alice").Hex(), "to": s.token.Hex(), "data": hexutil.Encode(data),
		}}}
		_, body := s.post(t, mustMarshal(t, req))
		return body
	}
	body := send(s.addr("carol"))
	if !strings.Contains(string(body), `"code":-32001`) || !strings.Contains(string(body), "RECIPIENT_NOT_ELIGIBLE") {
		t.Errorf("denied eth_sendTransaction: %s", body)
	}
	// Allowed, it reaches the node, which holds no keys and answers with its
	// own error: the answer is the node's, not the proxy's.
	before := len(s.gw.Requests())
	body = send(s.addr("bob"))
	if !strings.Contains(string(body), "unknown account") || len(s.gw.Requests()) != before+1 {
		t.Errorf("allowed eth_sendTransaction: %s", body)
	}
	reqs := s.gw.Requests()
	if got := reqs[len(reqs)-1]; got.GetFromWallet() != addr(s.addr("alice")) || got.GetToWallet() != bob {
		t.Errorf("check %v", got)
	}
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
