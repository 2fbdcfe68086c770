# Screening: the precomputed sanctions status of each checked party.
# CONFIRMED denies, POTENTIAL without a live exception reviews, UNAVAILABLE
# fails closed. An empty status means no screening facts were gathered.
# Static scope.
package clearance

static_deny contains entry_reason("SANCTIONS_FLAGGED", sprintf("%s matches a sanctions list entry", [side]), "rego/screening/confirmed", p) if {
	some side, p in screened
	p.screening.status == "CONFIRMED"
}

static_review contains entry_reason("SANCTIONS_POTENTIAL_MATCH", sprintf("%s potentially matches a sanctions list entry", [side]), "rego/screening/potential", p) if {
	some side, p in screened
	p.screening.status == "POTENTIAL"
	p.screening.exception != true
}

static_deny contains reason("SCREENING_UNAVAILABLE", sprintf("%s could not be screened", [side]), "rego/screening/unavailable") if {
	some side, p in screened
	p.screening.status == "UNAVAILABLE"
}

# entry_reason names the matched list entry ("list:id name") as observed.
entry_reason(code, msg, policy, p) := {
	"code": code, "message": msg, "policy": policy,
	"observed": object.get(p.screening, "entry", ""), "limit": "", "reference": "",
}
