package clearance_test

screening_cases := [
	{"name": "clear", "patch": {}, "decision": "ALLOW", "codes": []},
	{"name": "confirmed recipient", "patch": {"to": {"screening": {"status": "CONFIRMED"}}}, "decision": "DENY", "codes": ["SANCTIONS_FLAGGED"]},
	{"name": "confirmed sender", "patch": {"from": {"screening": {"status": "CONFIRMED"}}}, "decision": "DENY", "codes": ["SANCTIONS_FLAGGED"]},
	{"name": "potential recipient", "patch": {"to": {"screening": {"status": "POTENTIAL"}}}, "decision": "REVIEW", "codes": ["SANCTIONS_POTENTIAL_MATCH"]},
	{"name": "potential with exception", "patch": {"to": {"screening": {"status": "POTENTIAL", "exception": true}}}, "decision": "ALLOW", "codes": []},
	{"name": "unavailable", "patch": {"from": {"screening": {"status": "UNAVAILABLE"}}}, "decision": "DENY", "codes": ["SCREENING_UNAVAILABLE"]},
]

test_screening_table if {
	f := failures(screening_cases)
	print(f)
	count(f) == 0
}
