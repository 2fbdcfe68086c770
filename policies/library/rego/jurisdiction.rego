# Jurisdiction: per-asset allow and block lists, for the recipient and, with
# parties: both, the sender. Static scope.
package clearance

static_deny contains {
	"code": "JURISDICTION_NOT_ALLOWED", "message": sprintf("%s investor jurisdiction is not allowed for this asset", [side]),
	"policy": "rego/jurisdiction/lists", "observed": p.investor.jurisdiction, "limit": "", "reference": "",
} if {
	some side, p in subjects
	not jurisdiction_ok(p.investor.jurisdiction)
}

jurisdiction_ok(j) if {
	allowed_ok(j)
	not j in input.asset.blocked_jurisdictions
}

allowed_ok(_) if count(input.asset.allowed_jurisdictions) == 0

allowed_ok(j) if j in input.asset.allowed_jurisdictions
