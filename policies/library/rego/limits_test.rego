package clearance_test

new_holder := {"holding": {"wallet_balance": 0, "unlocked": 0, "investor_balance": 0, "is_holder": false}}

limits_cases := [
	{"name": "balance covers", "patch": {"amount": 10000}, "decision": "ALLOW", "codes": []},
	{"name": "balance short", "patch": {"amount": 10001}, "decision": "DENY", "codes": ["INSUFFICIENT_BALANCE"]},
	{"name": "zero amount", "patch": {"amount": 0}, "decision": "DENY", "codes": ["INVALID_AMOUNT"]},
	{"name": "partial freeze blocks", "patch": {"from": {"wallet": {"frozen_amount": 9001}}}, "decision": "DENY", "codes": ["PARTIAL_FREEZE"]},
	{"name": "partial freeze leaves enough", "patch": {"from": {"wallet": {"frozen_amount": 9000}}}, "decision": "ALLOW", "codes": []},
	{"name": "holder cap reached", "patch": {"asset": {"holder_count": 100}, "to": new_holder}, "decision": "DENY", "codes": ["HOLDER_LIMIT_EXCEEDED"]},
	{"name": "holder cap, existing holder", "patch": {"asset": {"holder_count": 100}}, "decision": "ALLOW", "codes": []},
	{"name": "jurisdiction cap reached", "patch": {"asset": {"holder_count_by_jurisdiction": {"US": 50}}, "to": new_holder}, "decision": "DENY", "codes": ["JURISDICTION_HOLDER_LIMIT_EXCEEDED"]},
	{"name": "jurisdiction cap room", "patch": {"asset": {"holder_count_by_jurisdiction": {"US": 49}}, "to": new_holder}, "decision": "ALLOW", "codes": []},
	{"name": "max balance exceeded", "patch": {"to": {"holding": {"investor_balance": 499001}}}, "decision": "DENY", "codes": ["MAX_BALANCE_EXCEEDED"]},
	{"name": "max balance reached exactly", "patch": {"to": {"holding": {"investor_balance": 499000}}}, "decision": "ALLOW", "codes": []},
	{"name": "below minimum investment", "patch": {"action": "ISSUANCE", "from": null, "amount": 999}, "decision": "DENY", "codes": ["BELOW_MIN_INVESTMENT"]},
	{"name": "minimum investment", "patch": {"action": "ISSUANCE", "from": null, "amount": 1000}, "decision": "ALLOW", "codes": []},
	{"name": "above maximum investment", "patch": {"action": "ISSUANCE", "from": null, "amount": 1000001, "asset": {"max_balance_per_investor": 0}}, "decision": "DENY", "codes": ["ABOVE_MAX_INVESTMENT"]},
	{"name": "reconciliation hold", "patch": {"from": {"hold": true}}, "decision": "DENY", "codes": ["RECONCILIATION_HOLD"]},
]

test_limits_table if {
	f := failures(limits_cases)
	print(f)
	count(f) == 0
}

test_limit_reason_has_observed_and_limit if {
	d := data.clearance.dynamic with input as object.union(base, {"amount": 10001})
	some r in d.deny
	r.code == "INSUFFICIENT_BALANCE"
	r.observed == "10001"
	r.limit == "10000"
	r.policy == "rego/limits/balance"
}
