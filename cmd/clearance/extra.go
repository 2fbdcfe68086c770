package main

import (
	"log/slog"

	"github.com/clearancehq/clearance/gateway"
)

// extraServices adds the services whose packages land separately.
func extraServices(a *app, st *stores, logger *slog.Logger) []gateway.Service {
	return nil
}
