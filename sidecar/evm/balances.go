package evm

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// BalanceSource reads token balances with balanceOf at the latest block; it
// implements reconcile.ChainBalances.
type BalanceSource struct {
	chain ChainReader
	erc20 abi.ABI
	token map[string]common.Address // asset id -> contract
}

// NewBalanceSource returns a balance source over cfg.Tokens.
func NewBalanceSource(cfg Config, chain ChainReader) (*BalanceSource, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a, err := abi.JSON(strings.NewReader(erc20ABI))
	if err != nil {
		return nil, fmt.Errorf("evm: erc20 abi: %w", err)
	}
	m := map[string]common.Address{}
	for addr, id := range cfg.tokenMap() {
		m[id] = addr
	}
	return &BalanceSource{chain: chain, erc20: a, token: m}, nil
}

// Balance implements reconcile.ChainBalances.
func (b *BalanceSource) Balance(ctx context.Context, assetID, wallet string) (*big.Int, error) {
	token, ok := b.token[assetID]
	if !ok {
		return nil, fmt.Errorf("evm: asset %q has no configured token", assetID)
	}
	if !common.IsHexAddress(wallet) {
		return nil, fmt.Errorf("evm: wallet %q is not an address", wallet)
	}
	return balanceOf(ctx, b.chain, b.erc20, token, common.HexToAddress(wallet), nil)
}
