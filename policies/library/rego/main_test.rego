# Shared fixtures of the pack's unit tests: a base input that passes every
# rule (the same facts as policies/testdata/decisions/base.yaml) and helpers
# that evaluate a table of patched inputs.
package clearance_test

import data.clearance

party(addr, id, balance) := {
	"known": true,
	"wallet": {"address": addr, "chain": "evm", "verified": true, "active": true, "frozen": false, "frozen_amount": 0, "version": 1},
	"investor": {
		"known": true, "id": id, "status": "APPROVED", "effective_from": 1735689600, "effective_to": 0,
		"kyc_expires_at": 1798761600, "category": "ACCREDITED", "jurisdiction": "US", "type": "INDIVIDUAL",
		"active": true, "whitelisted": true, "locked_until": 0, "expected_min": 100, "expected_max": 100000, "version": 1,
	},
	"holding": {"wallet_balance": balance, "unlocked": balance, "next_unlock_at": 0, "investor_balance": balance, "is_holder": true},
	"screening": {"status": "CLEAR", "score": 0, "entry": "", "exception": false},
	"aml": {"score": 10, "features": {}, "amount_ratio_pct": 1},
	"hold": false, "is_treasury": false, "is_redemption": false,
}

base := {
	"action": "TRANSFER", "asset_id": "FUND-A", "from_wallet": "0xaaa1", "to_wallet": "0xbbb1",
	"amount": 1000, "venue": "", "now": 1767225600, "list_version": "ofac-2026-01-01",
	"asset": {
		"known": true, "id": "FUND-A", "ticker": "FUNDA", "decimals": 2, "version": 3, "pack": "default",
		"paused_actions": [], "allowed_jurisdictions": ["US", "GB", "DE"], "blocked_jurisdictions": ["KP", "IR"],
		"allowed_categories": ["ACCREDITED", "PROFESSIONAL", "INSTITUTIONAL"], "parties": "recipient",
		"lockup_days": 90, "redeem_in_lockup": false, "max_holders": 100,
		"max_holders_per_jurisdiction": {"US": 50, "GB": 10}, "max_balance_per_investor": 500000,
		"min_investment": 1000, "max_investment": 1000000, "require_whitelist": true,
		"review_score": 40, "escalate_score": 80, "treasury_wallet": "0xtreasury", "redemption_wallet": "0xredeem",
		"holder_count": 40, "holder_count_by_jurisdiction": {"US": 20, "GB": 3}, "conditions": [],
	},
	"from": party("0xaaa1", "inv-alice", 10000),
	"to": party("0xbbb1", "inv-bob", 5000),
}

# outcome evaluates both entrypoints on base patched with patch (deep merge)
# and returns the decision and the set of codes.
outcome(patch) := {"decision": decision(s, d), "codes": codes(s) | codes(d)} if {
	inp := object.union(base, patch)
	s := clearance.static with input as inp
	d := clearance.dynamic with input as inp
}

codes(r) := {x.code | some x in r.deny} | {x.code | some x in r.review}

decision(s, d) := "DENY" if {
	count(s.deny) + count(d.deny) > 0
} else := "REVIEW" if {
	count(s.review) + count(d.review) > 0
} else := "ALLOW" if {
	s.allow
	d.allow
} else := "DENY"

# failures lists the cases of a table whose outcome differs from want.
failures(cases) := {sprintf("%s: got %v, want %v", [c.name, got, want]) |
	some c in cases
	got := outcome(c.patch)
	want := {"decision": c.decision, "codes": {x | some x in c.codes}}
	got != want
}

test_base_allows if {
	outcome({}) == {"decision": "ALLOW", "codes": set()}
}

test_unknown_asset_denies if {
	outcome({"asset": {"known": false}}) == {"decision": "DENY", "codes": {"UNKNOWN"}}
}
