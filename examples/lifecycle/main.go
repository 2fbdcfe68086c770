// Command lifecycle walks one asset of the example data through its whole
// life on the reference ledger: mint, reserve, confirm, batch distribution,
// a transfer, a revenue round and its claims, a redemption and a burn. It
// prints the seed-001 balance object after every step.
//
// Everything runs in-process on a temporary bbolt file: the registry is
// seeded with examples/exampledata, and every ledger step is cleared by the
// real gateway decider with the shipped policy packs, the bundled OFAC
// snapshot and the AML scorer, exactly as `clearance serve` composes them.
//
//	go run ./examples/lifecycle
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/examples/exampledata"
	"github.com/clearancehq/clearance/examples/sanctions"
	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/source"
	"github.com/clearancehq/clearance/registry"
	regbolt "github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/ledger"
	ledgerbolt "github.com/clearancehq/clearance/registry/ledger/boltstore"
	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/aml"
	"github.com/clearancehq/clearance/screening/boltstatus"
	"github.com/clearancehq/clearance/screening/sources"
)

// The example data's asset and wallets (examples/exampledata/README.md).
const (
	asset     = "BOND-2030"
	alice     = "0xa11ce00000000000000000000000000000000001" // inv-alice, ACCREDITED, CH
	acme      = "0xac3e000000000000000000000000000000000001" // inv-acme, INSTITUTIONAL, LU
	payoutTok = "USDC"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lifecycle:", err)
		os.Exit(1)
	}
}

// clock is the example's controllable clock: the revenue round's claim
// delay passes without waiting.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// decider clears ledger operations with the gateway, as cmd/clearance does.
type decider struct {
	dec *gateway.Decider
	aml *aml.Scorer
}

// Clear implements ledger.Clearer.
func (d decider) Clear(ctx context.Context, r ledger.ClearRequest) (ledger.Clearance, error) {
	v, err := d.dec.Check(ctx, gateway.CheckRequest{Action: r.Action, AssetID: r.AssetID, FromWallet: r.From, ToWallet: r.To,
		Amount: fmt.Sprint(r.Amount), Caller: r.Actor, Origin: r.Origin})
	if err != nil {
		return ledger.Clearance{}, err
	}
	if v.Decision == policies.Allow && v.Input != nil {
		// Executed movements feed the AML velocity windows.
		_ = d.aml.Observe(ctx, v.Input)
	}
	return ledger.Clearance{Effect: v.Decision, Reasons: v.Reasons, DecisionID: v.DecisionID, CaseID: v.CaseID}, nil
}

// run builds the stack in a temp dir and walks the asset's life, writing
// each step and its balance object to w.
func run(ctx context.Context, w io.Writer) error {
	dir, err := os.MkdirTemp("", "clearance-lifecycle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "clearance.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	logger := slog.New(slog.DiscardHandler)
	clk := &clock{t: time.Now().UTC()}

	// Registry with the example data.
	reg, err := regbolt.New(db, logger)
	if err != nil {
		return err
	}
	if _, err := exampledata.SeedRegistry(ctx, reg, registry.Change{Actor: "lifecycle-example", Reason: "example data"}); err != nil {
		return fmt.Errorf("seed registry: %w", err)
	}

	// The gateway: shipped packs, bundled OFAC snapshot, AML scorer.
	bundle, err := source.Compile(ctx, library.FS())
	if err != nil {
		return fmt.Errorf("compile shipped policies: %w", err)
	}
	scr, err := newScreener(ctx, db, reg)
	if err != nil {
		return err
	}
	windows, err := aml.NewMemoryWindows(aml.WindowConfig{})
	if err != nil {
		return err
	}
	scorer, err := aml.New(aml.DefaultConfig(), windows, logger)
	if err != nil {
		return err
	}

	// The reference ledger, cleared by the decider.
	lstore, err := ledgerbolt.New(db)
	if err != nil {
		return err
	}
	clr := &decider{aml: scorer}
	led, err := ledger.New(lstore, reg, clr, ledger.Options{Now: clk.Now, Logger: logger})
	if err != nil {
		return err
	}
	clr.dec, err = gateway.NewDecider(gateway.Deps{Registry: reg, Engine: bundle, Holdings: led, Holds: led, Screener: scr, AML: scorer,
		Clock: clk.Now, Logger: logger}, nil)
	if err != nil {
		return err
	}

	w2 := walker{ctx: ctx, w: w, l: led}
	return w2.walk(clk)
}

// newScreener loads the bundled OFAC snapshot and serves precomputed
// statuses from a bbolt status store.
func newScreener(ctx context.Context, db *bolt.DB, reg registry.Reader) (*screening.Screener, error) {
	svc, err := screening.NewService(screening.Options{Parse: sources.Parse})
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(sanctions.FS(), "*.csv")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []screening.SourceFile
	for _, n := range names {
		b, err := fs.ReadFile(sanctions.FS(), n)
		if err != nil {
			return nil, err
		}
		files = append(files, screening.SourceFile{Name: n, Data: b})
	}
	if _, err := svc.Load(ctx, files...); err != nil {
		return nil, fmt.Errorf("load the OFAC snapshot: %w", err)
	}
	st, err := boltstatus.New(db)
	if err != nil {
		return nil, err
	}
	party := func(ctx context.Context, id string) (screening.Party, error) {
		inv, err := reg.Investor(ctx, id, time.Time{})
		if err != nil {
			return screening.Party{}, err
		}
		p := screening.Party{Name: inv.Name, Type: inv.Type, DateOfBirth: inv.DateOfBirth, Nationality: inv.Nationality, RegistrationNumber: inv.RegistrationNumber}
		ws, err := reg.WalletsOf(ctx, id, time.Time{})
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return screening.Party{}, err
		}
		for _, w := range ws {
			p.Wallets = append(p.Wallets, w.Address)
		}
		return p, nil
	}
	return screening.NewScreener(svc, st, party, screening.ScreenerOptions{})
}

// walker runs the steps and prints the balance after each.
type walker struct {
	ctx context.Context
	w   io.Writer
	l   *ledger.Ledger
	n   int
}

// applied fails unless op was applied (not denied, not parked).
func applied(op *ledger.Operation, err error) error {
	if err != nil {
		return err
	}
	if op.Status != ledger.OpApplied {
		return fmt.Errorf("operation %s (%s) is %s: %+v", op.ID, op.Kind, op.Status, op.Reasons)
	}
	return nil
}

// step runs one step and prints its title, detail and the balance object.
func (s *walker) step(title string, do func() (string, error)) error {
	s.n++
	detail, err := do()
	if err != nil {
		return fmt.Errorf("step %d (%s): %w", s.n, title, err)
	}
	if err := s.l.CheckInvariants(s.ctx, asset); err != nil {
		return fmt.Errorf("step %d (%s): %w", s.n, title, err)
	}
	b, err := s.l.Balance(s.ctx, asset)
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(s.w, "== %d. %s\n", s.n, title)
	if detail != "" {
		fmt.Fprintf(s.w, "   %s\n", detail)
	}
	fmt.Fprintf(s.w, "%s\n", out)
	return nil
}

// meta is the idempotency key and actor of one step.
func meta(key string) ledger.Meta {
	return ledger.Meta{IdempotencyKey: key, Actor: "lifecycle-example"}
}

func (s *walker) walk(clk *clock) error {
	ctx, l := s.ctx, s.l
	steps := []struct {
		title string
		do    func() (string, error)
	}{
		{"mint 100,000.00 BND30 into the treasury", func() (string, error) {
			op, err := l.Mint(ctx, ledger.MintRequest{Meta: meta("lc-mint"), AssetID: asset, Amount: 10000000})
			return decided(op), applied(op, err)
		}},
		{"reserve investments: alice 25,000.00, acme 15,000.00", func() (string, error) {
			op1, err := l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: meta("lc-res-alice"), AssetID: asset, InvestmentID: "lc-alice", InvestorID: "inv-alice", Wallet: alice, Amount: 2500000})
			if err := applied(op1, err); err != nil {
				return "", err
			}
			op2, err := l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: meta("lc-res-acme"), AssetID: asset, InvestmentID: "lc-acme", InvestorID: "inv-acme", Wallet: acme, Amount: 1500000})
			return decided(op1) + "; " + decided(op2), applied(op2, err)
		}},
		{"confirm both investments (payment received)", func() (string, error) {
			for _, id := range []string{"lc-alice", "lc-acme"} {
				if err := applied(l.ConfirmInvestment(ctx, ledger.InvestmentRequest{Meta: meta("lc-conf-" + id), AssetID: asset, InvestmentID: id})); err != nil {
					return "", err
				}
			}
			return "", nil
		}},
		{"batch-distribute every confirmed investment", func() (string, error) {
			res, err := l.DistributeBatch(ctx, asset, "lc-batch", "lifecycle-example")
			if err != nil {
				return "", err
			}
			if len(res.Errors) > 0 || len(res.Operations) != 2 {
				return "", fmt.Errorf("batch: %d operations, errors %v", len(res.Operations), res.Errors)
			}
			d := ""
			for _, op := range res.Operations {
				if err := applied(op, nil); err != nil {
					return "", err
				}
				d += decided(op) + " "
			}
			return d, nil
		}},
		{"transfer 5,000.00 from alice to acme", func() (string, error) {
			op, err := l.Transfer(ctx, ledger.TransferRequest{Meta: meta("lc-xfer"), AssetID: asset, From: alice, To: acme, Amount: 500000})
			return decided(op), applied(op, err)
		}},
		{"revenue round: deposit 10,000.00 USDC (0.5 % commission)", func() (string, error) {
			rd, err := l.CreateRound(ctx, ledger.CreateRoundRequest{Meta: meta("lc-round"), AssetID: asset, Token: payoutTok, Amount: 1000000})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("round %d: total_amount %d, commission %d, shares %d, claimable from %s", rd.ID, rd.TotalAmount, rd.Commission, rd.TotalShares, rd.ClaimableFrom.Format(time.RFC3339)), nil
		}},
		{"claims after the claim delay: alice and acme", func() (string, error) {
			clk.Advance(time.Hour + time.Second)
			d := ""
			for _, wal := range []string{alice, acme} {
				c, err := l.Claim(ctx, ledger.ClaimRequest{Meta: meta("lc-claim-" + wal), AssetID: asset, RoundID: 1, Wallet: wal})
				if err != nil {
					return "", err
				}
				if c.Status != ledger.ClaimClaimed {
					return "", fmt.Errorf("claim of %s is %s: %+v", wal, c.Status, c.Reasons)
				}
				d += fmt.Sprintf("%s… claimed %d %s (%d shares); ", wal[:10], c.Amount, payoutTok, c.Shares)
			}
			return d, nil
		}},
		{"alice redeems 10,000.00 into the redemption wallet", func() (string, error) {
			op, err := l.Redeem(ctx, ledger.RedeemRequest{Meta: meta("lc-redeem"), AssetID: asset, Wallet: alice, Amount: 1000000})
			return decided(op), applied(op, err)
		}},
		{"burn the redeemed 10,000.00", func() (string, error) {
			op, err := l.Burn(ctx, ledger.BurnRequest{Meta: meta("lc-burn"), AssetID: asset, Amount: 1000000, Source: ledger.BurnFromRedeemed})
			return decided(op), applied(op, err)
		}},
	}
	for _, st := range steps {
		if err := s.step(st.title, st.do); err != nil {
			return err
		}
	}
	vr, err := l.Verify(ctx)
	if err != nil {
		return err
	}
	if !vr.OK {
		return fmt.Errorf("event chain broken at %d: %s", vr.BrokenAt, vr.Err)
	}
	fmt.Fprintf(s.w, "event chain verified: %d events, head %s\n", vr.Events, vr.HeadHash)
	return nil
}

// decided names the gateway decision an operation carries.
func decided(op *ledger.Operation) string {
	if op == nil {
		return ""
	}
	if op.DecisionID == "" {
		return op.Kind + ": " + op.Status
	}
	return op.Kind + ": " + op.Status + " (decision " + op.DecisionID + ")"
}
