package clearance_test

redeem := {"action": "REDEMPTION", "to": {"is_redemption": true, "investor": {"known": false}}}

lockups_cases := [
	{"name": "unlocked lots cover", "patch": {"from": {"holding": {"unlocked": 1000}}}, "decision": "ALLOW", "codes": []},
	{"name": "lots still locked", "patch": {"from": {"holding": {"unlocked": 999}}}, "decision": "DENY", "codes": ["LOCKED"]},
	{"name": "investor lock running", "patch": {"from": {"investor": {"locked_until": 1767225601}}}, "decision": "DENY", "codes": ["INVESTOR_LOCKED"]},
	{"name": "investor lock ended", "patch": {"from": {"investor": {"locked_until": 1767225600}}}, "decision": "ALLOW", "codes": []},
	{"name": "redemption in lockup refused", "patch": object.union(redeem, {"from": {"holding": {"unlocked": 0}}}), "decision": "DENY", "codes": ["LOCKED"]},
	{"name": "redemption in lockup allowed by asset", "patch": object.union(redeem, {"asset": {"redeem_in_lockup": true}, "from": {"holding": {"unlocked": 0}}}), "decision": "ALLOW", "codes": []},
	{"name": "forced transfer ignores lockup", "patch": {"action": "FORCED_TRANSFER", "from": {"holding": {"unlocked": 0}}}, "decision": "ALLOW", "codes": []},
]

test_lockups_table if {
	f := failures(lockups_cases)
	print(f)
	count(f) == 0
}
