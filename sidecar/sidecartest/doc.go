// Package sidecartest holds test doubles for sidecar tests: a real gRPC
// gateway on loopback that answers with scripted verdicts, and an in-memory
// Reporter.
//
// Invariants: the gateway is a real grpc.Server (requests cross the wire);
// Stop makes every later call fail as UNAVAILABLE; nothing here is used
// outside tests.
package sidecartest
