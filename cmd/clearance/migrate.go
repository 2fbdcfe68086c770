package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clearancehq/clearance/gateway/decisionlog"
	"github.com/clearancehq/clearance/registry"
	ledgerpg "github.com/clearancehq/clearance/registry/ledger/pgstore"
	regpg "github.com/clearancehq/clearance/registry/postgres"
	"github.com/clearancehq/clearance/screening"
	casespg "github.com/clearancehq/clearance/screening/cases/pgstore"
	"github.com/clearancehq/clearance/screening/pgstatus"
)

// migrateAll applies every component's PostgreSQL migrations, in
// dependency order. Each component's Migrate is idempotent.
func migrateAll(ctx context.Context, pool *pgxpool.Pool) error {
	steps := []struct {
		name string
		fn   func(context.Context, *pgxpool.Pool) error
	}{
		{"registry", regpg.Migrate},
		{"ledger", ledgerpg.Migrate},
		{"cases", casespg.Migrate},
		{"decisionlog", decisionlog.Migrate},
		{"screening", pgstatus.Migrate},
	}
	for _, s := range steps {
		if err := s.fn(ctx, pool); err != nil {
			return fmt.Errorf("migrate %s: %w", s.name, err)
		}
	}
	return nil
}

func newPGRegistry(pool *pgxpool.Pool, logger *slog.Logger) (registry.Store, error) {
	return regpg.New(pool, logger)
}

func newPGStatus(_ context.Context, st *stores) (screening.StatusStore, error) {
	return pgstatus.New(st.pool), nil
}
