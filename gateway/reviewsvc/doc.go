// Package reviewsvc serves the review queue (clearance.review.v1) over gRPC
// and REST. It maps proto to the queue's types at the edge and maps queue
// errors to gRPC codes.
//
// Invariants: every handler starts with auth.Require; reviewers decide,
// assign and comment, and the acting reviewer is always the authenticated
// principal (never a request field); compliance and auditor may read.
// Self-approval is PermissionDenied; a decision the case's state does not
// allow is FailedPrecondition.
package reviewsvc
