// Package auth maps callers to principals and roles, and checks roles.
//
// Invariants: a request with no valid credentials never gets a principal
// (except the explicit loopback-only anonymous mode, whose principal has
// every role and is named "anonymous"); tokens are compared in constant time
// and never logged.
package auth
