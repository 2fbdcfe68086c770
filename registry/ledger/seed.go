package ledger

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"

	"gopkg.in/yaml.v3"
)

// SeedFile is the file SeedFromYAML reads from its fs.FS.
const SeedFile = "ledger.yaml"

type seedDoc struct {
	Operations []seedOp `yaml:"operations"`
}

type seedOp struct {
	Op         string `yaml:"op"` // mint or invest
	Asset      string `yaml:"asset"`
	Amount     int64  `yaml:"amount"`
	Key        string `yaml:"key"`
	Investment string `yaml:"investment,omitempty"`
	Investor   string `yaml:"investor,omitempty"`
	Wallet     string `yaml:"wallet,omitempty"`
	Distribute bool   `yaml:"distribute,omitempty"`
}

// SeedFromYAML applies the operations in fsys's ledger.yaml (decoded
// strictly): "mint" mints into the treasury; "invest" reserves, confirms
// and (with distribute: true) distributes to a wallet. Every step uses a
// key derived from the entry's key, so seeding twice applies nothing twice.
func SeedFromYAML(ctx context.Context, l *Ledger, fsys fs.FS) error {
	b, err := fs.ReadFile(fsys, SeedFile)
	if err != nil {
		return fmt.Errorf("ledger: seed: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var doc seedDoc
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("ledger: seed %s: %w", SeedFile, err)
	}
	for i, o := range doc.Operations {
		m := Meta{IdempotencyKey: "seed:" + o.Key, Actor: "ledger-seed"}
		var err error
		switch o.Op {
		case "mint":
			_, err = l.Mint(ctx, MintRequest{Meta: m, AssetID: o.Asset, Amount: o.Amount, Note: "example seed"})
		case "invest":
			_, err = l.ReserveInvestment(ctx, ReserveRequest{Meta: Meta{IdempotencyKey: m.IdempotencyKey + ":reserve", Actor: m.Actor}, AssetID: o.Asset, InvestmentID: o.Investment, InvestorID: o.Investor, Wallet: o.Wallet, Amount: o.Amount})
			if err == nil {
				_, err = l.ConfirmInvestment(ctx, InvestmentRequest{Meta: Meta{IdempotencyKey: m.IdempotencyKey + ":confirm", Actor: m.Actor}, AssetID: o.Asset, InvestmentID: o.Investment})
			}
			if err == nil && o.Distribute {
				_, err = l.DistributeInvestment(ctx, InvestmentRequest{Meta: Meta{IdempotencyKey: m.IdempotencyKey + ":distribute", Actor: m.Actor}, AssetID: o.Asset, InvestmentID: o.Investment})
			}
		default:
			err = invalid("op", "must be mint or invest")
		}
		if err != nil {
			return fmt.Errorf("ledger: seed operation %d (%s %s): %w", i, o.Op, o.Key, err)
		}
	}
	return nil
}
