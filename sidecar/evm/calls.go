package evm

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
)

// tokenABI declares the token functions the proxy recognises: ERC-20
// transfer/transferFrom, ERC-3643-style agent functions and their batch
// variants. Any other selector on a token moves nothing and passes through.
const tokenABI = `[
{"type":"function","name":"transfer","inputs":[{"name":"to","type":"address"},{"name":"amount","type":"uint256"}]},
{"type":"function","name":"transferFrom","inputs":[{"name":"from","type":"address"},{"name":"to","type":"address"},{"name":"amount","type":"uint256"}]},
{"type":"function","name":"mint","inputs":[{"name":"to","type":"address"},{"name":"amount","type":"uint256"}]},
{"type":"function","name":"burn","inputs":[{"name":"from","type":"address"},{"name":"amount","type":"uint256"}]},
{"type":"function","name":"burn","inputs":[{"name":"amount","type":"uint256"}]},
{"type":"function","name":"forcedTransfer","inputs":[{"name":"from","type":"address"},{"name":"to","type":"address"},{"name":"amount","type":"uint256"}]},
{"type":"function","name":"batchTransfer","inputs":[{"name":"toList","type":"address[]"},{"name":"amounts","type":"uint256[]"}]},
{"type":"function","name":"batchTransferFrom","inputs":[{"name":"fromList","type":"address[]"},{"name":"toList","type":"address[]"},{"name":"amounts","type":"uint256[]"}]},
{"type":"function","name":"batchMint","inputs":[{"name":"toList","type":"address[]"},{"name":"amounts","type":"uint256[]"}]},
{"type":"function","name":"batchBurn","inputs":[{"name":"fromList","type":"address[]"},{"name":"amounts","type":"uint256[]"}]},
{"type":"function","name":"batchForcedTransfer","inputs":[{"name":"fromList","type":"address[]"},{"name":"toList","type":"address[]"},{"name":"amounts","type":"uint256[]"}]}
]`

// registryABI is the seed §8.5 eligibility registry.
const registryABI = `[
{"type":"function","name":"isEligible","stateMutability":"view","inputs":[{"name":"who","type":"address"}],"outputs":[{"name":"","type":"bool"}]},
{"type":"function","name":"setEligible","inputs":[{"name":"who","type":"address"},{"name":"eligible","type":"bool"}]}
]`

// erc20ABI is what the watcher and the balance source call.
const erc20ABI = `[
{"type":"function","name":"balanceOf","stateMutability":"view","inputs":[{"name":"who","type":"address"}],"outputs":[{"name":"","type":"uint256"}]},
{"type":"event","name":"Transfer","anonymous":false,"inputs":[{"indexed":true,"name":"from","type":"address"},{"indexed":true,"name":"to","type":"address"},{"indexed":false,"name":"value","type":"uint256"}]}
]`

// ErrAmountRange is returned for an amount that does not fit the gateway's
// int64 smallest-unit amounts.
var ErrAmountRange = errors.New("amount exceeds int64")

// movement is one token movement found in call data.
type movement struct {
	action gatewayv1.Action
	from   common.Address // zero for issuance
	to     common.Address // zero for burns
	amount *big.Int
}

// decoder recognises token calls.
type decoder struct {
	token abi.ABI
}

func newDecoder() (*decoder, error) {
	t, err := abi.JSON(strings.NewReader(tokenABI))
	if err != nil {
		return nil, fmt.Errorf("evm: token abi: %w", err)
	}
	return &decoder{token: t}, nil
}

// movements decodes data sent by sender to a token. ok is false when the
// selector is not one that moves tokens.
func (d *decoder) movements(sender common.Address, data []byte) (mv []movement, ok bool, err error) {
	if len(data) < 4 {
		return nil, false, nil
	}
	m, err := d.token.MethodById(data[:4])
	if err != nil {
		return nil, false, nil //nolint:nilerr // unknown selector: not a movement
	}
	args, err := m.Inputs.Unpack(data[4:])
	if err != nil {
		return nil, true, fmt.Errorf("decode %s: %w", m.Name, err)
	}
	one := func(action gatewayv1.Action, from, to common.Address, amt *big.Int) []movement {
		return []movement{{action: action, from: from, to: to, amount: amt}}
	}
	var zero common.Address
	switch m.Sig {
	case "transfer(address,uint256)":
		return one(gatewayv1.Action_TRANSFER, sender, args[0].(common.Address), args[1].(*big.Int)), true, nil
	case "transferFrom(address,address,uint256)":
		return one(gatewayv1.Action_TRANSFER, args[0].(common.Address), args[1].(common.Address), args[2].(*big.Int)), true, nil
	case "mint(address,uint256)":
		return one(gatewayv1.Action_ISSUANCE, zero, args[0].(common.Address), args[1].(*big.Int)), true, nil
	case "burn(address,uint256)":
		return one(gatewayv1.Action_BURN, args[0].(common.Address), zero, args[1].(*big.Int)), true, nil
	case "burn(uint256)":
		return one(gatewayv1.Action_BURN, sender, zero, args[0].(*big.Int)), true, nil
	case "forcedTransfer(address,address,uint256)":
		return one(gatewayv1.Action_FORCED_TRANSFER, args[0].(common.Address), args[1].(common.Address), args[2].(*big.Int)), true, nil
	case "batchTransfer(address[],uint256[])":
		return pairs(gatewayv1.Action_TRANSFER, nil, args[0].([]common.Address), args[1].([]*big.Int), sender, false)
	case "batchMint(address[],uint256[])":
		return pairs(gatewayv1.Action_ISSUANCE, nil, args[0].([]common.Address), args[1].([]*big.Int), zero, false)
	case "batchBurn(address[],uint256[])":
		return pairs(gatewayv1.Action_BURN, nil, args[0].([]common.Address), args[1].([]*big.Int), zero, true)
	case "batchTransferFrom(address[],address[],uint256[])":
		return pairs(gatewayv1.Action_TRANSFER, args[0].([]common.Address), args[1].([]common.Address), args[2].([]*big.Int), zero, false)
	case "batchForcedTransfer(address[],address[],uint256[])":
		return pairs(gatewayv1.Action_FORCED_TRANSFER, args[0].([]common.Address), args[1].([]common.Address), args[2].([]*big.Int), zero, false)
	}
	return nil, false, nil
}

// pairs zips batch arguments. With froms nil every movement is from
// fixedFrom; burnList means the address list is the senders.
func pairs(action gatewayv1.Action, froms, list []common.Address, amounts []*big.Int, fixedFrom common.Address, burnList bool) ([]movement, bool, error) {
	if len(list) != len(amounts) || (froms != nil && len(froms) != len(list)) {
		return nil, true, errors.New("batch argument lengths differ")
	}
	if len(list) == 0 {
		return nil, true, errors.New("empty batch")
	}
	out := make([]movement, len(list))
	for i := range list {
		mv := movement{action: action, from: fixedFrom, to: list[i], amount: amounts[i]}
		if froms != nil {
			mv.from = froms[i]
		}
		if burnList {
			mv.from, mv.to = list[i], common.Address{}
		}
		out[i] = mv
	}
	return out, true, nil
}

// checks renders movements as gateway checks.
func (p *Proxy) checks(assetID string, mvs []movement) ([]*gatewayv1.CheckRequest, error) {
	out := make([]*gatewayv1.CheckRequest, 0, len(mvs))
	for i, mv := range mvs {
		if mv.amount == nil || mv.amount.Sign() < 0 || !mv.amount.IsInt64() {
			return nil, fmt.Errorf("movement %d: %w", i, ErrAmountRange)
		}
		c := &gatewayv1.CheckRequest{
			Action:  mv.action,
			AssetId: assetID,
			Amount:  mv.amount.String(),
			Venue:   p.cfg.Venue,
		}
		if mv.from != (common.Address{}) {
			c.FromWallet = addr(mv.from)
		}
		if mv.to != (common.Address{}) {
			c.ToWallet = addr(mv.to)
		}
		out = append(out, c)
	}
	return out, nil
}
