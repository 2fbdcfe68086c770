package main

import (
	"net/http"
	"testing"
	"time"
)

// TestAggregateAcrossChainsAndReconciliationHold: holdings that a sidecar
// reports on an external chain count toward the investor's maximum balance,
// and an open reconciliation exception holds the wallet until resolved.
func TestAggregateAcrossChainsAndReconciliationHold(t *testing.T) {
	addr, stop := startServe(t, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	defer stop()
	base := "http://" + addr
	issue := `{"action":"ISSUANCE","asset_id":"BOND-2030","to_wallet":"` + aliceW + `","amount":"100000"}`
	if m := postJSON(t, base+"/v1/check", issue); m["decision"] != "ALLOW" {
		t.Fatalf("before the chain report: %v", m)
	}
	// Alice holds 2,500,000 on the reference ledger (example seed); the EVM
	// sidecar reports 97,500,000 more on chain: 100,000,000 is the maximum.
	st, m := doJSON(t, http.MethodPost, base+"/v1/observations/balances",
		`{"chain":"evm","asset_id":"BOND-2030","wallet":"`+aliceW+`","balance":"97500000","observed_at":"`+time.Now().UTC().Format(time.RFC3339)+`","block":"10"}`)
	if st != 200 {
		t.Fatalf("report balance: %d %v", st, m)
	}
	got := postJSON(t, base+"/v1/check", issue)
	if got["decision"] != "DENY" || !reasonCodes(got)["MAX_BALANCE_EXCEEDED"] {
		t.Fatalf("over the maximum on two ledgers combined: %v", got)
	}

	// A reconciliation exception on Alice's wallet holds her transfers.
	transfer := `{"action":"TRANSFER","asset_id":"BOND-2030","from_wallet":"` + aliceW + `","to_wallet":"0xac3e000000000000000000000000000000000001","amount":"100000"}`
	if m := postJSON(t, base+"/v1/check", transfer); m["decision"] != "ALLOW" {
		t.Fatalf("transfer before the exception: %v", m)
	}
	st, ex := doJSON(t, http.MethodPost, base+"/v1/reconciliation/exceptions",
		`{"asset_id":"BOND-2030","wallet":"`+aliceW+`","chain":"evm","item":"balance","expected":"97500000","observed":"97400000","difference":"-100000"}`)
	if st != 200 {
		t.Fatalf("record exception: %d %v", st, ex)
	}
	got = postJSON(t, base+"/v1/check", transfer)
	if got["decision"] != "DENY" || !reasonCodes(got)["RECONCILIATION_HOLD"] {
		t.Fatalf("held wallet: %v", got)
	}
	id := exceptionID(ex)
	if id == "" {
		t.Fatalf("no exception id in %v", ex)
	}
	st, m = doJSON(t, http.MethodPost, base+"/v1/reconciliation/exceptions/"+id+":resolve", `{"note":"chain re-read, ledger corrected"}`)
	if st != 200 {
		t.Fatalf("resolve: %d %v", st, m)
	}
	if m := postJSON(t, base+"/v1/check", transfer); m["decision"] != "ALLOW" {
		t.Fatalf("after resolution: %v", m)
	}
}

func exceptionID(m map[string]any) string {
	if id, ok := m["id"].(string); ok {
		return id
	}
	for _, v := range m {
		if sub, ok := v.(map[string]any); ok {
			if id, ok := sub["id"].(string); ok {
				return id
			}
		}
	}
	return ""
}
