// Package policytest runs the golden decision corpus against any
// policies.Engine.
//
// A corpus is a directory tree of YAML cases:
//
//	description: recipient KYC expired
//	input:        # a policies.Input, JSON field names
//	  to: {investor: {kyc_expires_at: 1700000000}}
//	want:
//	  decision: DENY
//	  codes: [KYC_EXPIRED]
//
// If the corpus root holds base.yaml (a full policies.Input), each case's
// input is deep-merged over it: maps merge key by key, anything else (lists,
// scalars, null) replaces. A case with `base: none` is used as written.
// Inputs are decoded strictly: an unknown field is an error.
//
// A case passes when the combined decision (policies.Combine) matches and the
// set of emitted codes equals want.codes exactly. Every emitted code must be
// declared in policies.Catalogue.
package policytest
