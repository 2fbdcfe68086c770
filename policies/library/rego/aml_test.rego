package clearance_test

aml_cases := [
	{"name": "low score", "patch": {"from": {"aml": {"score": 39}}}, "decision": "ALLOW", "codes": []},
	{"name": "review band", "patch": {"from": {"aml": {"score": 40}}}, "decision": "REVIEW", "codes": ["AML_REVIEW"]},
	{"name": "escalation band", "patch": {"to": {"aml": {"score": 80}}}, "decision": "REVIEW", "codes": ["AML_ESCALATE"]},
	{"name": "custom bands", "patch": {"asset": {"review_score": 50, "escalate_score": 90}, "from": {"aml": {"score": 85}}}, "decision": "REVIEW", "codes": ["AML_REVIEW"]},
	{"name": "default bands", "patch": {"asset": {"review_score": 0, "escalate_score": 0}, "from": {"aml": {"score": 80}}}, "decision": "REVIEW", "codes": ["AML_ESCALATE"]},
	{"name": "amount 3x exactly", "patch": {"from": {"aml": {"amount_ratio_pct": 300}}}, "decision": "ALLOW", "codes": []},
	{"name": "amount above 3x", "patch": {"from": {"aml": {"amount_ratio_pct": 301}}}, "decision": "REVIEW", "codes": ["AML_AMOUNT_ABOVE_EXPECTED"]},
	{"name": "amount above 6x", "patch": {"from": {"aml": {"amount_ratio_pct": 601}}}, "decision": "REVIEW", "codes": ["AML_AMOUNT_ESCALATE"]},
	{"name": "deny beats review", "patch": {"from": {"aml": {"score": 90}}, "to": {"wallet": {"frozen": true}}}, "decision": "DENY", "codes": ["AML_ESCALATE", "RECIPIENT_FROZEN"]},
]

test_aml_table if {
	f := failures(aml_cases)
	print(f)
	count(f) == 0
}
