package registrysvc

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errNoEligibility is returned when the service was built without an
// EligibilityFunc.
var errNoEligibility = status.Error(codes.FailedPrecondition, "registry: no eligibility evaluator configured")
