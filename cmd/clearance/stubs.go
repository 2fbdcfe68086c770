package main

import (
	"errors"
	"github.com/clearancehq/clearance/registry"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"log/slog"
)

func policyCmd(e *env) *cobra.Command { return &cobra.Command{Use: "policy", Short: "Policy tools"} }
func screeningCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "screening", Short: "Screening tools"}
}
func sidecarCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "sidecar", Short: "Chain sidecars"}
}
func migrateAll(ctx any, pool any) error { return nil }

func newPGRegistry(pool *pgxpool.Pool, logger *slog.Logger) (registry.Store, error) {
	return nil, errors.New("postgres registry not wired yet")
}
