package stellar

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/txnbuild"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

type fixture struct {
	issuer, alice, bob, carol, dave, eve *keypair.Full
	asset                                txnbuild.CreditAsset
	gw                                   *sidecartest.Gateway
	srv                                  *httptest.Server
	reg                                  *prometheus.Registry
	approved                             atomic.Bool
}

func newFixture(t testing.TB, mutate func(*Config)) *fixture {
	t.Helper()
	f := &fixture{issuer: keypair.MustRandom(), alice: keypair.MustRandom(), bob: keypair.MustRandom(),
		carol: keypair.MustRandom(), dave: keypair.MustRandom(), eve: keypair.MustRandom(), reg: prometheus.NewRegistry()}
	f.asset = txnbuild.CreditAsset{Code: "FUND", Issuer: f.issuer.Address()}
	// bob: allowed; carol: review until approved; dave: KYC expired; eve: sanctioned.
	f.gw = sidecartest.NewGateway(t, func(c *gatewayv1.CheckRequest) *gatewayv1.Verdict {
		switch c.GetToWallet() {
		case f.bob.Address():
			return sidecartest.Allow()
		case f.carol.Address():
			if f.approved.Load() {
				return sidecartest.Allow()
			}
			return sidecartest.Review("case-7", "AML_AMOUNT_ABOVE_EXPECTED")
		case f.dave.Address():
			return sidecartest.Deny("KYC_EXPIRED")
		case f.eve.Address():
			return sidecartest.Deny("SANCTIONS_FLAGGED", "KYC_EXPIRED")
		}
		return nil
	})
	cfg := DefaultConfig()
	cfg.AssetCode, cfg.AssetIssuer, cfg.AssetID = "FUND", f.issuer.Address(), "FUND-1"
	cfg.Gateway.Address = f.gw.Addr()
	cfg.ActionURL = "https://issuer.example/kyc"
	cfg.Venue = "sep8"
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := NewServer(cfg, f.gw.Client(), f.issuer, nil, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	return f
}

// build signs a transaction from src with ops.
func build(t testing.TB, src *keypair.Full, ops ...txnbuild.Operation) *txnbuild.Transaction {
	t.Helper()
	tx, err := txnbuild.NewTransaction(txnbuild.TransactionParams{
		SourceAccount:        &txnbuild.SimpleAccount{AccountID: src.Address(), Sequence: 4242},
		IncrementSequenceNum: true,
		Operations:           ops,
		BaseFee:              txnbuild.MinBaseFee,
		Memo:                 txnbuild.MemoText("order 17"),
		Preconditions:        txnbuild.Preconditions{TimeBounds: txnbuild.NewInfiniteTimeout()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tx, err = tx.Sign(network.TestNetworkPassphrase, src); err != nil {
		t.Fatal(err)
	}
	return tx
}

func (f *fixture) pay(from, to *keypair.Full, amount string) *txnbuild.Payment {
	return &txnbuild.Payment{Destination: to.Address(), Amount: amount, Asset: f.asset, SourceAccount: from.Address()}
}

func (f *fixture) flags(trustor *keypair.Full, authorize bool) *txnbuild.SetTrustLineFlags {
	op := &txnbuild.SetTrustLineFlags{Trustor: trustor.Address(), Asset: f.asset, SourceAccount: f.issuer.Address()}
	if authorize {
		op.SetFlags = []txnbuild.TrustLineFlag{txnbuild.TrustLineAuthorized}
	} else {
		op.ClearFlags = []txnbuild.TrustLineFlag{txnbuild.TrustLineAuthorized}
	}
	return op
}

func (f *fixture) post(t testing.TB, tx *txnbuild.Transaction) (int, Response) {
	t.Helper()
	b64, err := tx.Base64()
	if err != nil {
		t.Fatal(err)
	}
	return f.postRaw(t, "application/json", mustJSON(t, map[string]string{"tx": b64}))
}

func (f *fixture) postRaw(t testing.TB, ct string, body []byte) (int, Response) {
	t.Helper()
	res, err := http.Post(f.srv.URL+"/tx_approve", ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r Response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, r
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// issuerSigned parses a returned envelope and verifies the issuer's
// signature over its hash with the issuer's public key only.
func (f *fixture) issuerSigned(t testing.TB, b64 string) *txnbuild.Transaction {
	t.Helper()
	gtx, err := txnbuild.TransactionFromXDR(b64)
	if err != nil {
		t.Fatalf("returned tx: %v", err)
	}
	tx, ok := gtx.Transaction()
	if !ok {
		t.Fatal("returned a fee bump")
	}
	hash, err := tx.Hash(network.TestNetworkPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keypair.ParseAddress(f.issuer.Address())
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range tx.Signatures() {
		if sig.Hint == pub.Hint() && pub.Verify(hash[:], sig.Signature) == nil {
			return tx
		}
	}
	t.Fatalf("no valid issuer signature on the returned transaction")
	return nil
}

func opTypes(tx *txnbuild.Transaction) []string {
	var out []string
	for _, op := range tx.ToXDR().V1.Tx.Operations {
		out = append(out, op.Body.Type.String())
	}
	return out
}

func TestTxApproveStatuses(t *testing.T) {
	f := newFixture(t, nil)

	t.Run("success: compliant sandwich is co-signed", func(t *testing.T) {
		tx := build(t, f.alice, f.flags(f.alice, true), f.flags(f.bob, true), f.pay(f.alice, f.bob, "12.5"), f.flags(f.bob, false), f.flags(f.alice, false))
		code, r := f.post(t, tx)
		if code != http.StatusOK || r.Status != StatusSuccess {
			t.Fatalf("got %d %+v, want 200 success", code, r)
		}
		got := f.issuerSigned(t, r.Tx)
		want, _ := tx.HashHex(network.TestNetworkPassphrase)
		if h, _ := got.HashHex(network.TestNetworkPassphrase); h != want {
			t.Errorf("success changed the transaction: hash %s, want %s", h, want)
		}
		if len(got.Signatures()) != 2 {
			t.Errorf("signatures = %d, want the source's and the issuer's", len(got.Signatures()))
		}
		reqs := f.gw.Requests()
		wantReq := &gatewayv1.CheckRequest{Action: gatewayv1.Action_TRANSFER, AssetId: "FUND-1", FromWallet: f.alice.Address(),
			ToWallet: f.bob.Address(), Amount: "125000000", Venue: "sep8", RequestId: want}
		if diff := cmp.Diff(wantReq.String(), reqs[len(reqs)-1].String()); diff != "" {
			t.Errorf("check (-want +got):\n%s", diff)
		}
	})

	t.Run("revised: bare payment is wrapped in the sandwich", func(t *testing.T) {
		tx := build(t, f.alice, f.pay(f.alice, f.bob, "3"))
		code, r := f.post(t, tx)
		if code != http.StatusOK || r.Status != StatusRevised || r.Message == "" {
			t.Fatalf("got %d %+v, want 200 revised with a message", code, r)
		}
		got := f.issuerSigned(t, r.Tx)
		want := []string{"OperationTypeSetTrustLineFlags", "OperationTypeSetTrustLineFlags", "OperationTypePayment",
			"OperationTypeSetTrustLineFlags", "OperationTypeSetTrustLineFlags"}
		if diff := cmp.Diff(want, opTypes(got)); diff != "" {
			t.Errorf("revised operations (-want +got):\n%s", diff)
		}
		if got.SequenceNumber() != tx.SequenceNumber() || got.SourceAccount().AccountID != f.alice.Address() {
			t.Errorf("revision changed source or sequence")
		}
		if got.MaxFee() != 5*txnbuild.MinBaseFee {
			t.Errorf("fee = %d, want %d", got.MaxFee(), 5*txnbuild.MinBaseFee)
		}
		// The revision is itself compliant: submitting it (re-signed by the
		// source) gives success.
		resigned, err := got.Sign(network.TestNetworkPassphrase, f.alice)
		if err != nil {
			t.Fatal(err)
		}
		if _, r2 := f.post(t, resigned); r2.Status != StatusSuccess {
			t.Errorf("resubmitted revision: %+v, want success", r2)
		}
	})

	t.Run("pending, then approved", func(t *testing.T) {
		tx := build(t, f.alice, f.pay(f.alice, f.carol, "1"))
		for range 2 {
			code, r := f.post(t, tx)
			if code != http.StatusOK || r.Status != StatusPending || r.CaseID != "case-7" || r.Timeout == nil || *r.Timeout != 3_600_000 ||
				!strings.Contains(r.Message, "case-7") {
				t.Fatalf("got %d %+v, want pending with case-7 and a timeout", code, r)
			}
		}
		f.approved.Store(true)
		if _, r := f.post(t, tx); r.Status != StatusRevised {
			t.Errorf("after approval: %+v, want revised", r)
		}
	})

	t.Run("action_required for an expired KYC", func(t *testing.T) {
		tx := build(t, f.alice, f.pay(f.alice, f.dave, "1"))
		code, r := f.post(t, tx)
		if code != http.StatusOK || r.Status != StatusActionRequired {
			t.Fatalf("got %d %+v, want action_required", code, r)
		}
		if !strings.HasPrefix(r.ActionURL, "https://issuer.example/kyc?") || !strings.Contains(r.ActionURL, f.alice.Address()) {
			t.Errorf("action_url = %q", r.ActionURL)
		}
		if diff := cmp.Diff([]string{"email_address", "given_name", "family_name"}, r.ActionFields); diff != "" {
			t.Errorf("action_fields (-want +got):\n%s", diff)
		}
		if r.ActionMethod != http.MethodPost || r.Tx != "" {
			t.Errorf("method %q tx %q", r.ActionMethod, r.Tx)
		}
	})

	t.Run("rejected with the reason codes", func(t *testing.T) {
		tx := build(t, f.alice, f.pay(f.alice, f.eve, "1"))
		code, r := f.post(t, tx)
		if code != http.StatusBadRequest || r.Status != StatusRejected || r.Tx != "" {
			t.Fatalf("got %d %+v, want 400 rejected", code, r)
		}
		if diff := cmp.Diff([]string{"SANCTIONS_FLAGGED", "KYC_EXPIRED"}, r.ReasonCodes); diff != "" {
			t.Errorf("codes (-want +got):\n%s", diff)
		}
		if !strings.Contains(r.Error, "SANCTIONS_FLAGGED") || len(r.DecisionIDs) != 1 {
			t.Errorf("error %q decision ids %v", r.Error, r.DecisionIDs)
		}
	})
}

func TestTxApproveRejectsUnsafeTransactions(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Decimals = 2 })
	other := txnbuild.CreditAsset{Code: "USD", Issuer: keypair.MustRandom().Address()}
	tests := []struct {
		name string
		tx   func(t *testing.T) *txnbuild.Transaction
		want string
	}{
		{"another asset", func(t *testing.T) *txnbuild.Transaction {
			return build(t, f.alice, &txnbuild.Payment{Destination: f.bob.Address(), Amount: "1", Asset: other})
		}, "pays another asset"},
		{"payment from the issuer", func(t *testing.T) *txnbuild.Transaction {
			return build(t, f.alice, f.pay(f.issuer, f.bob, "1"))
		}, "payment from the issuer"},
		{"sourced by the issuer", func(t *testing.T) *txnbuild.Transaction {
			return build(t, f.issuer, f.pay(f.alice, f.bob, "1"))
		}, "sourced by the issuer"},
		{"extra operation", func(t *testing.T) *txnbuild.Transaction {
			return build(t, f.alice, f.pay(f.alice, f.bob, "1"), &txnbuild.CreateAccount{Destination: f.eve.Address(), Amount: "10"})
		}, "is not approved"},
		{"flags not by the issuer", func(t *testing.T) *txnbuild.Transaction {
			op := f.flags(f.bob, true)
			op.SourceAccount = f.alice.Address()
			return build(t, f.alice, op, f.pay(f.alice, f.bob, "1"))
		}, "not sourced by the issuer"},
		{"partial sandwich", func(t *testing.T) *txnbuild.Transaction {
			return build(t, f.alice, f.flags(f.bob, true), f.pay(f.alice, f.bob, "1"))
		}, "not the authorization sandwich"},
		{"too many decimals", func(t *testing.T) *txnbuild.Transaction {
			return build(t, f.alice, f.pay(f.alice, f.bob, "1.001"))
		}, "more than 2 decimals"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.gw.Requests())
			code, r := f.post(t, tt.tx(t))
			if code != http.StatusBadRequest || r.Status != StatusRejected || r.Tx != "" || !strings.Contains(r.Error, tt.want) {
				t.Errorf("got %d %+v, want rejected containing %q", code, r, tt.want)
			}
			if n := len(f.gw.Requests()); n != before {
				t.Errorf("the gateway was asked %d times", n-before)
			}
		})
	}

	t.Run("amount is mapped to the smallest unit", func(t *testing.T) {
		if _, r := f.post(t, build(t, f.alice, f.pay(f.alice, f.bob, "12.34"))); r.Status != StatusRevised {
			t.Fatalf("got %+v", r)
		}
		reqs := f.gw.Requests()
		if got := reqs[len(reqs)-1].GetAmount(); got != "1234" {
			t.Errorf("amount = %s, want 1234", got)
		}
	})

	t.Run("fee bump and garbage", func(t *testing.T) {
		inner := build(t, f.alice, f.pay(f.alice, f.bob, "1"))
		fb, err := txnbuild.NewFeeBumpTransaction(txnbuild.FeeBumpTransactionParams{Inner: inner, FeeAccount: f.bob.Address(), BaseFee: 200})
		if err != nil {
			t.Fatal(err)
		}
		b64, _ := fb.Base64()
		for _, body := range [][]byte{mustJSON(t, map[string]string{"tx": b64}), mustJSON(t, map[string]string{"tx": "AAAA"}), []byte(`{"nope":1}`), []byte("tx=")} {
			if code, r := f.postRaw(t, "application/json", body); code != http.StatusBadRequest || r.Status != StatusRejected {
				t.Errorf("%s: got %d %+v", body, code, r)
			}
		}
	})

	t.Run("form body is accepted", func(t *testing.T) {
		b64, _ := build(t, f.alice, f.pay(f.alice, f.bob, "1")).Base64()
		form := "tx=" + strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(b64)
		if _, r := f.postRaw(t, "application/x-www-form-urlencoded", []byte(form)); r.Status != StatusRevised {
			t.Errorf("got %+v, want revised", r)
		}
	})
}

func TestTxApproveFailsClosed(t *testing.T) {
	tests := []struct {
		name    string
		breakGW func(*sidecartest.Gateway)
	}{
		{"gateway stopped", func(g *sidecartest.Gateway) { g.Stop() }},
		{"gateway slower than the timeout", func(g *sidecartest.Gateway) { g.SetHang(true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.Gateway.Retries = 0; c.Gateway.Timeout = 200 * time.Millisecond })
			tt.breakGW(f.gw)
			code, r := f.post(t, build(t, f.alice, f.pay(f.alice, f.bob, "1")))
			if code != http.StatusBadRequest || r.Status != StatusRejected || r.Tx != "" {
				t.Fatalf("got %d %+v, want rejected without a tx", code, r)
			}
			if got := counter(t, f.reg, "failed_closed"); got != 1 {
				t.Errorf("failed_closed = %v, want 1", got)
			}
			if got := counter(t, f.reg, "forwarded"); got != 0 {
				t.Errorf("forwarded = %v, want 0", got)
			}
		})
	}
}

func counter(t testing.TB, reg *prometheus.Registry, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "clearance_sidecar_transactions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var adapter, out string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "adapter":
					adapter = l.GetValue()
				case "outcome":
					out = l.GetValue()
				}
			}
			if adapter == "stellar" && out == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
