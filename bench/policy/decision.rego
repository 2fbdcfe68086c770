# Package bench turns the shipped pack's two entrypoints into one decision,
# exactly as policies.Combine does in Clearance, so `opa run --server` can be
# asked POST /v1/data/bench/decision {"input": <facts>} and compared with
# Clearance verdict for verdict. Used only by the benchmark harness
# (cmd/clearance-bench, scripts/bench.sh).
package bench

static := data.clearance.static

dynamic := data.clearance.dynamic

deny_codes := array.concat([r.code | some r in static.deny], [r.code | some r in dynamic.deny])

review_codes := array.concat([r.code | some r in static.review], [r.code | some r in dynamic.review])

default allowed := false

allowed if static.allow == true

allowed if dynamic.allow == true

effect := "DENY" if {
	count(deny_codes) > 0
} else := "REVIEW" if {
	count(review_codes) > 0
} else := "ALLOW" if {
	allowed
} else := "DENY"

# Combine keeps every deny and review reason; NO_APPLICABLE_RULE only when
# nothing fired and nothing allowed.
no_rule if {
	count(deny_codes) == 0
	count(review_codes) == 0
	not allowed
}

codes := ["NO_APPLICABLE_RULE"] if {
	no_rule
} else := array.concat(deny_codes, review_codes)

decision := {"decision": effect, "codes": sort(codes)}
