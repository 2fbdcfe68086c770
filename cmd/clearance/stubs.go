package main

import (
	"time"

	"github.com/spf13/cobra"
)

func sidecarCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "sidecar", Short: "Chain sidecars"}
}

var zeroTime time.Time
