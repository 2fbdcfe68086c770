package registrysvc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clearancehq/clearance/gateway/auth"
	registryv1 "github.com/clearancehq/clearance/gateway/gen/registry/v1"
	"github.com/clearancehq/clearance/gateway/registrysvc"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/storetest"
)

// principalKey carries "name:role,role" in test metadata; over REST it is
// sent as the Grpc-Metadata-X-Test-Principal header.
const principalKey = "x-test-principal"

func inject(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	v := md.Get(principalKey)
	if len(v) == 0 {
		return ctx, nil
	}
	name, roles, _ := strings.Cut(v[0], ":")
	return auth.WithPrincipal(ctx, auth.Principal{Name: name, Roles: strings.Split(roles, ",")}), nil
}

type env struct {
	store  *boltstore.Store
	client registryv1.RegistryServiceClient
	rest   string
}

// fakeEligibility: eligible iff the wallet's investor is APPROVED and
// whitelisted on the asset at the instant, and KYC has not expired.
func fakeEligibility(st registry.Reader) registrysvc.EligibilityFunc {
	return func(ctx context.Context, assetID, wallet string, at time.Time) (bool, []policies.Reason, error) {
		w, err := st.Wallet(ctx, wallet, at)
		if err != nil {
			return false, []policies.Reason{{Code: "UNKNOWN"}}, nil
		}
		inv, err := st.Investor(ctx, w.InvestorID, at)
		if err != nil {
			return false, []policies.Reason{{Code: "UNKNOWN"}}, nil
		}
		var rs []policies.Reason
		if inv.Status != registry.StatusApproved {
			rs = append(rs, policies.Reason{Code: "RECIPIENT_NOT_ELIGIBLE", Message: "status " + inv.Status})
		}
		if inv.KYCExpiresAt != nil && !at.Before(*inv.KYCExpiresAt) {
			rs = append(rs, policies.Reason{Code: "KYC_INCOMPLETE"})
		}
		ok, err := st.Whitelisted(ctx, assetID, inv.ID, at)
		if err != nil {
			return false, nil, err
		}
		if !ok {
			rs = append(rs, policies.Reason{Code: "NOT_AUTHORIZED", Message: "not whitelisted"})
		}
		return len(rs) == 0, rs, nil
	}
}

func setup(t *testing.T) *env {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := boltstore.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := registrysvc.New(st, fakeEligibility(st), nil)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		ctx, err := inject(ctx)
		if err != nil {
			return nil, err
		}
		return h(ctx, req)
	}))
	svc.RegisterGRPC(g)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// The same JSON options as the gateway's server.
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
		MarshalOptions: protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
	}))
	if err := svc.RegisterHTTP(t.Context(), mux, conn); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &env{store: st, client: registryv1.NewRegistryServiceClient(conn), rest: hs.URL}
}

func as(ctx context.Context, name string, roles ...string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, principalKey, name+":"+strings.Join(roles, ","))
}

func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code = %v (%v), want %v", got, err, want)
	}
}

func ptr[T any](v T) *T { return &v }

func newInvestor(id string) *registryv1.Investor {
	return &registryv1.Investor{Id: id, Name: ptr("Test " + id), Status: ptr("APPROVED"), Category: ptr("ACCREDITED"),
		Jurisdiction: ptr("CH"), Type: ptr("INDIVIDUAL"), KycExpiresAt: ptr("2031-01-01T00:00:00Z"), ExpectedMax: ptr("5000")}
}

func TestRolesOverGRPC(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	asset := &registryv1.Asset{Id: "A-1", Ticker: ptr("AAA"), Decimals: ptr(int32(2))}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"no principal", func() error {
			_, err := e.client.GetInvestor(ctx, &registryv1.GetInvestorRequest{Id: "x"})
			return err
		}, codes.Unauthenticated},
		{"venue cannot create investor", func() error {
			_, err := e.client.CreateInvestor(as(ctx, "venue-1", auth.RoleVenue), &registryv1.CreateInvestorRequest{Investor: newInvestor("inv-1")})
			return err
		}, codes.PermissionDenied},
		{"compliance cannot create asset", func() error {
			_, err := e.client.CreateAsset(as(ctx, "co", auth.RoleCompliance), &registryv1.CreateAssetRequest{Asset: asset})
			return err
		}, codes.PermissionDenied},
		{"admin creates asset", func() error {
			_, err := e.client.CreateAsset(as(ctx, "root", auth.RoleAdmin), &registryv1.CreateAssetRequest{Asset: asset})
			return err
		}, codes.OK},
		{"compliance updates asset", func() error {
			_, err := e.client.UpdateAsset(as(ctx, "co", auth.RoleCompliance), &registryv1.UpdateAssetRequest{Id: "A-1", Version: 1, Asset: &registryv1.Asset{PausedActions: &registryv1.StringList{Values: []string{"TRANSFER"}}}})
			return err
		}, codes.OK},
		{"auditor reads asset", func() error {
			a, err := e.client.GetAsset(as(ctx, "aud", auth.RoleAuditor), &registryv1.GetAssetRequest{Id: "A-1"})
			if err == nil && (a.GetVersion() != 2 || len(a.GetPausedActions().GetValues()) != 1) {
				return fmt.Errorf("asset after pause: %v", a)
			}
			return err
		}, codes.OK},
		{"auditor cannot whitelist", func() error {
			_, err := e.client.AddToWhitelist(as(ctx, "aud", auth.RoleAuditor), &registryv1.WhitelistRequest{AssetId: "A-1", InvestorId: "inv-1"})
			return err
		}, codes.PermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.want) })
	}
}

func TestInvestorLifecycleOverGRPC(t *testing.T) {
	e := setup(t)
	ctx := as(t.Context(), "carol@compliance", auth.RoleCompliance)
	created, err := e.client.CreateInvestor(ctx, &registryv1.CreateInvestorRequest{Investor: newInvestor("inv-1"), Reason: "onboarding #12"})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetVersion() != 1 || !created.GetActive() || created.GetExpectedMax() != "5000" {
		t.Fatalf("created: %v", created)
	}
	_, err = e.client.CreateInvestor(ctx, &registryv1.CreateInvestorRequest{Investor: newInvestor("inv-1")})
	wantCode(t, err, codes.Aborted)

	// Patch only the status: other fields are kept.
	upd, err := e.client.UpdateInvestor(ctx, &registryv1.UpdateInvestorRequest{Id: "inv-1", Version: 1, Investor: &registryv1.Investor{Status: ptr("SUSPENDED")}, Reason: "adverse media"})
	if err != nil {
		t.Fatal(err)
	}
	if upd.GetVersion() != 2 || upd.GetStatus() != "SUSPENDED" || upd.GetJurisdiction() != "CH" || upd.GetName() != "Test inv-1" {
		t.Fatalf("patched: %v", upd)
	}
	_, err = e.client.UpdateInvestor(ctx, &registryv1.UpdateInvestorRequest{Id: "inv-1", Version: 1, Investor: &registryv1.Investor{Status: ptr("APPROVED")}})
	wantCode(t, err, codes.Aborted)
	got, err := e.client.GetInvestor(ctx, &registryv1.GetInvestorRequest{Id: "inv-1"})
	if err != nil || got.GetStatus() != "SUSPENDED" || got.GetVersion() != 2 {
		t.Fatalf("stale update changed state: %v %v", got, err)
	}

	_, err = e.client.UpdateInvestor(ctx, &registryv1.UpdateInvestorRequest{Id: "inv-1", Version: 2, Investor: &registryv1.Investor{Jurisdiction: ptr("XX")}})
	wantCode(t, err, codes.InvalidArgument)
	if !strings.Contains(status.Convert(err).Message(), "jurisdiction") {
		t.Fatalf("validation message does not name the field: %v", err)
	}
	_, err = e.client.UpdateInvestor(ctx, &registryv1.UpdateInvestorRequest{Id: "inv-1", Version: 2, Investor: &registryv1.Investor{KycExpiresAt: ptr("tomorrow")}})
	wantCode(t, err, codes.InvalidArgument)
	_, err = e.client.GetInvestor(ctx, &registryv1.GetInvestorRequest{Id: "inv-none"})
	wantCode(t, err, codes.NotFound)

	h, err := e.client.GetHistory(ctx, &registryv1.GetHistoryRequest{Kind: "investors", Id: "inv-1"})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Version               int64
		Actor, Reason, Status string
	}
	var rows []row
	for _, r := range h.GetRevisions() {
		rows = append(rows, row{r.GetVersion(), r.GetActor(), r.GetReason(), r.GetInvestor().GetStatus()})
	}
	want := []row{{1, "carol@compliance", "onboarding #12", "APPROVED"}, {2, "carol@compliance", "adverse media", "SUSPENDED"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}

	// Wallets: checksummed input is normalised; duplicates are rejected.
	w, err := e.client.CreateWallet(ctx, &registryv1.CreateWalletRequest{Wallet: &registryv1.Wallet{Address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", InvestorId: ptr("inv-1"), Verified: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if w.GetAddress() != "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed" || w.GetChain() != "evm" {
		t.Fatalf("wallet: %v", w)
	}
	_, err = e.client.CreateWallet(ctx, &registryv1.CreateWalletRequest{Wallet: &registryv1.Wallet{Address: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", InvestorId: ptr("inv-1")}})
	wantCode(t, err, codes.Aborted)
	fw, err := e.client.UpdateWallet(ctx, &registryv1.UpdateWalletRequest{Address: w.GetAddress(), Version: 1, Wallet: &registryv1.Wallet{Frozen: ptr(true), FrozenAmount: ptr("250")}})
	if err != nil || !fw.GetFrozen() || fw.GetFrozenAmount() != "250" || !fw.GetVerified() {
		t.Fatalf("freeze: %v %v", fw, err)
	}
}

func httpDo(t *testing.T, method, url, principal string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, url, rd)
	if principal != "" {
		req.Header.Set("Grpc-Metadata-X-Test-Principal", principal)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestRESTRoutes(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	// Seed history with explicit commit times through the store.
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c := func(h int) registry.Change {
		return registry.Change{Actor: "seed", Reason: "seed", At: t0.Add(time.Duration(h) * time.Hour)}
	}
	inv := storetest.Investor("inv-r")
	if _, err := e.store.CreateInvestor(ctx, inv, c(0)); err != nil {
		t.Fatal(err)
	}
	inv.Jurisdiction = "DE"
	if _, err := e.store.UpdateInvestor(ctx, inv, 1, c(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.CreateAsset(ctx, storetest.Asset("BOND-R"), c(0)); err != nil {
		t.Fatal(err)
	}
	co := "co:" + auth.RoleCompliance
	base := e.rest + "/v1/registry"

	code, body := httpDo(t, http.MethodGet, base+"/investors/inv-r?as_of="+t0.Add(time.Hour).Format(time.RFC3339), co, nil)
	if code != 200 || body["jurisdiction"] != "CH" || body["version"] != "1" {
		t.Fatalf("GET as_of: %d %v", code, body)
	}
	code, body = httpDo(t, http.MethodGet, base+"/investors/inv-r", co, nil)
	if code != 200 || body["jurisdiction"] != "DE" {
		t.Fatalf("GET now: %d %v", code, body)
	}
	code, body = httpDo(t, http.MethodGet, base+"/investors/inv-r?as_of="+t0.Add(-time.Hour).Format(time.RFC3339), co, nil)
	if code != http.StatusNotFound {
		t.Fatalf("GET before creation: %d %v", code, body)
	}
	code, body = httpDo(t, http.MethodPatch, base+"/investors/inv-r", co, map[string]any{"version": 2, "reason": "downgrade", "investor": map[string]any{"category": "RETAIL"}})
	if code != 200 || body["category"] != "RETAIL" || body["version"] != "3" || body["jurisdiction"] != "DE" {
		t.Fatalf("PATCH: %d %v", code, body)
	}
	code, _ = httpDo(t, http.MethodPatch, base+"/investors/inv-r", co, map[string]any{"version": 2, "investor": map[string]any{"category": "RETAIL"}})
	if code != http.StatusConflict {
		t.Fatalf("stale PATCH: %d", code)
	}
	code, body = httpDo(t, http.MethodPost, base+"/investors", co, map[string]any{"investor": map[string]any{"id": "inv-bad", "status": "APPROVED", "category": "RETAIL", "jurisdiction": "DE", "type": "INDIVIDUAL", "effective_from": "2026-01-02T00:00:00Z", "effective_to": "2026-01-01T00:00:00Z"}})
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["message"]), "effective_to") {
		t.Fatalf("invalid POST: %d %v", code, body)
	}
	code, body = httpDo(t, http.MethodPost, base+"/investors", "", map[string]any{"investor": map[string]any{"id": "inv-x"}})
	if code != http.StatusUnauthorized {
		t.Fatalf("unauthenticated POST: %d %v", code, body)
	}

	// Whitelist add, history, remove.
	code, body = httpDo(t, http.MethodPost, base+"/assets/BOND-R/whitelist/inv-r", co, map[string]any{"reason": "approved for bond"})
	if code != 200 || body["active"] != true {
		t.Fatalf("POST whitelist: %d %v", code, body)
	}
	code, body = httpDo(t, http.MethodDelete, base+"/assets/BOND-R/whitelist/inv-r?reason=offboarded", co, nil)
	if code != 200 || body["active"] == true || body["version"] != "2" {
		t.Fatalf("DELETE whitelist: %d %v", code, body)
	}
	code, body = httpDo(t, http.MethodGet, base+"/assets/BOND-R/whitelist/inv-r/history", co, nil)
	revs, _ := body["revisions"].([]any)
	if code != 200 || len(revs) != 2 || revs[1].(map[string]any)["reason"] != "offboarded" || revs[0].(map[string]any)["actor"] != "co" {
		t.Fatalf("whitelist history: %d %v", code, body)
	}
	code, body = httpDo(t, http.MethodGet, base+"/investors/inv-r/history", co, nil)
	if revs, _ := body["revisions"].([]any); code != 200 || len(revs) != 3 {
		t.Fatalf("investor history: %d %v", code, body)
	}

	// List with filters and pagination.
	for i := range 5 {
		if _, err := e.store.CreateInvestor(ctx, storetest.Investor(fmt.Sprintf("inv-p%d", i)), registry.Change{Actor: "seed"}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	token := ""
	for range 10 {
		code, body = httpDo(t, http.MethodGet, base+"/investors?jurisdiction=CH&page_size=2&page_token="+token, co, nil)
		if code != 200 {
			t.Fatalf("list: %d %v", code, body)
		}
		items, _ := body["investors"].([]any)
		for _, it := range items {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		token, _ = body["next_page_token"].(string)
		if token == "" {
			break
		}
	}
	if diff := cmp.Diff([]string{"inv-p0", "inv-p1", "inv-p2", "inv-p3", "inv-p4"}, ids); diff != "" {
		t.Fatalf("paged list (-want +got):\n%s", diff)
	}
	code, _ = httpDo(t, http.MethodGet, base+"/assets", co, nil)
	if code != 200 {
		t.Fatalf("list assets: %d", code)
	}
}

func TestEligibilityIntervals(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	c := func(h int, reason string) registry.Change {
		return registry.Change{Actor: "co", Reason: reason, At: at(h)}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	inv := storetest.Investor("inv-e")
	kyc := at(20)
	inv.KYCExpiresAt = &kyc
	_, err := e.store.CreateAsset(ctx, storetest.Asset("EL"), c(0, "list"))
	must(err)
	_, err = e.store.CreateInvestor(ctx, inv, c(1, "onboard"))
	must(err)
	w := storetest.Wallet(7, "inv-e")
	_, err = e.store.CreateWallet(ctx, w, c(1, "link"))
	must(err)
	_, err = e.store.AddToWhitelist(ctx, "EL", "inv-e", c(3, "approve"))
	must(err)
	inv.Status = registry.StatusSuspended
	_, err = e.store.UpdateInvestor(ctx, inv, 1, c(5, "adverse media"))
	must(err)
	inv.Status = registry.StatusApproved
	inv.Name = "renamed"
	_, err = e.store.UpdateInvestor(ctx, inv, 2, c(8, "cleared"))
	must(err)
	inv.Name = "renamed again" // no eligibility change: merged into the interval
	_, err = e.store.UpdateInvestor(ctx, inv, 3, c(9, "typo"))
	must(err)

	resp, err := e.client.GetEligibilityIntervals(as(ctx, "aud", auth.RoleAuditor), &registryv1.GetEligibilityIntervalsRequest{
		AssetId: "EL", Wallet: w.Address, From: at(1).Format(time.RFC3339), To: at(30).Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	type iv struct {
		From, To string
		Eligible bool
		Codes    string
		Why      string
	}
	var got []iv
	for _, x := range resp.GetIntervals() {
		var codes, why []string
		for _, r := range x.GetReasons() {
			codes = append(codes, r.GetCode())
		}
		for _, ch := range x.GetChanges() {
			why = append(why, ch.GetKind()+":"+ch.GetField()+ch.GetReason())
		}
		got = append(got, iv{x.GetFrom(), x.GetTo(), x.GetEligible(), strings.Join(codes, ","), strings.Join(why, ";")})
	}
	f := func(h int) string { return at(h).Format(time.RFC3339) }
	want := []iv{
		{f(1), f(3), false, "NOT_AUTHORIZED", "investor:onboard;wallet:link"},
		{f(3), f(5), true, "", "whitelist:approve"},
		{f(5), f(8), false, "RECIPIENT_NOT_ELIGIBLE", "investor:adverse media"},
		{f(8), f(20), true, "", "investor:cleared"},
		{f(20), f(30), false, "KYC_INCOMPLETE", "boundary:kyc_expires_atonboard"},
	}
	sortWhy := cmp.Transformer("sortWhy", func(s string) string {
		parts := strings.Split(s, ";")
		for i := 1; i < len(parts); i++ {
			for j := i; j > 0 && parts[j] < parts[j-1]; j-- {
				parts[j], parts[j-1] = parts[j-1], parts[j]
			}
		}
		return strings.Join(parts, ";")
	})
	if diff := cmp.Diff(want, got, sortWhy); diff != "" {
		t.Fatalf("intervals (-want +got):\n%s", diff)
	}

	// Over REST.
	u := fmt.Sprintf("%s/v1/registry/assets/EL/wallets/%s/eligibility-history?from=%s&to=%s", e.rest, w.Address, f(1), f(30))
	code, body := httpDo(t, http.MethodGet, u, "aud:"+auth.RoleAuditor, nil)
	if ivs, _ := body["intervals"].([]any); code != 200 || len(ivs) != 5 {
		t.Fatalf("REST intervals: %d %v", code, body)
	}
	_, err = e.client.GetEligibilityIntervals(as(ctx, "aud", auth.RoleAuditor), &registryv1.GetEligibilityIntervalsRequest{AssetId: "EL", Wallet: w.Address, From: f(5), To: f(1)})
	wantCode(t, err, codes.InvalidArgument)
	_, err = e.client.GetEligibilityIntervals(as(ctx, "aud", auth.RoleAuditor), &registryv1.GetEligibilityIntervalsRequest{AssetId: "EL", Wallet: storetest.Address(4242)})
	wantCode(t, err, codes.NotFound)
}

// TestBeneficialOwnersOverREST creates, patches, clears and rejects
// beneficial owners through the REST routes.
func TestBeneficialOwnersOverREST(t *testing.T) {
	e := setup(t)
	co := "co:" + auth.RoleCompliance
	base := e.rest + "/v1/registry/investors"
	owners := func(body map[string]any) []string {
		var out []string
		list, _ := body["beneficial_owners"].([]any)
		for _, o := range list {
			m := o.(map[string]any)
			out = append(out, fmt.Sprintf("%v|%v|%v|%v|%v", m["name"], m["date_of_birth"], m["nationality"], m["ownership_bp"], m["role"]))
		}
		return out
	}
	entity := map[string]any{"id": "ent-1", "name": "Harbour Holdings Ltd", "status": "APPROVED", "category": "INSTITUTIONAL",
		"jurisdiction": "GB", "type": "ENTITY", "beneficial_owners": []any{
			map[string]any{"name": "Ann Owner", "date_of_birth": "1970-05-01", "nationality": "gb", "ownership_bp": "6000", "role": "owner"},
			map[string]any{"name": "Carl Controller", "role": "controller"},
		}}
	code, body := httpDo(t, http.MethodPost, base, co, map[string]any{"investor": entity, "reason": "kyb"})
	if code != 200 {
		t.Fatalf("POST: %d %v", code, body)
	}
	want := []string{"Ann Owner|1970-05-01|GB|6000|owner", "Carl Controller|||0|controller"}
	if diff := cmp.Diff(want, owners(body)); diff != "" {
		t.Fatalf("created owners (-want +got):\n%s", diff)
	}

	tests := []struct {
		name    string
		patch   map[string]any
		code    int
		owners  []string
		message string // a substring of the error message
	}{
		{"patch without owners keeps them", map[string]any{"investor": map[string]any{"name": "Harbour Holdings plc"}}, 200, want, ""},
		{"non-empty list replaces", map[string]any{"investor": map[string]any{"beneficial_owners": []any{map[string]any{"name": "Dora Director", "role": "director"}}}}, 200,
			[]string{"Dora Director|||0|director"}, ""},
		{"invalid owner names the field", map[string]any{"investor": map[string]any{"beneficial_owners": []any{map[string]any{"name": "Eve", "nationality": "XX"}}}}, 400,
			nil, "beneficial_owners[0].nationality"},
		{"clear with a list is refused", map[string]any{"clear_beneficial_owners": true, "investor": map[string]any{"beneficial_owners": []any{map[string]any{"name": "Eve"}}}}, 400,
			nil, "clear_beneficial_owners"},
		{"clear removes every owner", map[string]any{"clear_beneficial_owners": true, "investor": map[string]any{}}, 200, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, cur := httpDo(t, http.MethodGet, base+"/ent-1", co, nil)
			tc.patch["version"], tc.patch["reason"] = cur["version"], "change of owners"
			code, body := httpDo(t, http.MethodPatch, base+"/ent-1", co, tc.patch)
			if code != tc.code {
				t.Fatalf("PATCH: %d %v", code, body)
			}
			if tc.code != 200 {
				if !strings.Contains(fmt.Sprint(body["message"]), tc.message) {
					t.Fatalf("error does not name %s: %v", tc.message, body)
				}
				return
			}
			if diff := cmp.Diff(tc.owners, owners(body)); diff != "" {
				t.Fatalf("owners (-want +got):\n%s", diff)
			}
		})
	}
}
