package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// profileFrames are the frames of a gRPC Check worth a line in the report,
// with what they stand for.
var profileFrames = []struct{ frame, what string }{
	{"google.golang.org/grpc.(*Server).processRPC", "gRPC server: the whole RPC (decode, interceptors, handler, encode)"},
	{"github.com/clearancehq/clearance/gateway.(*Decider).Check", "Decider.Check: gather facts, evaluate, combine, enqueue the log entry"},
	{"github.com/clearancehq/clearance/gateway.(*Decider).gather", "  fact gathering (registry reads)"},
	{"go.etcd.io/bbolt.(*DB).View", "    bbolt read transactions"},
	{"github.com/clearancehq/clearance/policies/opaengine.(*Engine).Evaluate", "  Rego engine, both scopes"},
	{"github.com/clearancehq/clearance/policies/opaengine.InputValue", "    Input → ast.Value conversion"},
	{"github.com/open-policy-agent/opa/v1/rego.PreparedEvalQuery.Eval", "    prepared query evaluation"},
	{"github.com/clearancehq/clearance/gateway/decisionlog.(*Logger).run", "decision log writer (background goroutine)"},
	{"encoding/json.Marshal", "  JSON encoding (log entries and others)"},
	{"go.etcd.io/bbolt.(*Tx).Commit", "  bbolt commit"},
	{"go.etcd.io/bbolt.fdatasync", "    fdatasync"},
	{"google.golang.org/grpc/internal/transport.(*loopyWriter).run", "gRPC transport writer goroutine"},
	{"runtime.gcBgMarkWorker", "garbage collector (background marking)"},
}

// profileTable turns `go tool pprof -top -cum` output into CPU µs per check
// for the frames above.
func profileTable(top string, ops int) string {
	cum := map[string]float64{}
	for _, l := range strings.Split(top, "\n") {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		name := strings.Join(f[5:], " ")
		d, err := time.ParseDuration(f[3])
		if err != nil {
			continue
		}
		if _, ok := cum[name]; !ok {
			cum[name] = d.Seconds()
		}
	}
	if len(cum) == 0 || ops <= 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| Frame (cumulative) | CPU µs per check |\n|---|---:|\n")
	for _, pf := range profileFrames {
		v, ok := cum[pf.frame]
		if !ok {
			continue
		}
		indent := len(pf.what) - len(strings.TrimLeft(pf.what, " "))
		b.WriteString(fmt.Sprintf("| %s%s (`%s`) | %s |\n", strings.Repeat("&nbsp;&nbsp;", indent/2), strings.TrimSpace(pf.what), shortFrame(pf.frame), strconv.FormatFloat(v/float64(ops)*1e6, 'f', 0, 64)))
	}
	return b.String()
}

func shortFrame(f string) string {
	if i := strings.LastIndex(f, "/"); i >= 0 {
		return f[i+1:]
	}
	return f
}
