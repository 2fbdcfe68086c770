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
