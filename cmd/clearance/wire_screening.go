package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearancehq/clearance/examples/sanctions"
	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/boltstatus"
	"github.com/clearancehq/clearance/screening/sources"
)

// buildScreening loads the sanctions lists and returns the screener the
// gateway reads precomputed statuses from.
func buildScreening(ctx context.Context, cfg Config, st *stores, logger *slog.Logger, reg prometheus.Registerer) (*screening.Service, *screening.Screener, error) {
	svc, err := screening.NewService(screening.Options{Parse: sources.Parse, Logger: logger.With("component", "screening"), Registerer: reg})
	if err != nil {
		return nil, nil, err
	}
	if cfg.Screening.ListsDir != "" {
		set, err := svc.RefreshDir(ctx, cfg.Screening.ListsDir)
		if err != nil {
			return nil, nil, fmt.Errorf("screening: load %s: %w", cfg.Screening.ListsDir, err)
		}
		logger.Info("sanctions lists loaded", "dir", cfg.Screening.ListsDir, "version", set.Version)
	} else {
		files, err := embeddedLists(sanctions.FS())
		if err != nil {
			return nil, nil, err
		}
		set, err := svc.Load(ctx, files...)
		if err != nil {
			return nil, nil, fmt.Errorf("screening: load bundled OFAC snapshot: %w", err)
		}
		logger.Info("sanctions lists loaded (bundled OFAC snapshot)", "version", set.Version)
	}
	var store screening.StatusStore
	if st.pool != nil {
		s, err := newPGStatus(ctx, st)
		if err != nil {
			return nil, nil, err
		}
		store = s
	} else {
		s, err := boltstatus.New(st.bolt)
		if err != nil {
			return nil, nil, err
		}
		store = s
	}
	scr, err := screening.NewScreener(svc, store, partyFunc(st.reg), screening.ScreenerOptions{Logger: logger.With("component", "screener")})
	if err != nil {
		return nil, nil, err
	}
	return svc, scr, nil
}

// partyFunc builds a screening party from the registry's investor record.
func partyFunc(reg registry.Reader) screening.PartyFunc {
	return func(ctx context.Context, investorID string) (screening.Party, error) {
		inv, err := reg.Investor(ctx, investorID, zeroTime)
		if err != nil {
			return screening.Party{}, err
		}
		p := screening.Party{Name: inv.Name, Type: inv.Type, DateOfBirth: inv.DateOfBirth, Nationality: inv.Nationality, RegistrationNumber: inv.RegistrationNumber}
		if p.Nationality == "" {
			p.Nationality = inv.Jurisdiction
		}
		// Beneficial owners are screened with the investor; their type is
		// left unknown so no type contradiction can downgrade a match.
		for _, o := range inv.BeneficialOwners {
			p.Owners = append(p.Owners, screening.Party{Name: o.Name, DateOfBirth: o.DateOfBirth, Nationality: o.Nationality})
		}
		ws, err := reg.WalletsOf(ctx, investorID, zeroTime)
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return screening.Party{}, err
		}
		for _, w := range ws {
			p.Wallets = append(p.Wallets, w.Address)
		}
		return p, nil
	}
}

func embeddedLists(fsys fs.FS) ([]screening.SourceFile, error) {
	names, err := fs.Glob(fsys, "*.csv")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []screening.SourceFile
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, screening.SourceFile{Name: n, Data: b})
	}
	return out, nil
}

// holderIterator yields registry investors in id order after a checkpoint.
func holderIterator(reg registry.Store) screening.HolderIterator {
	return func(ctx context.Context, after string, yield func(screening.Holder) error) error {
		var all []registry.Investor
		cursor := ""
		for {
			page, next, err := reg.ListInvestors(ctx, registry.InvestorFilter{}, registry.PageRequest{Limit: 1000, Cursor: cursor})
			if err != nil {
				return err
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
		for _, inv := range all {
			if inv.ID <= after || inv.Status == registry.StatusRevoked {
				continue
			}
			ws, err := reg.WalletsOf(ctx, inv.ID, zeroTime)
			if err != nil {
				return err
			}
			h := screening.Holder{InvestorID: inv.ID}
			for _, w := range ws {
				h.Wallets = append(h.Wallets, w.Address)
			}
			if err := yield(h); err != nil {
				return err
			}
		}
		return nil
	}
}

// onHit acts on a new list hit found by a rescreen: a confirmed wallet hit
// freezes the wallet; any other hit opens a review case.
func onHit(reg registry.Store, esc escalator, logger *slog.Logger) func(context.Context, screening.Hit) error {
	return func(ctx context.Context, h screening.Hit) error {
		if h.Wallet != "" && h.Match.Tier == screening.TierConfirmed {
			w, err := reg.Wallet(ctx, h.Wallet, zeroTime)
			if err != nil {
				return err
			}
			if w.Frozen {
				return nil
			}
			w.Frozen = true
			_, err = reg.UpdateWallet(ctx, w, w.Version, registry.Change{Actor: "screening", Reason: "sanctions list hit: " + h.Match.Entry})
			if err == nil {
				logger.Warn("rescreen froze a wallet on a confirmed list hit", "investor", h.InvestorID, "entry", h.Match.Entry)
			}
			return err
		}
		_, err := esc.q.Open(ctx, casesOpenForHit(h))
		return err
	}
}

func embeddedListsDefault() ([]screening.SourceFile, error) { return embeddedLists(sanctions.FS()) }
