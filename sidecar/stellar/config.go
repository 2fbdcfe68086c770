package stellar

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/network"
	"github.com/stellar/go-stellar-sdk/strkey"

	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/reconcile"
)

// Config is the Stellar sidecar's configuration (the `sidecar.stellar`
// section).
type Config struct {
	// Listen is the approval server's HTTP address.
	Listen string `yaml:"listen"`
	// NetworkPassphrase is the Stellar network's passphrase.
	NetworkPassphrase string `yaml:"network_passphrase"`
	// AssetCode and AssetIssuer name the regulated asset.
	AssetCode   string `yaml:"asset_code"`
	AssetIssuer string `yaml:"asset_issuer"`
	// AssetID is the asset's Clearance id.
	AssetID string `yaml:"asset_id"`
	// Decimals is the asset's decimals in Clearance (0..7); a Stellar amount
	// of s stroops is s / 10^(7-Decimals) smallest units.
	Decimals int `yaml:"decimals"`
	// IssuerKeyEnv names the environment variable holding the issuer's
	// secret seed (S...); it is never logged.
	IssuerKeyEnv string `yaml:"issuer_key_env"`
	// Chain is the registry's chain name of these wallets ("stellar").
	Chain string `yaml:"chain"`
	// Venue is passed to the gateway with every check.
	Venue string `yaml:"venue"`
	// Revise answers an allowed bare payment with `revised`: the payment
	// wrapped in the issuer's authorize/deauthorize sandwich. Off, an allowed
	// bare payment is co-signed as is (`success`).
	Revise bool `yaml:"revise"`
	// PendingTimeout is the `timeout` of a pending answer: when the wallet
	// should resubmit.
	PendingTimeout time.Duration `yaml:"pending_timeout"`
	// ActionURL is where a wallet sends the KYC refresh of action_required.
	ActionURL string `yaml:"action_url"`
	// ActionFields are the SEP-9 fields action_required asks for.
	ActionFields []string `yaml:"action_fields"`
	// ActionRequiredCodes are the reason codes a user can fix with a KYC
	// refresh; a DENY whose every reason is one of them is action_required.
	ActionRequiredCodes []string `yaml:"action_required_codes"`
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxOperations bounds the operations of a submitted transaction.
	MaxOperations int `yaml:"max_operations"`

	Gateway   sidecar.GatewayConfig `yaml:"gateway"`
	Reconcile reconcile.Config      `yaml:"reconcile"`
}

// DefaultConfig serves on 127.0.0.1:8000 for the test network with a local
// gateway; asset fields must be filled in.
func DefaultConfig() Config {
	return Config{
		Listen:              "127.0.0.1:8000",
		NetworkPassphrase:   network.TestNetworkPassphrase,
		Decimals:            7,
		IssuerKeyEnv:        "CLEARANCE_STELLAR_ISSUER_SEED",
		Chain:               "stellar",
		Revise:              true,
		PendingTimeout:      time.Hour,
		ActionFields:        []string{"email_address", "given_name", "family_name"},
		ActionRequiredCodes: []string{"KYC_EXPIRED", "KYC_INCOMPLETE"},
		MaxBodyBytes:        64 << 10,
		MaxOperations:       20,
		Gateway:             sidecar.DefaultGatewayConfig(),
		Reconcile:           reconcile.DefaultConfig(),
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("stellar: listen is required")
	case c.NetworkPassphrase == "":
		return errors.New("stellar: network_passphrase is required")
	case c.AssetCode == "" || len(c.AssetCode) > 12:
		return errors.New("stellar: asset_code must be 1-12 characters")
	case !strkey.IsValidEd25519PublicKey(c.AssetIssuer):
		return fmt.Errorf("stellar: asset_issuer %q is not a G... account", c.AssetIssuer)
	case strings.TrimSpace(c.AssetID) == "":
		return errors.New("stellar: asset_id is required")
	case c.Decimals < 0 || c.Decimals > 7:
		return errors.New("stellar: decimals must be in [0, 7]")
	case c.Chain == "":
		return errors.New("stellar: chain is required")
	case c.PendingTimeout < 0:
		return errors.New("stellar: pending_timeout must not be negative")
	case c.MaxBodyBytes <= 0 || c.MaxOperations <= 0:
		return errors.New("stellar: max_body_bytes and max_operations must be positive")
	case len(c.ActionRequiredCodes) > 0 && c.ActionURL == "":
		return errors.New("stellar: action_url is required when action_required_codes are set")
	}
	if err := c.Gateway.Validate(); err != nil {
		return fmt.Errorf("stellar: %w", err)
	}
	if c.Reconcile.Enabled {
		rc := c.Reconcile
		if rc.Chain == "" {
			rc.Chain = c.Chain
		}
		if err := rc.Validate(); err != nil {
			return fmt.Errorf("stellar: %w", err)
		}
	}
	return nil
}

// LoadIssuerKey reads the issuer's secret seed from cfg.IssuerKeyEnv.
func LoadIssuerKey(cfg Config) (*keypair.Full, error) {
	seed := strings.TrimSpace(os.Getenv(cfg.IssuerKeyEnv))
	if seed == "" {
		return nil, fmt.Errorf("stellar: issuer key: %s is empty", cfg.IssuerKeyEnv)
	}
	kp, err := keypair.ParseFull(seed)
	if err != nil {
		return nil, errors.New("stellar: issuer key: not a secret seed") // never echo the seed
	}
	return kp, nil
}
