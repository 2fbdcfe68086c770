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
