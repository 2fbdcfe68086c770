# Eligibility: known parties, investor status and effective dates, KYC,
# category, whitelist, wallet verified/active/frozen, pause. Static scope.
package clearance

# --- unknown facts ------------------------------------------------------------

static_deny contains reason("UNKNOWN", "asset is unknown", "rego/eligibility/unknown_asset") if {
	input.asset.known != true
}

static_deny contains reason("UNKNOWN", "sender is missing", "rego/eligibility/missing_party") if {
	input.action != "ISSUANCE"
	not is_object(input.from)
}

static_deny contains reason("UNKNOWN", "recipient is missing", "rego/eligibility/missing_party") if {
	input.action != "BURN"
	not is_object(input.to)
}

static_deny contains reason("UNKNOWN", "sender wallet is unknown", "rego/eligibility/unknown_wallet") if {
	sender_checked
	input.from.known != true
}

static_deny contains reason("UNKNOWN", "recipient wallet is unknown", "rego/eligibility/unknown_wallet") if {
	recipient_checked
	input.to.known != true
}

static_deny contains reason("UNKNOWN", "sender investor is unknown", "rego/eligibility/unknown_investor") if {
	investor_sender
	input.from.known == true
	input.from.investor.known != true
}

static_deny contains reason("UNKNOWN", "recipient investor is unknown", "rego/eligibility/unknown_investor") if {
	investor_recipient
	input.to.known == true
	input.to.investor.known != true
}

# --- investor status ------------------------------------------------------------

static_deny contains limit_status("RECIPIENT_NOT_ELIGIBLE", "recipient investor status does not allow receiving", input.to.investor.status, "APPROVED") if {
	investor_recipient
	known_investor(input.to)
	input.to.investor.status != "APPROVED"
}

sender_statuses := {"APPROVED", "RESTRICTED", "REVOKED"} if {
	redemption_exit
} else := {"APPROVED"}

static_deny contains limit_status("SENDER_NOT_ELIGIBLE", "sender investor status does not allow sending", input.from.investor.status, "APPROVED") if {
	investor_sender
	not agent_action
	known_investor(input.from)
	not input.from.investor.status in sender_statuses
}

limit_status(code, msg, observed, limit) := {
	"code": code, "message": msg, "policy": "rego/eligibility/status",
	"observed": observed, "limit": limit, "reference": "",
}

static_deny contains reason("INVESTOR_NOT_EFFECTIVE", sprintf("%s investor record is not in force", [side]), "rego/eligibility/effective_dates") if {
	some side, p in subjects
	not in_force(p.investor)
}

in_force(inv) if {
	inv.effective_from <= input.now
	inv.effective_to == 0
}

in_force(inv) if {
	inv.effective_from <= input.now
	input.now < inv.effective_to
}

static_deny contains reason("INVESTOR_INACTIVE", sprintf("%s investor is not active", [side]), "rego/eligibility/investor_active") if {
	some side, p in subjects
	p.investor.active != true
}

# --- KYC ------------------------------------------------------------------------

static_deny contains reason("KYC_INCOMPLETE", sprintf("%s investor has no completed KYC", [side]), "rego/eligibility/kyc") if {
	some side, p in subjects
	p.investor.kyc_expires_at == 0
}

static_deny contains reason("KYC_EXPIRED", sprintf("%s investor KYC has expired", [side]), "rego/eligibility/kyc") if {
	some side, p in subjects
	p.investor.kyc_expires_at > 0
	p.investor.kyc_expires_at <= input.now
}

# --- category and whitelist ------------------------------------------------------

static_deny contains {
	"code": "CATEGORY_NOT_ALLOWED", "message": sprintf("%s investor category is not allowed for this asset", [side]),
	"policy": "rego/eligibility/category", "observed": p.investor.category,
	"limit": concat(",", input.asset.allowed_categories), "reference": "",
} if {
	some side, p in subjects
	count(input.asset.allowed_categories) > 0
	not p.investor.category in input.asset.allowed_categories
}

static_deny contains reason("NOT_WHITELISTED", sprintf("%s investor is not on the asset whitelist", [side]), "rego/eligibility/whitelist") if {
	some side, p in subjects
	input.asset.require_whitelist == true
	p.investor.whitelisted != true
}

# --- wallets --------------------------------------------------------------------

static_deny contains reason("WALLET_NOT_VERIFIED", sprintf("%s wallet is not verified", [side]), "rego/eligibility/wallet") if {
	some side, p in subjects
	p.wallet.verified != true
}

static_deny contains reason("WALLET_INACTIVE", sprintf("%s wallet is not active", [side]), "rego/eligibility/wallet") if {
	some side, p in subjects
	p.wallet.active != true
}

static_deny contains reason("SENDER_FROZEN", "sender wallet is frozen", "rego/eligibility/frozen") if {
	sender_checked
	not agent_action
	input.from.wallet.frozen == true
}

static_deny contains reason("RECIPIENT_FROZEN", "recipient wallet is frozen", "rego/eligibility/frozen") if {
	recipient_checked
	not agent_action
	input.to.wallet.frozen == true
}

# --- pause ------------------------------------------------------------------------

static_deny contains reason("ASSET_PAUSED", "asset is paused", "rego/eligibility/pause") if {
	"ALL" in input.asset.paused_actions
}

static_deny contains reason("ACTION_PAUSED", "action is paused on this asset", "rego/eligibility/pause") if {
	input.action in input.asset.paused_actions
}
