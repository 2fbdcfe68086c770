package clearance_test

jurisdiction_cases := [
	{"name": "allowed recipient jurisdiction", "patch": {"to": {"investor": {"jurisdiction": "DE"}}}, "decision": "ALLOW", "codes": []},
	{"name": "recipient outside allow list", "patch": {"to": {"investor": {"jurisdiction": "FR"}}}, "decision": "DENY", "codes": ["JURISDICTION_NOT_ALLOWED"]},
	{"name": "blocked recipient without allow list", "patch": {"asset": {"allowed_jurisdictions": []}, "to": {"investor": {"jurisdiction": "IR"}}}, "decision": "DENY", "codes": ["JURISDICTION_NOT_ALLOWED"]},
	{"name": "any recipient without lists", "patch": {"asset": {"allowed_jurisdictions": [], "blocked_jurisdictions": []}, "to": {"investor": {"jurisdiction": "FR"}}}, "decision": "ALLOW", "codes": []},
	{"name": "sender ignored for recipient-only assets", "patch": {"from": {"investor": {"jurisdiction": "FR"}}}, "decision": "ALLOW", "codes": []},
	{"name": "sender checked with parties both", "patch": {"asset": {"parties": "both"}, "from": {"investor": {"jurisdiction": "FR"}}}, "decision": "DENY", "codes": ["JURISDICTION_NOT_ALLOWED"]},
	{"name": "both parties eligible", "patch": {"asset": {"parties": "both"}}, "decision": "ALLOW", "codes": []},
]

test_jurisdiction_table if {
	f := failures(jurisdiction_cases)
	print(f)
	count(f) == 0
}
