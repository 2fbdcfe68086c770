package sidecar_test

import (
	"testing"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

// BenchmarkRunnerClear measures one clearing round trip (one Check over a
// loopback gRPC connection to a scripted gateway).
func BenchmarkRunnerClear(b *testing.B) {
	gw := sidecartest.NewGateway(b, func(*gatewayv1.CheckRequest) *gatewayv1.Verdict { return sidecartest.Allow() })
	cfg := sidecar.DefaultGatewayConfig()
	cfg.Address = gw.Addr()
	r, err := sidecar.NewRunner(gw.Client(), cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	tr := sidecar.Translation{Key: "tx", Checks: []*gatewayv1.CheckRequest{check("ok")}}
	for b.Loop() {
		if out := r.Clear(b.Context(), tr); out.Kind != sidecar.KindAllowed {
			b.Fatal(out.Err)
		}
	}
}
