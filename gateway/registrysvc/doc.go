// Package registrysvc serves the registry's admin API
// (clearance.registry.v1.RegistryService) over gRPC and REST, on a
// registry.Store.
//
// Invariants: every handler first checks the caller's role with
// auth.Require (writes: compliance; asset creation: admin; reads: any
// authenticated role); every write records the principal's name as the
// change actor and the request's reason; updates carry the version the
// caller read and fail with ABORTED when it is stale, changing nothing;
// errors are mapped by gateway.ToStatus. Times cross the API as RFC 3339
// strings and amounts as integer strings.
package registrysvc
