package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/auth"
	"github.com/clearancehq/clearance/gateway/decisionlog"
	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

const (
	alice = "0x1111111111111111111111111111111111111111"
	bob   = "0x2222222222222222222222222222222222222222"
	frz   = "0x3333333333333333333333333333333333333333"
	ghost = "0x4444444444444444444444444444444444444444"
)

// memReader is a small in-memory registry for API tests.
type memReader struct {
	mu      sync.Mutex
	inv     map[string]registry.Investor
	wal     map[string]registry.Wallet
	assets  map[string]registry.Asset
	failAll bool
}

func (m *memReader) fail() error {
	if m.failAll {
		return errors.New("connection refused")
	}
	return nil
}

func (m *memReader) Investor(_ context.Context, id string, _ time.Time) (registry.Investor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail(); err != nil {
		return registry.Investor{}, err
	}
	v, ok := m.inv[id]
	if !ok {
		return v, registry.ErrNotFound
	}
	return v, nil
}

func (m *memReader) Wallet(_ context.Context, a string, _ time.Time) (registry.Wallet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail(); err != nil {
		return registry.Wallet{}, err
	}
	v, ok := m.wal[a]
	if !ok {
		return v, registry.ErrNotFound
	}
	return v, nil
}

func (m *memReader) Asset(_ context.Context, id string, _ time.Time) (registry.Asset, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail(); err != nil {
		return registry.Asset{}, err
	}
	v, ok := m.assets[id]
	if !ok {
		return v, registry.ErrNotFound
	}
	return v, nil
}

func (m *memReader) Whitelisted(context.Context, string, string, time.Time) (bool, error) {
	return true, nil
}

func (m *memReader) WalletsOf(_ context.Context, id string, _ time.Time) ([]registry.Wallet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []registry.Wallet
	for _, w := range m.wal {
		if w.InvestorID == id {
			out = append(out, w)
		}
	}
	return out, nil
}

// ruleEngine is a tiny deterministic engine written in Go: it exercises the
// gateway's plumbing (fact gathering, combining, logging, mapping), not the
// shipped packs, which have their own golden corpus.
type ruleEngine struct{ fail bool }

func (ruleEngine) Revision() string { return "test-revision" }

func (e ruleEngine) Evaluate(_ context.Context, in *policies.Input, scope policies.Scope) (policies.Result, error) {
	if e.fail {
		return policies.Result{}, &policies.Error{Code: "eval_error", Err: errors.New("boom")}
	}
	var r policies.Result
	if scope == policies.ScopeStatic {
		if !in.Asset.Known {
			r.Deny = append(r.Deny, policies.Reason{Code: "UNKNOWN", Message: "asset unknown"})
		}
		for _, p := range []*policies.PartyFacts{in.From, in.To} {
			if p == nil {
				continue
			}
			if !p.Known {
				r.Deny = append(r.Deny, policies.Reason{Code: "UNKNOWN", Message: "wallet unknown: " + p.Wallet.Address})
				continue
			}
			if p.Wallet.Frozen {
				r.Deny = append(r.Deny, policies.Reason{Code: "SENDER_FROZEN", Message: "frozen"})
			}
			if p.Investor.Jurisdiction == "IR" {
				r.Deny = append(r.Deny, policies.Reason{Code: "JURISDICTION_NOT_ALLOWED", Observed: "IR"})
			}
		}
		r.Allow = true
		return r, nil
	}
	if in.Amount > 1_000_000 {
		r.Review = append(r.Review, policies.Reason{Code: "AML_AMOUNT_ABOVE_EXPECTED", Observed: fmt.Sprint(in.Amount), Limit: "1000000"})
	}
	return r, nil
}

type harness struct {
	url  string
	conn *grpc.ClientConn
	reg  *memReader
	log  *decisionlog.Logger
}

func newHarness(t *testing.T, eng policies.Engine, tokens []auth.Token) *harness {
	t.Helper()
	kyc := time.Now().Add(365 * 24 * time.Hour)
	reg := &memReader{
		inv: map[string]registry.Investor{
			"inv-a": {ID: "inv-a", Status: "APPROVED", Category: "ACCREDITED", Jurisdiction: "CH", Type: "INDIVIDUAL", Active: true, KYCExpiresAt: &kyc, Version: 1},
			"inv-b": {ID: "inv-b", Status: "APPROVED", Category: "ACCREDITED", Jurisdiction: "IR", Type: "INDIVIDUAL", Active: true, KYCExpiresAt: &kyc, Version: 1},
		},
		wal: map[string]registry.Wallet{
			alice: {Address: alice, Chain: "evm", InvestorID: "inv-a", Verified: true, Active: true, Version: 1},
			bob:   {Address: bob, Chain: "evm", InvestorID: "inv-b", Verified: true, Active: true, Version: 1},
			frz:   {Address: frz, Chain: "evm", InvestorID: "inv-a", Verified: true, Active: true, Frozen: true, Version: 1},
		},
		assets: map[string]registry.Asset{"BOND": {ID: "BOND", Ticker: "BND", Decimals: 2, Version: 1}},
	}
	db, err := bolt.Open(t.TempDir()+"/log.db", 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sink, err := decisionlog.NewBoltSink(db)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := decisionlog.New(decisionlog.DefaultConfig(), sink, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dl.Close)
	promReg := prometheus.NewRegistry()
	dec, err := gateway.NewDecider(gateway.Deps{Registry: reg, Engine: eng, Log: dl}, promReg)
	if err != nil {
		t.Fatal(err)
	}
	authn, err := auth.NewAuthenticator(tokens, len(tokens) == 0)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := gateway.NewServer(gateway.ServerConfig{Listen: "127.0.0.1:0", MaxBodyBytes: 4 << 20}, authn,
		[]gateway.Service{gateway.NewAPI(dec, dl, nil, 4)}, promReg, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &harness{url: "http://" + srv.Addr(), conn: conn, reg: reg, log: dl}
}

func (h *harness) post(t *testing.T, path, body, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: non-JSON response %d: %s", path, resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func codes_(m map[string]any) []string {
	var out []string
	rs, _ := m["reasons"].([]any)
	for _, r := range rs {
		out = append(out, r.(map[string]any)["code"].(string))
	}
	return out
}

func TestRESTCheckAllowAndDenyListsEveryReason(t *testing.T) {
	h := newHarness(t, ruleEngine{}, nil)
	st, m := h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"100"}`, alice, alice), "")
	if st != 200 || m["decision"] != "ALLOW" {
		t.Fatalf("want 200 ALLOW, got %d %v", st, m)
	}
	for _, k := range []string{"decision_id", "policy_revision", "evaluated_at", "cached", "retryable"} {
		if _, ok := m[k]; !ok {
			t.Errorf("verdict lacks snake_case field %s: %v", k, m)
		}
	}
	// Frozen sender and IR recipient: both reasons, not just the first.
	st, m = h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"100"}`, frz, bob), "")
	if st != 200 || m["decision"] != "DENY" {
		t.Fatalf("want DENY, got %d %v", st, m)
	}
	got := strings.Join(codes_(m), ",")
	if got != "SENDER_FROZEN,JURISDICTION_NOT_ALLOWED" {
		t.Errorf("reasons = %s", got)
	}
	// Dynamic rule: REVIEW above the amount threshold.
	_, m = h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"2000000"}`, alice, alice), "")
	if m["decision"] != "REVIEW" {
		t.Errorf("want REVIEW, got %v", m)
	}
}

func TestUnknownEntitiesFailClosed(t *testing.T) {
	h := newHarness(t, ruleEngine{}, nil)
	_, m := h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, ghost), "")
	if m["decision"] != "DENY" || !strings.Contains(strings.Join(codes_(m), ","), "UNKNOWN") {
		t.Errorf("unknown wallet: %v", m)
	}
	_, m = h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"NOPE","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice), "")
	if m["decision"] != "DENY" {
		t.Errorf("unknown asset: %v", m)
	}
}

func TestDependencyAndEngineFailuresDenyRetryable(t *testing.T) {
	h := newHarness(t, ruleEngine{}, nil)
	h.reg.mu.Lock()
	h.reg.failAll = true
	h.reg.mu.Unlock()
	_, m := h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice), "")
	if m["decision"] != "DENY" || m["retryable"] != true || codes_(m)[0] != policies.CodeStaleFacts {
		t.Errorf("registry down: %v", m)
	}
	h2 := newHarness(t, ruleEngine{fail: true}, nil)
	_, m = h2.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice), "")
	if m["decision"] != "DENY" || m["retryable"] != true || codes_(m)[0] != policies.CodePolicyError {
		t.Errorf("engine error: %v", m)
	}
}

func TestBadInputIsInvalidArgumentNamingTheField(t *testing.T) {
	h := newHarness(t, ruleEngine{}, nil)
	big := `{"action":"TRANSFER","asset_id":"BOND","from_wallet":"` + strings.Repeat("a", 5<<20) + `"}`
	cases := []struct {
		name, body, field string
		status            int
	}{
		{"missing action", fmt.Sprintf(`{"asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice), "action", 400},
		{"unknown action", fmt.Sprintf(`{"action":"TELEPORT","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice), "", 400},
		{"missing asset", fmt.Sprintf(`{"action":"TRANSFER","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice), "asset_id", 400},
		{"missing recipient", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"amount":"1"}`, alice), "to_wallet", 400},
		{"negative amount", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"-5"}`, alice, alice), "amount", 400},
		{"non-integer amount", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"12abc"}`, alice, alice), "amount", 400},
		{"more precision than decimals", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1.234"}`, alice, alice), "amount", 400},
		{"amount over int64", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"99999999999999999999"}`, alice, alice), "amount", 400},
		{"bad address", `{"action":"TRANSFER","asset_id":"BOND","from_wallet":"0xZZ","to_wallet":"0xZZ","amount":"1"}`, "from_wallet", 400},
		{"malformed json", `{"action":"TRANSFER",`, "", 400},
		{"unknown field", `{"action":"TRANSFER","bogus":1}`, "", 400},
		{"body over limit", big, "", 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, m := h.post(t, "/v1/check", tc.body, "")
			if st != tc.status {
				t.Fatalf("status %d, want %d: %v", st, tc.status, m)
			}
			if m["decision"] != nil {
				t.Fatalf("bad input produced a decision: %v", m)
			}
			if tc.field != "" && !strings.HasPrefix(fmt.Sprint(m["message"]), tc.field) {
				t.Errorf("message %q does not name field %s", m["message"], tc.field)
			}
		})
	}
}

func TestBatchKeepsOrderAndIsolatesBadItems(t *testing.T) {
	h := newHarness(t, ruleEngine{}, nil)
	items := []string{
		fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice),
		`{"action":"TRANSFER","asset_id":"BOND","amount":"-1"}`,
		fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, frz, alice),
	}
	var all []string
	for i := 0; i < 300; i++ {
		all = append(all, items[i%3])
	}
	st, m := h.post(t, "/v1/check:batch", `{"checks":[`+strings.Join(all, ",")+`]}`, "")
	if st != 200 {
		t.Fatalf("status %d: %v", st, m)
	}
	vs := m["verdicts"].([]any)
	if len(vs) != 300 {
		t.Fatalf("got %d verdicts", len(vs))
	}
	for i, v := range vs {
		item := v.(map[string]any)
		switch i % 3 {
		case 0:
			if item["verdict"].(map[string]any)["decision"] != "ALLOW" {
				t.Fatalf("item %d: %v", i, item)
			}
		case 1:
			e, _ := item["error"].(map[string]any)
			if e == nil || e["code"] != "INVALID_ARGUMENT" || e["field"] == "" {
				t.Fatalf("item %d: want its own error, got %v", i, item)
			}
		case 2:
			if item["verdict"].(map[string]any)["decision"] != "DENY" {
				t.Fatalf("item %d: %v", i, item)
			}
		}
	}
	// Over the limit: the whole batch is rejected with a field error.
	var sb bytes.Buffer
	sb.WriteString(`{"checks":[`)
	for i := 0; i <= gateway.MaxBatch; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"action":"TRANSFER"}`)
	}
	sb.WriteString("]}")
	st, m = h.post(t, "/v1/check:batch", sb.String(), "")
	if st != 400 || !strings.HasPrefix(fmt.Sprint(m["message"]), "checks") {
		t.Errorf("oversized batch: %d %v", st, m)
	}
}

func TestGRPCOnSamePortAndDecisionLog(t *testing.T) {
	h := newHarness(t, ruleEngine{}, nil)
	c := gatewayv1.NewGatewayServiceClient(h.conn)
	v, err := c.Check(t.Context(), &gatewayv1.CheckRequest{Action: gatewayv1.Action_TRANSFER, AssetId: "BOND", FromWallet: frz, ToWallet: alice, Amount: "7", RequestId: "r-1"})
	if err != nil {
		t.Fatal(err)
	}
	if v.GetDecision() != gatewayv1.Decision_DENY || v.GetRequestId() != "r-1" {
		t.Fatalf("verdict %v", v)
	}
	rec, err := c.GetDecision(t.Context(), &gatewayv1.GetDecisionRequest{DecisionId: v.GetDecisionId()})
	if err != nil {
		t.Fatal(err)
	}
	if rec.GetVerdict().GetDecision() != gatewayv1.Decision_DENY || rec.GetRequest().GetAmount() != "7" {
		t.Errorf("record %v", rec)
	}
	from := rec.GetFacts().GetFields()["from"].GetStructValue().GetFields()["wallet"].GetStructValue().GetFields()["frozen"].GetBoolValue()
	if !from {
		t.Errorf("logged facts do not show the frozen sender: %v", rec.GetFacts())
	}
	_, err = c.GetDecision(t.Context(), &gatewayv1.GetDecisionRequest{DecisionId: "dec_nope"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("unknown decision: %v", err)
	}
	// The chain verifies once flushed.
	h.log.Close()
	n, err := decisionlog.Verify(t.Context(), h.log.Sink())
	if err != nil || n < 1 {
		t.Errorf("verify: %d %v", n, err)
	}
}

func TestAuthTokensAndRoles(t *testing.T) {
	h := newHarness(t, ruleEngine{}, []auth.Token{{Name: "venue-1", Token: "venue-secret-token-123", Roles: []string{"venue"}}})
	body := fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice)
	if st, _ := h.post(t, "/v1/check", body, ""); st != 401 {
		t.Errorf("no token: %d", st)
	}
	if st, _ := h.post(t, "/v1/check", body, "wrong-token-wrong-token"); st != 401 {
		t.Errorf("wrong token: %d", st)
	}
	if st, m := h.post(t, "/v1/check", body, "venue-secret-token-123"); st != 200 || m["decision"] != "ALLOW" {
		t.Errorf("venue token: %d %v", st, m)
	}
	c := gatewayv1.NewGatewayServiceClient(h.conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer venue-secret-token-123")
	if _, err := c.Check(ctx, &gatewayv1.CheckRequest{Action: gatewayv1.Action_TRANSFER, AssetId: "BOND", FromWallet: alice, ToWallet: alice, Amount: "1"}); err != nil {
		t.Errorf("grpc with token: %v", err)
	}
	if _, err := c.Check(t.Context(), &gatewayv1.CheckRequest{Action: gatewayv1.Action_TRANSFER}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("grpc without token: %v", err)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	h := newHarness(t, ruleEngine{}, nil)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(h.url + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
		if p == "/metrics" {
			h.post(t, "/v1/check", fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice), "")
			resp, _ := http.Get(h.url + p)
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Contains(b, []byte("clearance_decisions_total")) {
				t.Errorf("metrics lack clearance_decisions_total")
			}
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "[::1]:80": true, "localhost:1": true, "0.0.0.0:8080": false, "10.0.0.1:80": false, ":8080": false} {
		if got := gateway.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%s) = %v", addr, got)
		}
	}
}
