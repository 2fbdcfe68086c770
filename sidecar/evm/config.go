package evm

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/reconcile"
)

// Config is the EVM sidecar's configuration (the `sidecar.evm` section).
type Config struct {
	// Listen is the proxy's HTTP address; wallets point their RPC URL at it.
	Listen string `yaml:"listen"`
	// Upstream is the Ethereum node's HTTP JSON-RPC URL.
	Upstream string `yaml:"upstream"`
	// UpstreamTimeout bounds one forwarded call.
	UpstreamTimeout time.Duration `yaml:"upstream_timeout"`
	// Chain is the registry's chain name of these wallets ("evm").
	Chain string `yaml:"chain"`
	// ChainID is the chain's EIP-155 id; senders are recovered with its
	// signer and transactions signed for another chain are refused.
	ChainID uint64 `yaml:"chain_id"`
	// Venue is passed to the gateway with every check.
	Venue string `yaml:"venue"`
	// Tokens are the regulated token contracts.
	Tokens []Token `yaml:"tokens"`
	// MaxBodyBytes bounds a request body; larger bodies get HTTP 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxResponseBytes bounds an upstream response.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// MaxBatch bounds the items of a JSON-RPC batch.
	MaxBatch int `yaml:"max_batch"`
	// MaxForwarded bounds the in-memory record of forwarded tx hashes.
	MaxForwarded int `yaml:"max_forwarded"`

	Gateway      sidecar.GatewayConfig `yaml:"gateway"`
	Watcher      WatcherConfig         `yaml:"watcher"`
	RegistrySync RegistrySyncConfig    `yaml:"registry_sync"`
	Reconcile    reconcile.Config      `yaml:"reconcile"`
}

// Token is one regulated token contract and the Clearance asset it is.
type Token struct {
	Address string `yaml:"address"`
	AssetID string `yaml:"asset_id"`
}

// WatcherConfig configures the Transfer-event watcher.
type WatcherConfig struct {
	Enabled bool `yaml:"enabled"`
	// Confirmations is how deep a block must be before its transfers are
	// reported (0 reports the head immediately).
	Confirmations uint64 `yaml:"confirmations"`
	// PollInterval is the pause between polls in Run.
	PollInterval time.Duration `yaml:"poll_interval"`
	// StartBlock is the first block to follow; 0 starts at the head.
	StartBlock uint64 `yaml:"start_block"`
	// MaxBlocksPerPoll bounds the blocks fetched in one poll.
	MaxBlocksPerPoll uint64 `yaml:"max_blocks_per_poll"`
	// ReportBalances reports the balances of the wallets a confirmed block
	// touched.
	ReportBalances bool `yaml:"report_balances"`
}

// RegistrySyncConfig configures the optional eligibility mirror.
type RegistrySyncConfig struct {
	Enabled bool `yaml:"enabled"`
	// Contract is the registry's address (setEligible / isEligible).
	Contract string `yaml:"contract"`
	// KeyEnv names the environment variable holding the hex private key that
	// signs setEligible; the key is never logged.
	KeyEnv string `yaml:"key_env"`
	// AssetID is the asset whose eligibility is mirrored.
	AssetID string `yaml:"asset_id"`
	// Interval is the pause between sync rounds in Run.
	Interval time.Duration `yaml:"interval"`
	// GasLimit caps a setEligible transaction; 0 estimates.
	GasLimit uint64 `yaml:"gas_limit"`
}

// DefaultConfig is a proxy on 127.0.0.1:8545 in front of a node on
// 127.0.0.1:8546, with a local gateway.
func DefaultConfig() Config {
	return Config{
		Listen:           "127.0.0.1:8545",
		Upstream:         "http://127.0.0.1:8546",
		UpstreamTimeout:  30 * time.Second,
		Chain:            "evm",
		ChainID:          1,
		MaxBodyBytes:     1 << 20,
		MaxResponseBytes: 32 << 20,
		MaxBatch:         100,
		MaxForwarded:     1_000_000,
		Gateway:          sidecar.DefaultGatewayConfig(),
		Watcher: WatcherConfig{
			Enabled:          true,
			Confirmations:    12,
			PollInterval:     4 * time.Second,
			MaxBlocksPerPoll: 500,
			ReportBalances:   true,
		},
		RegistrySync: RegistrySyncConfig{Interval: time.Minute},
		Reconcile:    reconcile.DefaultConfig(),
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.Listen == "" {
		return errors.New("evm: listen is required")
	}
	u, err := url.Parse(c.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("evm: upstream must be an http(s) URL, got %q", c.Upstream)
	}
	switch {
	case c.UpstreamTimeout <= 0:
		return errors.New("evm: upstream_timeout must be positive")
	case c.Chain == "":
		return errors.New("evm: chain is required")
	case c.ChainID == 0:
		return errors.New("evm: chain_id is required")
	case len(c.Tokens) == 0:
		return errors.New("evm: at least one token is required")
	case c.MaxBodyBytes <= 0 || c.MaxResponseBytes <= 0:
		return errors.New("evm: max_body_bytes and max_response_bytes must be positive")
	case c.MaxBatch <= 0:
		return errors.New("evm: max_batch must be positive")
	case c.MaxForwarded <= 0:
		return errors.New("evm: max_forwarded must be positive")
	}
	seen := map[common.Address]bool{}
	for i, t := range c.Tokens {
		if !common.IsHexAddress(t.Address) {
			return fmt.Errorf("evm: tokens[%d].address %q is not an address", i, t.Address)
		}
		if strings.TrimSpace(t.AssetID) == "" {
			return fmt.Errorf("evm: tokens[%d].asset_id is required", i)
		}
		a := common.HexToAddress(t.Address)
		if seen[a] {
			return fmt.Errorf("evm: tokens[%d] repeats %s", i, t.Address)
		}
		seen[a] = true
	}
	if err := c.Gateway.Validate(); err != nil {
		return fmt.Errorf("evm: %w", err)
	}
	if c.Watcher.Enabled {
		if c.Watcher.PollInterval <= 0 || c.Watcher.MaxBlocksPerPoll == 0 {
			return errors.New("evm: watcher.poll_interval and watcher.max_blocks_per_poll must be positive")
		}
	}
	if c.Reconcile.Enabled {
		rc := c.Reconcile
		if rc.Chain == "" {
			rc.Chain = c.Chain
		}
		if err := rc.Validate(); err != nil {
			return fmt.Errorf("evm: %w", err)
		}
	}
	if c.RegistrySync.Enabled {
		rs := c.RegistrySync
		switch {
		case !common.IsHexAddress(rs.Contract):
			return fmt.Errorf("evm: registry_sync.contract %q is not an address", rs.Contract)
		case rs.KeyEnv == "":
			return errors.New("evm: registry_sync.key_env is required")
		case rs.AssetID == "":
			return errors.New("evm: registry_sync.asset_id is required")
		case rs.Interval <= 0:
			return errors.New("evm: registry_sync.interval must be positive")
		}
	}
	return nil
}

// tokenMap indexes the configured tokens by address.
func (c Config) tokenMap() map[common.Address]string {
	m := make(map[common.Address]string, len(c.Tokens))
	for _, t := range c.Tokens {
		m[common.HexToAddress(t.Address)] = t.AssetID
	}
	return m
}

// addr renders an address the way it is reported to Clearance.
func addr(a common.Address) string { return strings.ToLower(a.Hex()) }
