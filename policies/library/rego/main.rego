# Package clearance is the shipped compliance pack. Every file of the pack
# contributes reasons to four partial sets (static_deny, static_review,
# dynamic_deny, dynamic_review); the two entrypoints below assemble them.
#
#   data.clearance.static  - eligibility over slowly changing facts (cacheable)
#   data.clearance.dynamic - amounts, balances, lots, caps, AML (fresh each request)
#
# Each entrypoint evaluates to {"allow": bool, "deny": [reason], "review": [reason]}.
package clearance

valid_actions := {"ISSUANCE", "TRANSFER", "REDEMPTION", "DISTRIBUTION", "BURN", "RECOVERY", "FORCED_TRANSFER"}

# The allow vote: the pack applies to the request when the asset is known and
# the action is one it understands. An allow never overrides a deny.
default applies := false

applies if {
	input.asset.known == true
	input.action in valid_actions
}

static := {"allow": applies, "deny": static_deny, "review": static_review}

dynamic := {"allow": applies, "deny": dynamic_deny, "review": dynamic_review}

# reason builds a reason without a limit.
reason(code, msg, policy) := {"code": code, "message": msg, "policy": policy, "observed": "", "limit": "", "reference": ""}

# limit_reason builds a reason with observed and limit values (integers).
limit_reason(code, msg, policy, observed, limit) := {
	"code": code, "message": msg, "policy": policy,
	"observed": format_int(observed, 10), "limit": format_int(limit, 10), "reference": "",
}

# --- which party is checked -------------------------------------------------

# Agent actions: frozen wallets and sender status do not block them.
agent_action if input.action in {"FORCED_TRANSFER", "RECOVERY"}

# A burn from the asset's redemption wallet bypasses eligibility.
burn_bypass if {
	input.action == "BURN"
	input.from.is_redemption == true
}

issuer_wallet(p) if p.is_treasury == true

issuer_wallet(p) if p.is_redemption == true

# The sender side is checked for every action but issuance (and the burn bypass).
sender_checked if {
	is_object(input.from)
	input.action != "ISSUANCE"
	not burn_bypass
}

# An investor sender: the sender is not one of the issuer's own wallets.
investor_sender if {
	sender_checked
	not issuer_wallet(input.from)
}

# The recipient side is checked for every action but burn.
recipient_checked if {
	is_object(input.to)
	input.action != "BURN"
}

investor_recipient if {
	recipient_checked
	not issuer_wallet(input.to)
}

# A redemption, or a transfer to the issuer's redemption wallet, is the exit
# that RESTRICTED and REVOKED investors keep.
redemption_exit if input.action == "REDEMPTION"

redemption_exit if input.to.is_redemption == true

# With parties: both, the sender must be fully eligible too (except on the
# redemption exit and for agent actions).
sender_full if {
	investor_sender
	input.asset.parties == "both"
	not redemption_exit
	not agent_action
}

known_investor(p) if {
	p.known == true
	p.investor.known == true
}

# subjects are the parties whose full eligibility is checked, by side.
subjects["recipient"] := input.to if {
	investor_recipient
	known_investor(input.to)
}

subjects["sender"] := input.from if {
	sender_full
	known_investor(input.from)
}

# screened are the parties whose screening status is checked, by side.
screened["recipient"] := input.to if recipient_checked

screened["sender"] := input.from if sender_checked
