package main

import (
	"log/slog"

	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/registrysvc"
	"github.com/clearancehq/clearance/gateway/reviewsvc"
)

// extraServices adds the registry and review APIs.
func extraServices(a *app, st *stores, logger *slog.Logger) []gateway.Service {
	return []gateway.Service{
		registrysvc.New(st.reg, a.decider.EligibleAt, logger),
		reviewsvc.New(a.queue, logger),
	}
}
