package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// End-to-end scenarios from the seeds (requirements §4.3, §6.2 / T12, §6.5
// / T15, §5 four-eyes), each through the real server's REST APIs on
// loopback: registry facts are created with the registry API, decisions
// come from POST /v1/check, ledger operations from the ledger API, and
// reviews are settled through the review API.

const (
	e2eAsset = "BOND-2030"
	// e2eAlice and e2eAcme hold BOND-2030 from the example ledger seed
	// (25,000.00 and 10,000.00).
	e2eAlice = "0xa11ce00000000000000000000000000000000001"
	e2eAcme  = "0xac3e000000000000000000000000000000000001"
	// e2eSDNAddress is KARASAVIDI, Dmitrii's "Digital Currency Address -
	// ETH" in the bundled OFAC snapshot (examples/sanctions/sdn.csv, 29585).
	e2eSDNAddress = "0xd882cfc20f52f2599d84b8e8d58c7fb62cfe344b"
)

// e2eAPI is a REST client of one running server, as one principal.
type e2eAPI struct {
	t     *testing.T
	base  string
	token string
}

// as returns the client for another bearer token.
func (a e2eAPI) as(token string) e2eAPI { a.token = token; return a }

// call sends a JSON request and decodes the JSON answer.
func (a e2eAPI) call(method, path string, body any) (int, map[string]any) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := map[string]any{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			a.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, m
}

// ok is call that fails the test on a non-2xx answer.
func (a e2eAPI) ok(method, path string, body any) map[string]any {
	a.t.Helper()
	code, m := a.call(method, path, body)
	if code/100 != 2 {
		a.t.Fatalf("%s %s: %d %v", method, path, code, m)
	}
	return m
}

// e2eInvestor is an investor the registry API creates: APPROVED,
// ACCREDITED, in an allowed jurisdiction, KYC valid, whitelisted on
// BOND-2030, with one verified wallet, unless fields override it.
type e2eInvestor struct {
	id, name, wallet string
	fields           map[string]any
}

// onboard creates the investor, its wallet and its whitelist entry.
func (a e2eAPI) onboard(inv e2eInvestor) {
	a.t.Helper()
	body := map[string]any{
		"id": inv.id, "name": inv.name, "status": "APPROVED", "effective_from": "2026-01-01T00:00:00Z",
		"kyc_expires_at": "2031-12-31T00:00:00Z", "category": "ACCREDITED", "jurisdiction": "GB", "type": "INDIVIDUAL",
		"active": true, "expected_min": "100", "expected_max": "10000000",
	}
	for k, v := range inv.fields {
		body[k] = v
	}
	a.ok("POST", "/v1/registry/investors", map[string]any{"investor": body, "reason": "e2e onboarding"})
	if inv.wallet != "" {
		a.ok("POST", "/v1/registry/wallets", map[string]any{"wallet": map[string]any{
			"address": inv.wallet, "investor_id": inv.id, "verified": true, "active": true}, "reason": "e2e wallet"})
	}
	a.ok("POST", "/v1/registry/assets/"+e2eAsset+"/whitelist/"+inv.id, map[string]any{})
}

// patchInvestor updates investor fields at its current version.
func (a e2eAPI) patchInvestor(id string, fields map[string]any) {
	a.t.Helper()
	cur := a.ok("GET", "/v1/registry/investors/"+id, nil)
	v, _ := strconv.ParseInt(fmt.Sprint(cur["version"]), 10, 64)
	a.ok("PATCH", "/v1/registry/investors/"+id, map[string]any{"version": v, "investor": fields, "reason": "e2e change"})
}

// check asks the decision API.
func (a e2eAPI) check(action, from, to string, amount int64) map[string]any {
	a.t.Helper()
	body := map[string]any{"action": action, "asset_id": e2eAsset, "to_wallet": to, "amount": strconv.FormatInt(amount, 10)}
	if from != "" {
		body["from_wallet"] = from
	}
	return a.ok("POST", "/v1/check", body)
}

// transfer runs a ledger transfer (cleared by the gateway).
func (a e2eAPI) transfer(key, from, to string, amount int64) map[string]any {
	a.t.Helper()
	return a.ok("POST", "/v1/assets/"+e2eAsset+"/transfers", map[string]any{
		"from_wallet": from, "to_wallet": to, "amount": strconv.FormatInt(amount, 10), "idempotency_key": key})
}

// balance is a wallet's BOND-2030 balance on the reference ledger.
func (a e2eAPI) balance(wallet string) int64 {
	a.t.Helper()
	m := a.ok("GET", "/v1/assets/"+e2eAsset+"/wallets/"+wallet+"/balance", nil)
	b, _ := m["balance"].(map[string]any)
	v, err := strconv.ParseInt(fmt.Sprint(b["value"]), 10, 64)
	if err != nil {
		a.t.Fatalf("balance of %s: %v", wallet, m)
	}
	return v
}

// eventually polls cond (an asynchronous effect: onboarding screening,
// case settlement) until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}

// e2eReason returns the reason with code, or nil.
func e2eReason(v map[string]any, code string) map[string]any {
	rs, _ := v["reasons"].([]any)
	for _, r := range rs {
		if m, ok := r.(map[string]any); ok && m["code"] == code {
			return m
		}
	}
	return nil
}

// wantVerdict asserts the decision and that every code is among the reasons.
func wantVerdict(t *testing.T, what string, v map[string]any, decision string, codes ...string) {
	t.Helper()
	got := reasonCodes(v)
	ok := v["decision"] == decision
	for _, c := range codes {
		ok = ok && got[c]
	}
	if !ok {
		t.Fatalf("%s: want %s with %v, got %v %v (%v)", what, decision, codes, v["decision"], got, v["reasons"])
	}
}

func e2eWallet(n int) string { return fmt.Sprintf("0x5eed%036x", n) }

func opStatus(m map[string]any) string { return fmt.Sprint(m["status"]) }

// TestE2ESanctionsDecisionTable exercises every row of the seed's
// transfer-time filtering table (requirements §4.3, T13) through the API.
func TestE2ESanctionsDecisionTable(t *testing.T) {
	addr, stop := startServe(t, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	defer stop()
	api := e2eAPI{t: t, base: "http://" + addr}

	// Parties. Confirmed: name and date of birth of SDN 4107
	// "RODRIGUEZ OREJUELA, Gilberto Jose" (DOB 31 Jan 1939).
	confirmed := e2eInvestor{"e2e-confirmed", "Gilberto Jose Rodriguez Orejuela", e2eWallet(1), map[string]any{"date_of_birth": "1939-01-31"}}
	// Potential: the same name, reordered, with no identifier to confirm
	// or contradict it.
	potential := e2eInvestor{"e2e-potential", "Rodriguez Orejuela Gilberto Jose", e2eWallet(2), nil}
	clear := e2eInvestor{"e2e-clear", "Margaret Ellen Thornbury", e2eWallet(3), map[string]any{"date_of_birth": "1980-04-02"}}
	// Entity: SDN 8128 "CUBANACAN U.K. LIMITED", Registration ID 2720485.
	entity := e2eInvestor{"e2e-entity", "Cubanacan U.K. Limited", e2eWallet(4), map[string]any{"type": "ENTITY", "category": "INSTITUTIONAL", "registration_number": "2720485"}}
	// The seed's "Global Trading Holdings" case: the same entity name, but
	// the registration number and the country contradict the listing.
	lookalike := e2eInvestor{"e2e-lookalike", "Cubanacan UK Ltd", e2eWallet(7), map[string]any{"type": "ENTITY", "category": "INSTITUTIONAL", "jurisdiction": "DE", "registration_number": "HRB-99887"}}
	// A restricted intermediary: the custodian that owns the recipient
	// wallet is RESTRICTED in the registry.
	intermediary := e2eInvestor{"e2e-intermediary", "Northgate Settlement Custody Ltd", e2eWallet(5), map[string]any{"type": "ENTITY", "category": "INSTITUTIONAL", "status": "RESTRICTED"}}
	// A wallet on the OFAC list's digital currency addresses, owned by an
	// investor whose name is clean.
	addrHit := e2eInvestor{"e2e-address", "Peter Lindqvist", e2eSDNAddress, map[string]any{"date_of_birth": "1975-10-10"}}
	// A sender that is clean when funded and then potentially matches.
	sender := e2eInvestor{"e2e-sender", "Harriet Quinlan", e2eWallet(6), nil}
	// Entities whose own names are clean, with beneficial owners. One owner
	// is SDN 22790 "MADURO MOROS, Nicolas" by name, date of birth
	// (23 Nov 1962) and citizenship; the other entity starts with a clean
	// owner only.
	boConfirmed := e2eInvestor{"e2e-bo-confirmed", "Harbour Lane Holdings Ltd", e2eWallet(8), map[string]any{"type": "ENTITY", "category": "INSTITUTIONAL",
		"registration_number": "HL-771203", "beneficial_owners": []any{
			map[string]any{"name": "Ada Fairbairn", "date_of_birth": "1969-07-14", "nationality": "GB", "ownership_bp": "5100", "role": "owner"},
			map[string]any{"name": "Nicolas Maduro Moros", "date_of_birth": "1962-11-23", "nationality": "VE", "ownership_bp": "4900", "role": "owner"},
		}}}
	boPotential := e2eInvestor{"e2e-bo-potential", "Kestrel Park Investments Ltd", e2eWallet(9), map[string]any{"type": "ENTITY", "category": "INSTITUTIONAL",
		"registration_number": "KP-550912", "beneficial_owners": []any{
			map[string]any{"name": "Ada Fairbairn", "date_of_birth": "1969-07-14", "nationality": "GB", "ownership_bp": "10000", "role": "owner"},
		}}}
	for _, inv := range []e2eInvestor{confirmed, potential, clear, entity, lookalike, intermediary, addrHit, sender, boConfirmed, boPotential} {
		api.onboard(inv)
	}
	const amt = 100000

	t.Run("confirmed recipient blocks", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, confirmed.wallet, amt)
		wantVerdict(t, "confirmed recipient", v, "DENY", "SANCTIONS_FLAGGED")
		if r := e2eReason(v, "SANCTIONS_FLAGGED"); !strings.Contains(fmt.Sprint(r["observed"]), "RODRIGUEZ OREJUELA") {
			t.Errorf("the reason does not name the list entry: %v", r)
		}
	})
	t.Run("confirmed sender blocks", func(t *testing.T) {
		v := api.check("TRANSFER", confirmed.wallet, e2eAcme, amt)
		wantVerdict(t, "confirmed sender", v, "DENY", "SANCTIONS_FLAGGED")
		if r := e2eReason(v, "SANCTIONS_FLAGGED"); !strings.HasPrefix(fmt.Sprint(r["message"]), "sender") {
			t.Errorf("want the sender's match: %v", r)
		}
	})
	t.Run("potential recipient, clear sender reviews and opens a case", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, potential.wallet, amt)
		wantVerdict(t, "potential recipient", v, "REVIEW", "SANCTIONS_POTENTIAL_MATCH")
		if e2eReason(v, "SANCTIONS_FLAGGED") != nil {
			t.Errorf("a potential match must not block: %v", v["reasons"])
		}
		id, _ := v["case_id"].(string)
		if id == "" {
			t.Fatalf("REVIEW without a case: %v", v)
		}
		c, _ := api.ok("GET", "/v1/cases/"+id, nil)["case"].(map[string]any)
		if c["decision_id"] != v["decision_id"] || c["status"] != "CASE_STATUS_OPEN" {
			t.Errorf("case %v", c)
		}
	})
	t.Run("potential sender, clear recipient reviews", func(t *testing.T) {
		// Funded while clean, then renamed to the near match: the
		// registry write re-screens the investor (onboarding screen).
		if op := api.transfer("e2e-fund-sender", e2eAlice, sender.wallet, 500000); opStatus(op) != "OPERATION_STATUS_APPLIED" {
			t.Fatalf("funding: %v", op)
		}
		if v := api.check("TRANSFER", sender.wallet, clear.wallet, amt); v["decision"] != "ALLOW" {
			t.Fatalf("clean sender: %v", v)
		}
		api.patchInvestor(sender.id, map[string]any{"name": "Gilberto Jose Rodriguez Orejuela"})
		var v map[string]any
		eventually(t, "the renamed sender to be re-screened", func() bool {
			v = api.check("TRANSFER", sender.wallet, clear.wallet, amt)
			return v["decision"] != "ALLOW"
		})
		wantVerdict(t, "potential sender", v, "REVIEW", "SANCTIONS_POTENTIAL_MATCH")
		if r := e2eReason(v, "SANCTIONS_POTENTIAL_MATCH"); !strings.HasPrefix(fmt.Sprint(r["message"]), "sender") {
			t.Errorf("want the sender's potential match: %v", r)
		}
	})
	t.Run("no match on either side allows", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, clear.wallet, amt)
		wantVerdict(t, "clear", v, "ALLOW")
		if len(v["reasons"].([]any)) != 0 {
			t.Errorf("clear transfer has reasons: %v", v["reasons"])
		}
	})
	t.Run("entity confirmed by registration number blocks", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, entity.wallet, amt)
		wantVerdict(t, "entity", v, "DENY", "SANCTIONS_FLAGGED")
		if r := e2eReason(v, "SANCTIONS_FLAGGED"); !strings.Contains(strings.ToUpper(fmt.Sprint(r["observed"])), "CUBANACAN") {
			t.Errorf("the reason does not name the list entry: %v", r)
		}
	})
	t.Run("entity with contradicting identifiers is downgraded to review", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, lookalike.wallet, amt)
		wantVerdict(t, "lookalike entity", v, "REVIEW", "SANCTIONS_POTENTIAL_MATCH")
		if e2eReason(v, "SANCTIONS_FLAGGED") != nil {
			t.Errorf("contradicting identifiers must not confirm: %v", v["reasons"])
		}
	})
	t.Run("beneficial owner confirmed blocks the entity", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, boConfirmed.wallet, amt)
		wantVerdict(t, "entity with a sanctioned owner", v, "DENY", "SANCTIONS_FLAGGED")
		obs := fmt.Sprint(e2eReason(v, "SANCTIONS_FLAGGED")["observed"])
		if !strings.HasPrefix(obs, "owner Nicolas Maduro Moros: ") || !strings.Contains(obs, "22790") {
			t.Errorf("the reason does not name the owner and the list entry (SDN 22790): %q", obs)
		}
		// The ledger refuses the same transfer.
		op := api.transfer("e2e-bo-confirmed", e2eAlice, boConfirmed.wallet, amt)
		if opStatus(op) != "OPERATION_STATUS_REJECTED" || e2eReason(op, "SANCTIONS_FLAGGED") == nil {
			t.Errorf("ledger transfer to an entity with a sanctioned owner: %v", op)
		}
	})
	t.Run("new beneficial owner with a potential match reviews", func(t *testing.T) {
		// Clean entity, clean owner: allowed.
		if v := api.check("TRANSFER", e2eAlice, boPotential.wallet, amt); v["decision"] != "ALLOW" {
			t.Fatalf("entity with clean owners: %v", v)
		}
		// A new owner is a material change: the registry write re-screens
		// the entity. A misspelt name with no identifier is only a
		// potential match.
		api.patchInvestor(boPotential.id, map[string]any{"beneficial_owners": []any{
			map[string]any{"name": "Ada Fairbairn", "date_of_birth": "1969-07-14", "nationality": "GB", "ownership_bp": "5000", "role": "owner"},
			map[string]any{"name": "Nicolas Madurro Moros", "ownership_bp": "3000", "role": "controller"},
		}})
		var v map[string]any
		eventually(t, "the entity to be re-screened with its new owner", func() bool {
			v = api.check("TRANSFER", e2eAlice, boPotential.wallet, amt)
			return v["decision"] != "ALLOW"
		})
		wantVerdict(t, "entity with a near-match owner", v, "REVIEW", "SANCTIONS_POTENTIAL_MATCH")
		if e2eReason(v, "SANCTIONS_FLAGGED") != nil {
			t.Errorf("a potential owner match must not block: %v", v["reasons"])
		}
		obs := fmt.Sprint(e2eReason(v, "SANCTIONS_POTENTIAL_MATCH")["observed"])
		if !strings.HasPrefix(obs, "owner Nicolas Madurro Moros: ") || !strings.Contains(obs, "MADURO MOROS") {
			t.Errorf("the reason does not name the owner and the list entry: %q", obs)
		}
		if id, _ := v["case_id"].(string); id == "" {
			t.Errorf("REVIEW without a case: %v", v)
		}
	})
	t.Run("restricted intermediary blocks", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, intermediary.wallet, amt)
		wantVerdict(t, "restricted intermediary", v, "DENY", "RECIPIENT_NOT_ELIGIBLE")
		if r := e2eReason(v, "RECIPIENT_NOT_ELIGIBLE"); r["observed"] != "RESTRICTED" {
			t.Errorf("want observed RESTRICTED: %v", r)
		}
	})
	t.Run("wallet on the OFAC digital currency addresses is denied", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, addrHit.wallet, amt)
		wantVerdict(t, "address hit", v, "DENY", "SANCTIONS_FLAGGED")
		r := e2eReason(v, "SANCTIONS_FLAGGED")
		if obs := fmt.Sprint(r["observed"]); !strings.Contains(obs, "29585") || !strings.Contains(obs, "KARASAVIDI") {
			t.Errorf("the verdict does not name the list entry (SDN 29585 KARASAVIDI): %v", r)
		}
		lv, _ := v["list_version"].(string)
		if lv == "" {
			t.Fatalf("no list_version: %v", v)
		}
		// The decision record keeps the verdict and its list version.
		rec := api.ok("GET", "/v1/decisions/"+v["decision_id"].(string), nil)
		if rv, _ := rec["verdict"].(map[string]any); rv["list_version"] != lv || rv["decision"] != "DENY" {
			t.Errorf("decision record: %v", rec["verdict"])
		}
		// The ledger rejects the same transfer and moves nothing.
		before := api.balance(e2eAlice)
		op := api.transfer("e2e-address-hit", e2eAlice, addrHit.wallet, amt)
		if opStatus(op) != "OPERATION_STATUS_REJECTED" || e2eReason(op, "SANCTIONS_FLAGGED") == nil {
			t.Errorf("ledger transfer to a listed address: %v", op)
		}
		if api.balance(e2eAlice) != before || api.balance(addrHit.wallet) != 0 {
			t.Errorf("a denied transfer moved tokens")
		}
	})
}

// TestE2EAMLScoring runs the seed's §6.2 scoring scenarios A and B (T12);
// scenario C (6x plus fan-out) is TestE2EFourEyes, where it escalates.
func TestE2EAMLScoring(t *testing.T) {
	addr, stop := startServe(t, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	defer stop()
	api := e2eAPI{t: t, base: "http://" + addr}

	t.Run("A: a normal transfer passes", func(t *testing.T) {
		v := api.check("TRANSFER", e2eAlice, e2eAcme, 250000)
		wantVerdict(t, "normal transfer", v, "ALLOW")
		for code := range reasonCodes(v) {
			if strings.HasPrefix(code, "AML_") {
				t.Errorf("AML alert on a normal transfer: %v", v["reasons"])
			}
		}
		a, b := api.balance(e2eAlice), api.balance(e2eAcme)
		op := api.transfer("e2e-normal", e2eAlice, e2eAcme, 250000)
		if opStatus(op) != "OPERATION_STATUS_APPLIED" {
			t.Fatalf("normal transfer: %v", op)
		}
		if api.balance(e2eAlice) != a-250000 || api.balance(e2eAcme) != b+250000 {
			t.Errorf("balances did not move by 250000")
		}
	})
	t.Run("B: a new wallet that is not onboarded is blocked", func(t *testing.T) {
		x := e2eWallet(99)
		v := api.check("TRANSFER", e2eAlice, x, 100000)
		wantVerdict(t, "unonboarded wallet", v, "DENY", "UNKNOWN")
		op := api.transfer("e2e-unonboarded", e2eAlice, x, 100000)
		if opStatus(op) != "OPERATION_STATUS_REJECTED" || api.balance(x) != 0 {
			t.Errorf("ledger transfer to an unonboarded wallet: %v", op)
		}
	})
}

// TestE2EOnboardingToRevocation is the seed's §6.5 flow (T15): onboard,
// eligible, transfer to an own second wallet, revoke (cannot receive,
// cannot send, can redeem, balance retained), reinstate.
func TestE2EOnboardingToRevocation(t *testing.T) {
	data := t.TempDir()
	addr, stop := startServe(t, "--listen", "127.0.0.1:0", "--data-dir", data)
	defer func() { stop() }()
	api := e2eAPI{t: t, base: "http://" + addr}
	fund := e2eInvestor{"e2e-fund", "Meridian Example Fund Management Ltd", e2eWallet(10), map[string]any{
		"type": "ENTITY", "category": "PROFESSIONAL", "status": "PENDING", "registration_number": "FM-2026-0042"}}
	api.onboard(fund)
	second := e2eWallet(11)
	api.ok("POST", "/v1/registry/wallets", map[string]any{"wallet": map[string]any{"address": second, "investor_id": fund.id, "verified": true, "active": true}})

	// Pending: an issuance (pre-mint check) and a transfer are blocked.
	wantVerdict(t, "pending issuance", api.check("ISSUANCE", "", fund.wallet, 1000000), "DENY", "RECIPIENT_NOT_ELIGIBLE")
	if op := api.transfer("e2e-ob-pending", e2eAlice, fund.wallet, 1000000); opStatus(op) != "OPERATION_STATUS_REJECTED" {
		t.Fatalf("transfer to a PENDING investor: %v", op)
	}

	// Approved: eligible from now on.
	api.patchInvestor(fund.id, map[string]any{"status": "APPROVED"})
	wantVerdict(t, "approved issuance", api.check("ISSUANCE", "", fund.wallet, 1000000), "ALLOW")
	if op := api.transfer("e2e-ob-fund", e2eAlice, fund.wallet, 1000000); opStatus(op) != "OPERATION_STATUS_APPLIED" {
		t.Fatalf("transfer to the approved investor: %v", op)
	}
	// The fund moves 1,250.00 to its own second wallet.
	if op := api.transfer("e2e-ob-own", fund.wallet, second, 125000); opStatus(op) != "OPERATION_STATUS_APPLIED" {
		t.Fatalf("transfer to its own second wallet: %v", op)
	}
	if api.balance(fund.wallet) != 875000 || api.balance(second) != 125000 {
		t.Fatalf("balances %d %d", api.balance(fund.wallet), api.balance(second))
	}

	// Time passes: the sanctions alert comes later. (A restart empties the
	// in-process AML windows; otherwise the fund's receipt, its move to the
	// second wallet and the redemption within one hour score as rapid
	// in-and-out plus fan-out, and the redemption is held for AML review.)
	stop()
	addr, stop = startServe(t, "--listen", "127.0.0.1:0", "--data-dir", data)
	api.base = "http://" + addr

	// Revoked (sanctions alert): cannot receive, cannot send, balance kept.
	api.patchInvestor(fund.id, map[string]any{"status": "REVOKED"})
	v := api.check("TRANSFER", e2eAlice, fund.wallet, 100000)
	wantVerdict(t, "revoked recipient", v, "DENY", "RECIPIENT_NOT_ELIGIBLE")
	aliceBefore := api.balance(e2eAlice)
	if op := api.transfer("e2e-ob-to-revoked", e2eAlice, fund.wallet, 100000); opStatus(op) != "OPERATION_STATUS_REJECTED" {
		t.Fatalf("transfer to a revoked investor: %v", op)
	}
	wantVerdict(t, "revoked sender", api.check("TRANSFER", fund.wallet, e2eAcme, 100000), "DENY", "SENDER_NOT_ELIGIBLE")
	if op := api.transfer("e2e-ob-from-revoked", fund.wallet, e2eAcme, 100000); opStatus(op) != "OPERATION_STATUS_REJECTED" {
		t.Fatalf("transfer from a revoked investor: %v", op)
	}
	if api.balance(fund.wallet) != 875000 || api.balance(e2eAlice) != aliceBefore {
		t.Fatalf("a rejected transfer moved tokens")
	}
	// ...but it can redeem: the exit REVOKED investors keep.
	before := api.ok("GET", "/v1/assets/"+e2eAsset+"/balance", nil)
	op := api.ok("POST", "/v1/assets/"+e2eAsset+"/redemptions", map[string]any{"wallet": fund.wallet, "amount": "375000", "idempotency_key": "e2e-ob-redeem"})
	if opStatus(op) != "OPERATION_STATUS_APPLIED" {
		t.Fatalf("redemption by a revoked investor: %v", op)
	}
	after := api.ok("GET", "/v1/assets/"+e2eAsset+"/balance", nil)
	bucket := func(m map[string]any, name string) int64 {
		v, _ := strconv.ParseInt(fmt.Sprint(m[name].(map[string]any)["value"]), 10, 64)
		return v
	}
	if api.balance(fund.wallet) != 500000 || bucket(after, "redeemed")-bucket(before, "redeemed") != 375000 ||
		bucket(before, "distributed")-bucket(after, "distributed") != 375000 {
		t.Fatalf("redemption: wallet %d, buckets %v -> %v", api.balance(fund.wallet), before, after)
	}

	// Reinstated: it can receive again.
	api.patchInvestor(fund.id, map[string]any{"status": "APPROVED"})
	wantVerdict(t, "reinstated", api.check("TRANSFER", e2eAlice, fund.wallet, 100000), "ALLOW")
}

// e2eTokens are the bearer tokens of TestE2EFourEyes.
const (
	e2eOpsToken = "e2e-ops-token-0123456789"
	e2eRevA     = "e2e-reviewer-a-0123456789"
	e2eRevB     = "e2e-reviewer-b-0123456789"
)

// TestE2EFourEyes: a near-match name and a high-risk transfer (the seed's
// 6x-plus-fan-out scenario, T12) go to REVIEW and park their ledger
// transfers PENDING_REVIEW; the requester cannot approve, one reviewer
// cannot release, and a second, different reviewer releases each exactly
// once.
func TestE2EFourEyes(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	// Four-eyes from risk 40 (the configured level), so the near-match case
	// (sanctions potential) needs two reviewers too; the 6x case scores 80.
	if err := os.WriteFile(cfg, []byte(`auth:
  tokens:
    - {name: ops, roles: [admin, agent, venue, compliance, reviewer], token: `+e2eOpsToken+`}
    - {name: reviewer-a, roles: [reviewer], token: `+e2eRevA+`}
    - {name: reviewer-b, roles: [reviewer], token: `+e2eRevB+`}
review:
  four_eyes_risk: 40
`), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	addr, stop := startServe(t, "--listen", "127.0.0.1:0", "--data-dir", data, "--config", cfg)
	api := e2eAPI{t: t, base: "http://" + addr, token: e2eOpsToken}
	if code, _ := api.as("").call("GET", "/v1/cases", nil); code != http.StatusUnauthorized {
		t.Fatalf("anonymous call with tokens configured: %d", code)
	}

	// The sender of the 6x scenario: an entity (profile 20) with an
	// expected range of 1,000.00 per transaction, holding 10,000.00 from
	// long ago (funded before its expected range was set, and before a
	// restart that empties the in-process velocity windows).
	s := e2eInvestor{"e2e-s", "Halvorsen Shipping Holdings Pte Ltd", e2eWallet(20), map[string]any{
		"type": "ENTITY", "category": "INSTITUTIONAL", "jurisdiction": "SG", "registration_number": "SG-201912345K"}}
	api.onboard(s)
	recips := []e2eInvestor{
		{"e2e-r1", "Ingrid Solberg", e2eWallet(21), map[string]any{"expected_max": "1000000000"}},
		{"e2e-r2", "Tomas Ekholm", e2eWallet(22), map[string]any{"expected_max": "1000000000"}},
		{"e2e-r3", "Lucia Ferrante", e2eWallet(23), map[string]any{"expected_max": "1000000000"}},
	}
	for _, r := range recips {
		api.onboard(r)
	}
	near := e2eInvestor{"e2e-near", "Gilberto Jose Rodriguez Orejuela", e2eWallet(24), nil}
	api.onboard(near)
	if op := api.transfer("e2e-fe-fund", e2eAlice, s.wallet, 1000000); opStatus(op) != "OPERATION_STATUS_APPLIED" {
		t.Fatalf("funding: %v", op)
	}
	api.patchInvestor(s.id, map[string]any{"expected_max": "100000"})
	stop()
	addr, stop = startServe(t, "--listen", "127.0.0.1:0", "--data-dir", data, "--config", cfg)
	defer stop()
	api.base = "http://" + addr

	// Near-match name: REVIEW, parked, four-eyes.
	t.Run("near-match name", func(t *testing.T) {
		op := api.transfer("e2e-fe-near", e2eAlice, near.wallet, 100000)
		if opStatus(op) != "OPERATION_STATUS_PENDING_REVIEW" || e2eReason(op, "SANCTIONS_POTENTIAL_MATCH") == nil {
			t.Fatalf("near-match transfer: %v", op)
		}
		fourEyes(t, api, op, e2eAlice, near.wallet, 100000)
	})

	// 6x the expected range plus fan-out to three new wallets: escalated.
	t.Run("6x plus fan-out", func(t *testing.T) {
		for i, r := range recips[:2] {
			if op := api.transfer(fmt.Sprintf("e2e-fe-fan-%d", i), s.wallet, r.wallet, 50000); opStatus(op) != "OPERATION_STATUS_APPLIED" {
				t.Fatalf("fan-out transfer %d: %v", i+1, op)
			}
		}
		op := api.transfer("e2e-fe-6x", s.wallet, recips[2].wallet, 650000)
		if opStatus(op) != "OPERATION_STATUS_PENDING_REVIEW" {
			t.Fatalf("6x plus fan-out: %v", op)
		}
		esc, amt := e2eReason(op, "AML_ESCALATE"), e2eReason(op, "AML_AMOUNT_ESCALATE")
		if esc == nil || amt == nil || !strings.HasPrefix(fmt.Sprint(esc["message"]), "sender") || amt["observed"] != "650" {
			t.Fatalf("want AML_ESCALATE (sender) and AML_AMOUNT_ESCALATE (650%% of the range): %v", op["reasons"])
		}
		fourEyes(t, api, op, s.wallet, recips[2].wallet, 650000)
	})
}

// fourEyes settles a parked ledger operation through the review API: the
// requester's approval is refused, one reviewer does not release it, a
// second different reviewer releases it once, and repeats change nothing.
func fourEyes(t *testing.T, api e2eAPI, op map[string]any, from, to string, amount int64) {
	t.Helper()
	opID, caseID, decID := fmt.Sprint(op["operation_id"]), fmt.Sprint(op["case_id"]), fmt.Sprint(op["decision_id"])
	if caseID == "" || opID == "" || decID == "" {
		t.Fatalf("parked operation without case or decision: %v", op)
	}
	fromBefore, toBefore := api.balance(from), api.balance(to)
	c, _ := api.ok("GET", "/v1/cases/"+caseID, nil)["case"].(map[string]any)
	if n, _ := c["required_approvals"].(float64); n != 2 || c["requested_by"] != "ops" {
		t.Fatalf("case %s: required_approvals %v requested_by %v (risk %v)", caseID, c["required_approvals"], c["requested_by"], c["risk_score"])
	}
	approve := func(token string) (int, map[string]any) {
		return api.as(token).call("POST", "/v1/cases/"+caseID+":approve", map[string]any{"note": "e2e review"})
	}
	pending := func(stage string) {
		t.Helper()
		got := api.ok("GET", "/v1/ledger/operations/"+opID, nil)
		if opStatus(got) != "OPERATION_STATUS_PENDING_REVIEW" || api.balance(from) != fromBefore || api.balance(to) != toBefore {
			t.Fatalf("%s: operation %s, balances %d %d (before %d %d)", stage, opStatus(got), api.balance(from), api.balance(to), fromBefore, toBefore)
		}
	}
	// The requester cannot approve their own request.
	if code, m := approve(e2eOpsToken); code/100 == 2 {
		t.Fatalf("self-approval accepted: %v", m)
	}
	pending("after the self-approval")
	// One reviewer is not enough, and cannot approve twice.
	if code, m := approve(e2eRevA); code/100 != 2 {
		t.Fatalf("first approval: %d %v", code, m)
	}
	pending("after one approval")
	if code, _ := approve(e2eRevA); code/100 == 2 {
		t.Fatalf("the same reviewer approved twice")
	}
	pending("after the same reviewer again")
	// A second, different reviewer releases it.
	if code, m := approve(e2eRevB); code/100 != 2 {
		t.Fatalf("second approval: %d %v", code, m)
	}
	eventually(t, "the approved operation to execute", func() bool {
		return opStatus(api.ok("GET", "/v1/ledger/operations/"+opID, nil)) != "OPERATION_STATUS_PENDING_REVIEW"
	})
	got := api.ok("GET", "/v1/ledger/operations/"+opID, nil)
	if opStatus(got) != "OPERATION_STATUS_APPLIED" {
		t.Fatalf("approved operation: %v", got)
	}
	if api.balance(from) != fromBefore-amount || api.balance(to) != toBefore+amount {
		t.Fatalf("balances after release %d %d, want %d %d", api.balance(from), api.balance(to), fromBefore-amount, toBefore+amount)
	}
	// GetDecision shows the final outcome.
	eventually(t, "the decision's final outcome", func() bool {
		rec := api.ok("GET", "/v1/decisions/"+decID, nil)
		return rec["final_decision"] == "ALLOW"
	})
	// Exactly once: more approvals and replaying the request move nothing.
	approve(e2eRevB)
	approve(e2eRevA)
	req := got["idempotency_key"]
	again := api.transfer(fmt.Sprint(req), from, to, amount)
	if again["replayed"] != true || again["operation_id"] != opID {
		t.Errorf("replay of the released request: %v", again)
	}
	if api.balance(from) != fromBefore-amount || api.balance(to) != toBefore+amount {
		t.Fatalf("released twice: balances %d %d", api.balance(from), api.balance(to))
	}
	final, _ := api.ok("GET", "/v1/cases/"+caseID, nil)["case"].(map[string]any)
	if final["status"] != "CASE_STATUS_APPROVED" || len(final["approvals"].([]any)) != 2 {
		t.Errorf("case after release: %v %v", final["status"], final["approvals"])
	}
}
