package sidecartest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
)

// Script decides the verdict for one check. The gateway fills in
// decision_id and request_id when the script leaves them empty.
type Script func(*gatewayv1.CheckRequest) *gatewayv1.Verdict

// Gateway is a scripted GatewayService on a loopback gRPC server.
type Gateway struct {
	gatewayv1.UnimplementedGatewayServiceServer

	srv  *grpc.Server
	lis  net.Listener
	conn *grpc.ClientConn

	mu       sync.Mutex
	script   Script
	elig     func(*gatewayv1.GetEligibilityRequest) *gatewayv1.Eligibility
	hang     bool
	requests []*gatewayv1.CheckRequest
	next     int
}

// NewGateway starts a gateway answering with script and registers cleanup.
func NewGateway(tb testing.TB, script Script) *Gateway {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	g := &Gateway{srv: grpc.NewServer(), lis: lis, script: script}
	gatewayv1.RegisterGatewayServiceServer(g.srv, g)
	go func() { _ = g.srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	g.conn = conn
	tb.Cleanup(func() {
		_ = conn.Close()
		g.srv.Stop()
	})
	return g
}

// Addr is the loopback address the gateway listens on.
func (g *Gateway) Addr() string { return g.lis.Addr().String() }

// Client is a real gRPC client connected to the gateway.
func (g *Gateway) Client() gatewayv1.GatewayServiceClient {
	return gatewayv1.NewGatewayServiceClient(g.conn)
}

// SetScript replaces the script.
func (g *Gateway) SetScript(s Script) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.script = s
}

// SetEligibility scripts GetEligibility; unset, every wallet is ineligible.
func (g *Gateway) SetEligibility(f func(*gatewayv1.GetEligibilityRequest) *gatewayv1.Eligibility) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.elig = f
}

// GetEligibility implements gatewayv1.GatewayServiceServer.
func (g *Gateway) GetEligibility(_ context.Context, in *gatewayv1.GetEligibilityRequest) (*gatewayv1.Eligibility, error) {
	g.mu.Lock()
	f := g.elig
	g.mu.Unlock()
	if f == nil {
		return &gatewayv1.Eligibility{}, nil
	}
	return f(in), nil
}

// SetHang makes every check block until its caller gives up, as a gateway
// slower than any timeout would.
func (g *Gateway) SetHang(hang bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hang = hang
}

// Stop stops the server; later calls fail as UNAVAILABLE.
func (g *Gateway) Stop() { g.srv.Stop() }

// Requests returns copies of the checks received so far.
func (g *Gateway) Requests() []*gatewayv1.CheckRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*gatewayv1.CheckRequest, len(g.requests))
	for i, r := range g.requests {
		out[i] = proto.CloneOf(r)
	}
	return out
}

func (g *Gateway) verdict(ctx context.Context, in *gatewayv1.CheckRequest) (*gatewayv1.Verdict, error) {
	g.mu.Lock()
	g.requests = append(g.requests, proto.CloneOf(in))
	script, hang := g.script, g.hang
	g.next++
	n := g.next
	g.mu.Unlock()
	if hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var v *gatewayv1.Verdict
	if script != nil {
		v = script(in)
	}
	if v == nil {
		v = Deny("NO_APPLICABLE_RULE")
	}
	v = proto.CloneOf(v)
	if v.DecisionId == "" {
		v.DecisionId = fmt.Sprintf("dec-%d", n)
	}
	if v.RequestId == "" {
		v.RequestId = in.GetRequestId()
	}
	return v, nil
}

// Check implements gatewayv1.GatewayServiceServer.
func (g *Gateway) Check(ctx context.Context, in *gatewayv1.CheckRequest) (*gatewayv1.Verdict, error) {
	return g.verdict(ctx, in)
}

// CheckBatch implements gatewayv1.GatewayServiceServer.
func (g *Gateway) CheckBatch(ctx context.Context, in *gatewayv1.CheckBatchRequest) (*gatewayv1.CheckBatchResponse, error) {
	resp := &gatewayv1.CheckBatchResponse{}
	for _, c := range in.GetChecks() {
		v, err := g.verdict(ctx, c)
		if err != nil {
			return nil, err
		}
		resp.Verdicts = append(resp.Verdicts, &gatewayv1.BatchItem{Verdict: v})
	}
	return resp, nil
}

// Allow is an ALLOW verdict.
func Allow() *gatewayv1.Verdict {
	return &gatewayv1.Verdict{Decision: gatewayv1.Decision_ALLOW, PolicyRevision: "test"}
}

// Deny is a DENY verdict with one reason per code.
func Deny(codes ...string) *gatewayv1.Verdict {
	v := &gatewayv1.Verdict{Decision: gatewayv1.Decision_DENY, PolicyRevision: "test"}
	for _, c := range codes {
		v.Reasons = append(v.Reasons, &gatewayv1.Reason{Code: c, Message: c, Effect: "DENY"})
	}
	return v
}

// Review is a REVIEW verdict with case caseID and one reason per code.
func Review(caseID string, codes ...string) *gatewayv1.Verdict {
	v := &gatewayv1.Verdict{Decision: gatewayv1.Decision_REVIEW, PolicyRevision: "test", CaseId: caseID}
	for _, c := range codes {
		v.Reasons = append(v.Reasons, &gatewayv1.Reason{Code: c, Message: c, Effect: "REVIEW"})
	}
	return v
}
