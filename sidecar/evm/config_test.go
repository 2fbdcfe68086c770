package evm

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/ethclient"
	"gopkg.in/yaml.v3"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	ledgerv1 "github.com/clearancehq/clearance/gateway/gen/ledger/v1"
	"github.com/clearancehq/clearance/sidecar"
)

func TestDeployConfigDecodesStrictly(t *testing.T) {
	b, err := os.ReadFile("../../deploy/sidecar-evm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if cfg.Gateway.Timeout.Seconds() != 2 || cfg.Watcher.Confirmations != 12 || len(cfg.Reconcile.Targets) != 1 {
		t.Errorf("decoded %+v", cfg)
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.Tokens = []Token{{Address: "0x1111111111111111111111111111111111111111", AssetID: "A"}}
		return c
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"valid", func(*Config) {}, ""},
		{"no tokens", func(c *Config) { c.Tokens = nil }, "at least one token"},
		{"bad token", func(c *Config) { c.Tokens[0].Address = "0x12" }, "not an address"},
		{"repeated token", func(c *Config) { c.Tokens = append(c.Tokens, c.Tokens[0]) }, "repeats"},
		{"bad upstream", func(c *Config) { c.Upstream = "ws://x" }, "upstream"},
		{"no chain id", func(c *Config) { c.ChainID = 0 }, "chain_id"},
		{"no gateway timeout", func(c *Config) { c.Gateway.Timeout = 0 }, "gateway.timeout"},
		{"sync without key", func(c *Config) {
			c.RegistrySync = RegistrySyncConfig{Enabled: true, Contract: c.Tokens[0].Address, AssetID: "A", Interval: 1}
		}, "key_env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mutate(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// The constructors take consumer interfaces; the real clients satisfy them.
var (
	_ ChainReader                = (*ethclient.Client)(nil)
	_ SyncBackend                = (*ethclient.Client)(nil)
	_ ForwardedTxs               = (*Proxy)(nil)
	_ EligibilitySource          = gatewayv1.GatewayServiceClient(nil)
	_ sidecar.GatewayClient      = gatewayv1.GatewayServiceClient(nil)
	_ sidecar.LedgerObservations = ledgerv1.LedgerServiceClient(nil)
)
