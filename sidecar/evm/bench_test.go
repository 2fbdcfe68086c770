package evm

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/ethereum/go-ethereum/ethclient"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

// BenchmarkPassthrough compares eth_blockNumber through the proxy with the
// same call straight to the node's HTTP endpoint.
func BenchmarkPassthrough(b *testing.B) {
	s := newStack(b, func(*gatewayv1.CheckRequest) *gatewayv1.Verdict { return sidecartest.Allow() }, "alice")
	direct, err := ethclient.Dial(s.nodeURL)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	for _, bc := range []struct {
		name string
		c    *ethclient.Client
	}{{"node", direct}, {"proxy", s.wallet}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := bc.c.BlockNumber(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClearedSend measures eth_sendRawTransaction of a token transfer
// through the proxy: decode, recover the sender, clear over loopback gRPC,
// forward to the node's pool. Transactions are signed before the timer runs;
// blocks are sealed with the timer stopped. Run it with -benchtime=200x.
func BenchmarkClearedSend(b *testing.B) {
	s := newStack(b, func(*gatewayv1.CheckRequest) *gatewayv1.Verdict { return sidecartest.Allow() }, "alice", "bob")
	s.mint(b, s.addr("alice"), 1_000_000)
	data, err := s.tokenABI.Pack("transfer", s.addr("bob"), big.NewInt(1))
	if err != nil {
		b.Fatal(err)
	}
	first := s.signCall(b, "alice", data)
	txs := make([]*types.Transaction, b.N)
	for i := range txs {
		txs[i], err = types.SignNewTx(s.keys["alice"], types.LatestSignerForChainID(big.NewInt(simChainID)), &types.DynamicFeeTx{
			ChainID: big.NewInt(simChainID), Nonce: first.Nonce() + uint64(i), GasTipCap: first.GasTipCap(),
			GasFeeCap: first.GasFeeCap(), Gas: first.Gas(), To: first.To(), Data: data,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i, tx := range txs {
		if err := s.wallet.SendTransaction(b.Context(), tx); err != nil {
			b.Fatal(err)
		}
		if i%50 == 49 {
			b.StopTimer()
			s.sim.Commit()
			b.StartTimer()
		}
	}
	b.StopTimer()
	s.sim.Commit()
	if got := s.counter(b, "forwarded"); got != float64(b.N+1) { // + the mint
		b.Fatalf("forwarded = %v, want %d", got, b.N+1)
	}
}
