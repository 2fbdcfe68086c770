package evm

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/grpc"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
)

// SyncBackend is what the registry sync needs from the node;
// *ethclient.Client and the simulated backend's client satisfy it.
type SyncBackend interface {
	PendingCallContract(ctx context.Context, msg ethereum.CallMsg) ([]byte, error)
	PendingNonceAt(ctx context.Context, account common.Address) (uint64, error)
	SuggestGasTipCap(ctx context.Context) (*big.Int, error)
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error)
	SendTransaction(ctx context.Context, tx *types.Transaction) error
}

// EligibilitySource answers eligibility; gatewayv1.GatewayServiceClient
// satisfies it.
type EligibilitySource interface {
	GetEligibility(ctx context.Context, in *gatewayv1.GetEligibilityRequest, opts ...grpc.CallOption) (*gatewayv1.Eligibility, error)
}

// RegistrySync mirrors Clearance eligibility into an on-chain registry
// contract with setEligible(address,bool) (seed book §8.5). It reads
// isEligible on the pending state first, so a flag that already matches
// (or is about to) sends nothing: syncing is idempotent.
type RegistrySync struct {
	cfg      RegistrySyncConfig
	chainID  *big.Int
	backend  SyncBackend
	key      *ecdsa.PrivateKey
	from     common.Address
	contract common.Address
	abi      abi.ABI
	log      *slog.Logger
}

// LoadSyncKey reads the hex private key from the environment variable
// cfg.RegistrySync.KeyEnv.
func LoadSyncKey(cfg Config) (*ecdsa.PrivateKey, error) {
	v := strings.TrimPrefix(strings.TrimSpace(os.Getenv(cfg.RegistrySync.KeyEnv)), "0x")
	if v == "" {
		return nil, fmt.Errorf("evm: registry sync key: %s is empty", cfg.RegistrySync.KeyEnv)
	}
	k, err := crypto.HexToECDSA(v)
	if err != nil {
		return nil, errors.New("evm: registry sync key: not a hex secp256k1 key") // never echo the key
	}
	return k, nil
}

// NewRegistrySync returns a sync of cfg.RegistrySync.Contract signed with key.
func NewRegistrySync(cfg Config, backend SyncBackend, key *ecdsa.PrivateKey, logger *slog.Logger) (*RegistrySync, error) {
	if !common.IsHexAddress(cfg.RegistrySync.Contract) {
		return nil, fmt.Errorf("evm: registry_sync.contract %q is not an address", cfg.RegistrySync.Contract)
	}
	if backend == nil || key == nil {
		return nil, errors.New("evm: registry sync needs a backend and a key")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a, err := abi.JSON(strings.NewReader(registryABI))
	if err != nil {
		return nil, fmt.Errorf("evm: registry abi: %w", err)
	}
	return &RegistrySync{
		cfg:      cfg.RegistrySync,
		chainID:  new(big.Int).SetUint64(cfg.ChainID),
		backend:  backend,
		key:      key,
		from:     crypto.PubkeyToAddress(key.PublicKey),
		contract: common.HexToAddress(cfg.RegistrySync.Contract),
		abi:      a,
		log:      logger.With("component", "sidecar.evm.registrysync"),
	}, nil
}

// IsEligible reads the registry flag of wallet on the pending state.
func (s *RegistrySync) IsEligible(ctx context.Context, wallet common.Address) (bool, error) {
	data, err := s.abi.Pack("isEligible", wallet)
	if err != nil {
		return false, fmt.Errorf("evm: pack isEligible: %w", err)
	}
	out, err := s.backend.PendingCallContract(ctx, ethereum.CallMsg{From: s.from, To: &s.contract, Data: data})
	if err != nil {
		return false, fmt.Errorf("evm: isEligible: %w", err)
	}
	vals, err := s.abi.Unpack("isEligible", out)
	if err != nil || len(vals) != 1 {
		return false, fmt.Errorf("evm: unpack isEligible: %w", err)
	}
	return vals[0].(bool), nil
}

// Set makes the registry flag of wallet equal eligible. It returns the
// transaction sent, or nil when the flag already matched.
func (s *RegistrySync) Set(ctx context.Context, wallet common.Address, eligible bool) (*types.Transaction, error) {
	cur, err := s.IsEligible(ctx, wallet)
	if err != nil {
		return nil, err
	}
	if cur == eligible {
		return nil, nil
	}
	data, err := s.abi.Pack("setEligible", wallet, eligible)
	if err != nil {
		return nil, fmt.Errorf("evm: pack setEligible: %w", err)
	}
	nonce, err := s.backend.PendingNonceAt(ctx, s.from)
	if err != nil {
		return nil, fmt.Errorf("evm: nonce: %w", err)
	}
	tip, err := s.backend.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("evm: gas tip: %w", err)
	}
	head, err := s.backend.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("evm: head: %w", err)
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	gas := s.cfg.GasLimit
	if gas == 0 {
		if gas, err = s.backend.EstimateGas(ctx, ethereum.CallMsg{From: s.from, To: &s.contract, Data: data}); err != nil {
			return nil, fmt.Errorf("evm: estimate setEligible: %w", err)
		}
	}
	tx, err := types.SignNewTx(s.key, types.LatestSignerForChainID(s.chainID), &types.DynamicFeeTx{
		ChainID: s.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas, To: &s.contract, Data: data,
	})
	if err != nil {
		return nil, fmt.Errorf("evm: sign setEligible: %w", err)
	}
	if err := s.backend.SendTransaction(ctx, tx); err != nil {
		return nil, fmt.Errorf("evm: send setEligible: %w", err)
	}
	s.log.InfoContext(ctx, "registry flag set", "wallet", addr(wallet), "eligible", eligible, "tx", tx.Hash().Hex())
	return tx, nil
}

// SyncWallets asks the gateway whether each wallet can receive the
// configured asset and mirrors the answer. A wallet the gateway cannot answer
// for is left as it is and reported in the error: an outage must not rewrite
// the registry (the token contract treats a missing flag as ineligible, and
// the proxy still fails closed). It returns the transactions sent.
func (s *RegistrySync) SyncWallets(ctx context.Context, src EligibilitySource, wallets []common.Address) ([]*types.Transaction, error) {
	var sent []*types.Transaction
	var errs []error
	for _, wlt := range wallets {
		el, err := src.GetEligibility(ctx, &gatewayv1.GetEligibilityRequest{AssetId: s.cfg.AssetID, Wallet: addr(wlt)})
		if err != nil {
			errs = append(errs, fmt.Errorf("evm: eligibility of %s: %w", addr(wlt), err))
			continue
		}
		tx, err := s.Set(ctx, wlt, el.GetCanReceive())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if tx != nil {
			sent = append(sent, tx)
		}
	}
	return sent, errors.Join(errs...)
}

// Run syncs wallets() every cfg.Interval until ctx is done.
func (s *RegistrySync) Run(ctx context.Context, src EligibilitySource, wallets func(context.Context) ([]common.Address, error)) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		ws, err := wallets(ctx)
		if err == nil {
			_, err = s.SyncWallets(ctx, src, ws)
		}
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "registry sync round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
