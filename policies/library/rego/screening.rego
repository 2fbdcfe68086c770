# Screening: the precomputed sanctions status of each checked party.
# CONFIRMED denies, POTENTIAL without a live exception reviews, UNAVAILABLE
# fails closed. An empty status means no screening facts were gathered.
# Static scope.
package clearance

static_deny contains reason("SANCTIONS_FLAGGED", sprintf("%s matches a sanctions list entry", [side]), "rego/screening/confirmed") if {
	some side, p in screened
	p.screening.status == "CONFIRMED"
}

static_review contains reason("SANCTIONS_POTENTIAL_MATCH", sprintf("%s potentially matches a sanctions list entry", [side]), "rego/screening/potential") if {
	some side, p in screened
	p.screening.status == "POTENTIAL"
	p.screening.exception != true
}

static_deny contains reason("SCREENING_UNAVAILABLE", sprintf("%s could not be screened", [side]), "rego/screening/unavailable") if {
	some side, p in screened
	p.screening.status == "UNAVAILABLE"
}
