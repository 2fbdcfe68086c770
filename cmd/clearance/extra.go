package main

import (
	"log/slog"

	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/reviewsvc"
)

// extraServices adds the services beyond the decision and ledger APIs.
func extraServices(a *app, st *stores, logger *slog.Logger) []gateway.Service {
	return []gateway.Service{reviewsvc.New(a.queue, logger)}
}
