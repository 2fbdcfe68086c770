package postgres_test

import (
	"errors"
	"testing"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/postgres"
	"github.com/clearancehq/clearance/registry/postgres/pgtest"
	"github.com/clearancehq/clearance/registry/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store { return pgtest.NewStore(t) })
}

func TestMigrateIdempotent(t *testing.T) {
	pool := pgtest.NewPool(t)
	ctx := t.Context()
	for range 2 {
		if err := postgres.Migrate(ctx, pool); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM registry_schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d migrations recorded, want 1", n)
	}
}

// Two stores on the same schema are two replicas: a change through one is
// read by the other at once.
func TestTwoReplicasShareState(t *testing.T) {
	pool := pgtest.NewPool(t)
	ctx := t.Context()
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	a, _ := postgres.New(pool, nil)
	b, _ := postgres.New(pool, nil)
	inv, err := a.CreateInvestor(ctx, storetest.Investor("inv-1"), registry.Change{Actor: "a"})
	if err != nil {
		t.Fatal(err)
	}
	inv.Status = registry.StatusSuspended
	if _, err := b.UpdateInvestor(ctx, inv, 1, registry.Change{Actor: "b"}); err != nil {
		t.Fatal(err)
	}
	got, err := a.Investor(ctx, "inv-1", inv.UpdatedAt.AddDate(1, 0, 0))
	if err != nil || got.Status != registry.StatusSuspended || got.Version != 2 {
		t.Fatalf("replica a sees %+v %v", got, err)
	}
	if _, err := a.UpdateInvestor(ctx, inv, 1, registry.Change{Actor: "a"}); !errors.Is(err, registry.ErrConflict) {
		t.Fatal("stale update through the other replica succeeded")
	}
	sa, _ := a.Seq(ctx)
	sb, _ := b.Seq(ctx)
	if sa != 2 || sb != 2 {
		t.Fatalf("seq a=%d b=%d, want 2", sa, sb)
	}
}
