package stellar

import "testing"

// BenchmarkTxApprove measures a full /tx_approve: decode, clear over
// loopback gRPC, revise and sign.
func BenchmarkTxApprove(b *testing.B) {
	f := newFixture(b, nil)
	tx := build(b, f.alice, f.pay(f.alice, f.bob, "1"))
	for b.Loop() {
		if _, r := f.post(b, tx); r.Status != StatusRevised {
			b.Fatalf("got %+v", r)
		}
	}
}
