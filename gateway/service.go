package gateway

import (
	"context"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
)

// Service is one gRPC service the gateway serves, with its REST routes.
// The decision API, the registry API, the ledger API and the review queue
// each implement it; cmd/clearance composes them into one Server.
type Service interface {
	// RegisterGRPC registers the service on s.
	RegisterGRPC(s *grpc.Server)
	// RegisterHTTP registers the REST handlers on mux; they call the gRPC
	// service through conn (a loopback client), so interceptors run.
	RegisterHTTP(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error
}
