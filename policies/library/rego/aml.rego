# AML: score bands (review at review_score, default 40; escalate at
# escalate_score, default 80) and the amount against the investor's expected
# range (more than 3x reviews, more than 6x escalates). Dynamic scope.
package clearance

review_score := input.asset.review_score if {
	input.asset.review_score > 0
} else := 40

escalate_score := input.asset.escalate_score if {
	input.asset.escalate_score > 0
} else := 80

# Amount bands against the investor's expected range, in percent (per asset;
# defaults 300 and 600: more than 3x reviews, more than 6x escalates).
amount_review_pct := input.asset.aml_review_ratio_pct if {
	input.asset.aml_review_ratio_pct > 0
} else := 300

amount_escalate_pct := input.asset.aml_escalate_ratio_pct if {
	input.asset.aml_escalate_ratio_pct > 0
} else := 600

aml_subjects["recipient"] := input.to if investor_recipient

aml_subjects["sender"] := input.from if investor_sender

dynamic_review contains limit_reason("AML_ESCALATE", sprintf("%s AML score requires escalation", [side]), "rego/aml/score", p.aml.score, escalate_score) if {
	some side, p in aml_subjects
	p.aml.score >= escalate_score
}

dynamic_review contains limit_reason("AML_REVIEW", sprintf("%s AML score requires review", [side]), "rego/aml/score", p.aml.score, review_score) if {
	some side, p in aml_subjects
	p.aml.score >= review_score
	p.aml.score < escalate_score
}

dynamic_review contains limit_reason("AML_AMOUNT_ESCALATE", sprintf("amount is more than 6x the %s expected range", [side]), "rego/aml/amount", p.aml.amount_ratio_pct, amount_escalate_pct) if {
	some side, p in aml_subjects
	p.aml.amount_ratio_pct > amount_escalate_pct
}

dynamic_review contains limit_reason("AML_AMOUNT_ABOVE_EXPECTED", sprintf("amount is more than 3x the %s expected range", [side]), "rego/aml/amount", p.aml.amount_ratio_pct, amount_review_pct) if {
	some side, p in aml_subjects
	p.aml.amount_ratio_pct > amount_review_pct
	p.aml.amount_ratio_pct <= amount_escalate_pct
}
