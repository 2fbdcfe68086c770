package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
)

func checkCmd(e *env) *cobra.Command {
	var addr, token, asset, from, to, amount, action, at, venue string
	var useTLS bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Ask a running gateway for a decision",
		Long: `Ask a running gateway for a decision and print the verdict and its reasons.

Exit status: 0 on ALLOW, 3 on DENY, 4 on REVIEW, 1 on any error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			act, ok := gatewayv1.Action_value[strings.ToUpper(action)]
			if !ok || act == 0 {
				return &codeError{exitUsage, fmt.Errorf("--action: unknown action %q", action)}
			}
			if token == "" {
				token = os.Getenv("CLEARANCE_TOKEN")
			}
			creds := insecure.NewCredentials()
			if useTLS {
				creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
			}
			conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
			if err != nil {
				return fmt.Errorf("connect %s: %w", addr, err)
			}
			defer conn.Close()
			ctx, cancel := contextTimeout(cmd, timeout)
			defer cancel()
			if token != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
			}
			v, err := gatewayv1.NewGatewayServiceClient(conn).Check(ctx, &gatewayv1.CheckRequest{
				Action: gatewayv1.Action(act), AssetId: asset, FromWallet: from, ToWallet: to, Amount: amount, At: at, Venue: venue,
			})
			if err != nil {
				return fmt.Errorf("check: %w", err)
			}
			fmt.Fprintf(e.stdout, "%s  decision_id=%s revision=%.12s cached=%v\n", v.GetDecision(), v.GetDecisionId(), v.GetPolicyRevision(), v.GetCached())
			if v.GetCaseId() != "" {
				fmt.Fprintf(e.stdout, "  case_id=%s\n", v.GetCaseId())
			}
			for _, r := range v.GetReasons() {
				line := fmt.Sprintf("  %-7s %-28s %s", r.GetEffect(), r.GetCode(), r.GetMessage())
				switch {
				case r.GetObserved() != "" && r.GetLimit() != "":
					line += fmt.Sprintf(" (observed %s, limit %s)", r.GetObserved(), r.GetLimit())
				case r.GetObserved() != "":
					line += fmt.Sprintf(" (observed %s)", r.GetObserved())
				}
				fmt.Fprintln(e.stdout, line)
			}
			switch v.GetDecision() {
			case gatewayv1.Decision_ALLOW:
				return nil
			case gatewayv1.Decision_REVIEW:
				return &codeError{exitReview, nil}
			default:
				return &codeError{exitDeny, nil}
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", envOr("CLEARANCE_ADDR", "127.0.0.1:8080"), "gateway address (gRPC)")
	f.StringVar(&token, "token", "", "bearer token (default $CLEARANCE_TOKEN)")
	f.BoolVar(&useTLS, "tls", false, "use TLS")
	f.StringVar(&action, "action", "TRANSFER", "ISSUANCE, TRANSFER, REDEMPTION, DISTRIBUTION, BURN, RECOVERY or FORCED_TRANSFER")
	f.StringVar(&asset, "asset", "", "asset id")
	f.StringVar(&from, "from", "", "sender wallet")
	f.StringVar(&to, "to", "", "recipient wallet")
	f.StringVar(&amount, "amount", "", "amount in the asset's smallest unit")
	f.StringVar(&at, "at", "", "evaluate as of this RFC 3339 instant")
	f.StringVar(&venue, "venue", "", "venue id")
	f.DurationVar(&timeout, "timeout", 10*time.Second, "request timeout")
	return cmd
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
