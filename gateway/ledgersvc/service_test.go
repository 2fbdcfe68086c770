package ledgersvc_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clearancehq/clearance/gateway/auth"
	ledgerv1 "github.com/clearancehq/clearance/gateway/gen/ledger/v1"
	"github.com/clearancehq/clearance/gateway/ledgersvc"
	"github.com/clearancehq/clearance/registry/ledger/boltstore"
	"github.com/clearancehq/clearance/registry/ledger/ledgertest"
)

// roles come from the "x-roles" metadata (test only).
func principal(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	roles := md.Get("x-roles")
	if len(roles) == 0 {
		roles = []string{auth.RoleAdmin}
	}
	return h(auth.WithPrincipal(ctx, auth.Principal{Name: "t", Roles: strings.Split(roles[0], ",")}), req)
}

func TestLifecycleOverGRPCAndREST(t *testing.T) {
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "l.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, _ := boltstore.New(db)
	env := ledgertest.NewEnv(t, st)
	svc := ledgersvc.New(env.Ledger, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.UnaryInterceptor(principal))
	svc.RegisterGRPC(gs)
	go gs.Serve(lis)
	defer gs.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
		MarshalOptions: protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
	}), runtime.WithIncomingHeaderMatcher(func(k string) (string, bool) {
		if strings.EqualFold(k, "x-roles") {
			return "x-roles", true
		}
		return runtime.DefaultHeaderMatcher(k)
	}))
	if err := svc.RegisterHTTP(ctx, mux, conn); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mux)
	defer hs.Close()
	c := ledgerv1.NewLedgerServiceClient(conn)

	if _, err := c.Mint(ctx, &ledgerv1.MintRequest{AssetId: ledgertest.Asset, Amount: "600000"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("missing key: %v", err)
	}
	venue := metadata.AppendToOutgoingContext(ctx, "x-roles", "venue")
	if _, err := c.Mint(venue, &ledgerv1.MintRequest{AssetId: ledgertest.Asset, Amount: "1", IdempotencyKey: "v"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("venue mint: %v", err)
	}
	res, err := c.Mint(ctx, &ledgerv1.MintRequest{AssetId: ledgertest.Asset, Amount: "600000", IdempotencyKey: "m1"})
	if err != nil || res.Status != ledgerv1.OperationStatus_OPERATION_STATUS_APPLIED || res.Balance.Treasury.TextValue != "60" {
		t.Fatalf("mint: %v %v", res, err)
	}
	post := func(path, body string) (int, map[string]any) {
		resp, err := http.Post(hs.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	a := "/v1/assets/" + ledgertest.Asset
	if code, out := post(a+"/investments", `{"investment_id":"i1","investor_id":"alice","wallet":"alice.main","amount":"35200","idempotency_key":"r1"}`); code != 200 {
		t.Fatalf("reserve: %d %v", code, out)
	}
	if code, out := post(a+"/investments/i1:confirm", `{"idempotency_key":"c1"}`); code != 200 {
		t.Fatalf("confirm: %d %v", code, out)
	}
	if code, out := post(a+"/distributions:batch", `{"idempotency_key":"b1"}`); code != 200 || len(out["results"].([]any)) != 1 {
		t.Fatalf("batch: %d %v", code, out)
	}
	if code, out := post(a+"/transfers", `{"from_wallet":"alice.main","to_wallet":"bob.main","amount":"99999999","idempotency_key":"t1"}`); code != 400 {
		t.Errorf("overdraw over REST: %d %v", code, out)
	}
	if code, _ := post(a+"/transfers", `{"from_wallet":"alice.main","to_wallet":"bob.main","amount":"200","idempotency_key":"t2"}`); code != 200 {
		t.Errorf("transfer: %d", code)
	}
	resp, err := http.Get(hs.URL + a + "/balance")
	if err != nil {
		t.Fatal(err)
	}
	var bal map[string]map[string]any
	json.NewDecoder(resp.Body).Decode(&bal)
	resp.Body.Close()
	if bal["distributed"]["text_value"] != "3.52" || bal["treasury"]["value"] != "564800" || bal["total"]["ticker"] != "TKN" {
		t.Errorf("balance object: %v", bal)
	}
	resp, _ = http.Get(hs.URL + a + "/wallets/bob.main/balance")
	var wb map[string]any
	json.NewDecoder(resp.Body).Decode(&wb)
	resp.Body.Close()
	if len(wb["lots"].([]any)) != 1 {
		t.Errorf("wallet balance: %v", wb)
	}
	// Seed-002 errors carry their code.
	_, err = c.ReclaimRevenueRound(ctx, &ledgerv1.ReclaimRevenueRoundRequest{AssetId: ledgertest.Asset, RoundId: 1, IdempotencyKey: "rr"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("reclaim unknown round: %v", err)
	}
	if _, err := c.CreateRevenueRound(ctx, &ledgerv1.CreateRevenueRoundRequest{AssetId: ledgertest.Asset, Token: "USDC", Amount: "1000", IdempotencyKey: "rc1"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateRevenueRound(ctx, &ledgerv1.CreateRevenueRoundRequest{AssetId: ledgertest.Asset, Token: "USDC", Amount: "1000", IdempotencyKey: "rc2"})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "DistributionTooSoon (25)") {
		t.Errorf("too soon: %v", err)
	}
	rev := metadata.AppendToOutgoingContext(ctx, "x-roles", "venue")
	if _, err := c.SettleOperation(rev, &ledgerv1.SettleOperationRequest{OperationId: res.OperationId, Approved: true}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("settle without reviewer: %v", err)
	}
}
