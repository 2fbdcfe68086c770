package policies

// Reason codes. They are API: add and deprecate, never rename. Every code a
// policy can emit must be declared in Catalogue; a test enforces it.
const (
	CodeNoApplicableRule     = "NO_APPLICABLE_RULE"
	CodeUnknown              = "UNKNOWN"
	CodeIndeterminate        = "INDETERMINATE"
	CodeStaleFacts           = "STALE_FACTS"
	CodePolicyError          = "POLICY_ERROR"
	CodeScreeningUnavailable = "SCREENING_UNAVAILABLE"

	// Eligibility (static scope).
	CodeRecipientNotEligible = "RECIPIENT_NOT_ELIGIBLE"
	CodeSenderNotEligible    = "SENDER_NOT_ELIGIBLE"
	CodeInvestorNotEffective = "INVESTOR_NOT_EFFECTIVE"
	CodeInvestorInactive     = "INVESTOR_INACTIVE"
	CodeKYCIncomplete        = "KYC_INCOMPLETE"
	CodeKYCExpired           = "KYC_EXPIRED"
	CodeCategoryNotAllowed   = "CATEGORY_NOT_ALLOWED"
	CodeNotWhitelisted       = "NOT_WHITELISTED"
	CodeWalletNotVerified    = "WALLET_NOT_VERIFIED"
	CodeWalletInactive       = "WALLET_INACTIVE"
	CodeSenderFrozen         = "SENDER_FROZEN"
	CodeRecipientFrozen      = "RECIPIENT_FROZEN"
	CodeJurisdiction         = "JURISDICTION_NOT_ALLOWED"
	CodeSanctionsFlagged     = "SANCTIONS_FLAGGED"
	CodeSanctionsPotential   = "SANCTIONS_POTENTIAL_MATCH"
	CodeAssetPaused          = "ASSET_PAUSED"
	CodeActionPaused         = "ACTION_PAUSED"
	CodeNotAuthorized        = "NOT_AUTHORIZED"

	// Lockups, limits and AML (dynamic scope).
	CodeInvalidAmount           = "INVALID_AMOUNT"
	CodeInsufficientBalance     = "INSUFFICIENT_BALANCE"
	CodePartialFreeze           = "PARTIAL_FREEZE"
	CodeLocked                  = "LOCKED"
	CodeInvestorLocked          = "INVESTOR_LOCKED"
	CodeHolderLimit             = "HOLDER_LIMIT_EXCEEDED"
	CodeJurisdictionHolderLimit = "JURISDICTION_HOLDER_LIMIT_EXCEEDED"
	CodeMaxBalance              = "MAX_BALANCE_EXCEEDED"
	CodeBelowMinInvestment      = "BELOW_MIN_INVESTMENT"
	CodeAboveMaxInvestment      = "ABOVE_MAX_INVESTMENT"
	CodeReconciliationHold      = "RECONCILIATION_HOLD"
	CodeAMLReview               = "AML_REVIEW"
	CodeAMLEscalate             = "AML_ESCALATE"
	CodeAMLAmountAboveExpected  = "AML_AMOUNT_ABOVE_EXPECTED"
	CodeAMLAmountEscalate       = "AML_AMOUNT_ESCALATE"
	CodeAssetConditionFailed    = "ASSET_CONDITION_FAILED"
)

// CodeInfo describes one declared reason code.
type CodeInfo struct {
	Code        string
	Description string
	// Effect is the severity the code normally carries: DENY or REVIEW.
	Effect string
	// Retryable marks fail-closed codes whose cause may pass.
	Retryable bool
}

// Catalogue declares every reason code a policy or the gateway may emit.
func Catalogue() []CodeInfo {
	return catalogue
}

var catalogue = []CodeInfo{
	{CodeNoApplicableRule, "No rule allowed the request; default deny.", "DENY", false},
	{CodeUnknown, "An investor, wallet or asset in the request is unknown.", "DENY", false},
	{CodeIndeterminate, "The decision timed out.", "DENY", true},
	{CodeStaleFacts, "The facts the decision needs are stale or unavailable.", "DENY", true},
	{CodePolicyError, "The policy could not be evaluated.", "DENY", true},
	{CodeScreeningUnavailable, "The sanctions lists are unavailable.", "DENY", true},
	{CodeRecipientNotEligible, "The recipient investor's status does not allow receiving (only APPROVED investors receive).", "DENY", false},
	{CodeSenderNotEligible, "The sender investor's status does not allow sending (RESTRICTED and REVOKED may only redeem).", "DENY", false},
	{CodeInvestorNotEffective, "The investor record is not in force at the check time (effective_from <= now < effective_to).", "DENY", false},
	{CodeInvestorInactive, "The investor is not active.", "DENY", false},
	{CodeKYCIncomplete, "The investor has no completed KYC/KYB.", "DENY", false},
	{CodeKYCExpired, "The investor's KYC/KYB has expired.", "DENY", false},
	{CodeCategoryNotAllowed, "The investor category is not allowed for the asset.", "DENY", false},
	{CodeNotWhitelisted, "The investor is not on the asset whitelist.", "DENY", false},
	{CodeWalletNotVerified, "The wallet is not verified.", "DENY", false},
	{CodeWalletInactive, "The wallet is not active.", "DENY", false},
	{CodeSenderFrozen, "The sending wallet is frozen.", "DENY", false},
	{CodeRecipientFrozen, "The receiving wallet is frozen.", "DENY", false},
	{CodeJurisdiction, "The investor's jurisdiction is not allowed for the asset.", "DENY", false},
	{CodeSanctionsFlagged, "A party matches a sanctions list entry (confirmed).", "DENY", false},
	{CodeSanctionsPotential, "A party potentially matches a sanctions list entry.", "REVIEW", false},
	{CodeAssetPaused, "The asset is paused.", "DENY", false},
	{CodeActionPaused, "The action is paused on the asset.", "DENY", false},
	{CodeNotAuthorized, "The caller is not authorized for the request.", "DENY", false},
	{CodeInvalidAmount, "The amount is not a positive integer.", "DENY", false},
	{CodeInsufficientBalance, "The sender's balance does not cover the amount.", "DENY", false},
	{CodePartialFreeze, "The frozen part of the sender's balance leaves too little to cover the amount.", "DENY", false},
	{CodeLocked, "Part of the amount is still inside its lockup (counted per lot).", "DENY", false},
	{CodeInvestorLocked, "The investor is under a per-investor lock.", "DENY", false},
	{CodeHolderLimit, "The asset's holder cap would be exceeded.", "DENY", false},
	{CodeJurisdictionHolderLimit, "The asset's holder cap for the jurisdiction would be exceeded.", "DENY", false},
	{CodeMaxBalance, "The investor's balance over all wallets would exceed the maximum.", "DENY", false},
	{CodeBelowMinInvestment, "The amount is below the minimum investment.", "DENY", false},
	{CodeAboveMaxInvestment, "The amount is above the maximum investment.", "DENY", false},
	{CodeReconciliationHold, "A reconciliation exception holds the wallet.", "DENY", true},
	{CodeAMLReview, "The AML risk score is in the review band.", "REVIEW", false},
	{CodeAMLEscalate, "The AML risk score is in the escalation band.", "REVIEW", false},
	{CodeAMLAmountAboveExpected, "The amount is more than 3x the investor's expected range.", "REVIEW", false},
	{CodeAMLAmountEscalate, "The amount is more than 6x the investor's expected range.", "REVIEW", false},
	{CodeAssetConditionFailed, "An inline asset condition failed.", "DENY", false},
}

// LookupCode returns the catalogue entry for code.
func LookupCode(code string) (CodeInfo, bool) {
	for _, c := range catalogue {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}
