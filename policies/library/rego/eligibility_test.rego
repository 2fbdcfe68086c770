package clearance_test

eligibility_cases := [
	{"name": "approved recipient", "patch": {}, "decision": "ALLOW", "codes": []},
	{"name": "suspended recipient", "patch": {"to": {"investor": {"status": "SUSPENDED"}}}, "decision": "DENY", "codes": ["RECIPIENT_NOT_ELIGIBLE"]},
	{"name": "restricted recipient", "patch": {"to": {"investor": {"status": "RESTRICTED"}}}, "decision": "DENY", "codes": ["RECIPIENT_NOT_ELIGIBLE"]},
	{"name": "suspended sender", "patch": {"from": {"investor": {"status": "SUSPENDED"}}}, "decision": "DENY", "codes": ["SENDER_NOT_ELIGIBLE"]},
	{"name": "unknown recipient wallet", "patch": {"to": {"known": false}}, "decision": "DENY", "codes": ["UNKNOWN"]},
	{"name": "record not yet in force", "patch": {"to": {"investor": {"effective_from": 1767225601}}}, "decision": "DENY", "codes": ["INVESTOR_NOT_EFFECTIVE"]},
	{"name": "record ended at now", "patch": {"to": {"investor": {"effective_to": 1767225600}}}, "decision": "DENY", "codes": ["INVESTOR_NOT_EFFECTIVE"]},
	{"name": "record still in force", "patch": {"to": {"investor": {"effective_to": 1767225601}}}, "decision": "ALLOW", "codes": []},
	{"name": "inactive investor", "patch": {"to": {"investor": {"active": false}}}, "decision": "DENY", "codes": ["INVESTOR_INACTIVE"]},
	{"name": "kyc expired at now", "patch": {"to": {"investor": {"kyc_expires_at": 1767225600}}}, "decision": "DENY", "codes": ["KYC_EXPIRED"]},
	{"name": "kyc valid", "patch": {"to": {"investor": {"kyc_expires_at": 1767225601}}}, "decision": "ALLOW", "codes": []},
	{"name": "kyc missing", "patch": {"to": {"investor": {"kyc_expires_at": 0}}}, "decision": "DENY", "codes": ["KYC_INCOMPLETE"]},
	{"name": "retail category", "patch": {"to": {"investor": {"category": "RETAIL"}}}, "decision": "DENY", "codes": ["CATEGORY_NOT_ALLOWED"]},
	{"name": "institutional category", "patch": {"to": {"investor": {"category": "INSTITUTIONAL"}}}, "decision": "ALLOW", "codes": []},
	{"name": "not whitelisted", "patch": {"to": {"investor": {"whitelisted": false}}}, "decision": "DENY", "codes": ["NOT_WHITELISTED"]},
	{"name": "whitelist off", "patch": {"asset": {"require_whitelist": false}, "to": {"investor": {"whitelisted": false}}}, "decision": "ALLOW", "codes": []},
	{"name": "unverified wallet", "patch": {"to": {"wallet": {"verified": false}}}, "decision": "DENY", "codes": ["WALLET_NOT_VERIFIED"]},
	{"name": "inactive wallet", "patch": {"to": {"wallet": {"active": false}}}, "decision": "DENY", "codes": ["WALLET_INACTIVE"]},
	{"name": "frozen sender", "patch": {"from": {"wallet": {"frozen": true}}}, "decision": "DENY", "codes": ["SENDER_FROZEN"]},
	{"name": "frozen recipient", "patch": {"to": {"wallet": {"frozen": true}}}, "decision": "DENY", "codes": ["RECIPIENT_FROZEN"]},
	{"name": "forced transfer from frozen", "patch": {"action": "FORCED_TRANSFER", "from": {"wallet": {"frozen": true}}}, "decision": "ALLOW", "codes": []},
	{"name": "asset paused", "patch": {"asset": {"paused_actions": ["ALL"]}}, "decision": "DENY", "codes": ["ASSET_PAUSED"]},
	{"name": "action paused", "patch": {"asset": {"paused_actions": ["TRANSFER"]}}, "decision": "DENY", "codes": ["ACTION_PAUSED"]},
	{"name": "other action paused", "patch": {"asset": {"paused_actions": ["BURN"]}}, "decision": "ALLOW", "codes": []},
	{"name": "issuance checks only the recipient", "patch": {"action": "ISSUANCE", "from": null, "to": {"investor": {"kyc_expires_at": 1}}}, "decision": "DENY", "codes": ["KYC_EXPIRED"]},
	{"name": "burn from redemption wallet bypasses eligibility", "patch": {"action": "BURN", "to": null, "from": {"is_redemption": true, "investor": {"known": false}}}, "decision": "ALLOW", "codes": []},
	{"name": "restricted investor redeems", "patch": {"action": "REDEMPTION", "from": {"investor": {"status": "REVOKED"}}, "to": {"is_redemption": true, "investor": {"known": false}}}, "decision": "ALLOW", "codes": []},
	{"name": "revoked investor cannot transfer", "patch": {"from": {"investor": {"status": "REVOKED"}}}, "decision": "DENY", "codes": ["SENDER_NOT_ELIGIBLE"]},
]

test_eligibility_table if {
	f := failures(eligibility_cases)
	print(f)
	count(f) == 0
}
