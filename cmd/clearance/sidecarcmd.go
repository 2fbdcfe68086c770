package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"gopkg.in/yaml.v3"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	ledgerv1 "github.com/clearancehq/clearance/gateway/gen/ledger/v1"
	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/evm"
	"github.com/clearancehq/clearance/sidecar/stellar"
)

func sidecarCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "sidecar", Short: "Run Clearance beside an existing ledger: an EVM JSON-RPC proxy or a Stellar SEP-8 approval server"}
	var evmCfg, stCfg, logLevel string
	evmCmd := &cobra.Command{
		Use:   "evm",
		Short: "JSON-RPC proxy in front of an Ethereum node: clears token transactions, watches Transfer events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := evm.DefaultConfig()
			if err := decodeStrict(evmCfg, &cfg); err != nil {
				return &codeError{exitUsage, err}
			}
			if err := cfg.Validate(); err != nil {
				return &codeError{exitUsage, err}
			}
			logger := newLogger(Config{LogLevel: logLevel, LogFormat: "text"}, os.Stderr).With("component", "sidecar-evm")
			return runEVMSidecar(cmd.Context(), cfg, logger)
		},
	}
	evmCmd.Flags().StringVar(&evmCfg, "config", "deploy/sidecar-evm.yaml", "sidecar config (YAML)")
	evmCmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	stCmd := &cobra.Command{
		Use:   "stellar",
		Short: "SEP-8 approval server for a Stellar regulated asset",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := stellar.DefaultConfig()
			if err := decodeStrict(stCfg, &cfg); err != nil {
				return &codeError{exitUsage, err}
			}
			if err := cfg.Validate(); err != nil {
				return &codeError{exitUsage, err}
			}
			logger := newLogger(Config{LogLevel: logLevel, LogFormat: "text"}, os.Stderr).With("component", "sidecar-stellar")
			issuer, err := stellar.LoadIssuerKey(cfg)
			if err != nil {
				return &codeError{exitUsage, err}
			}
			conn, err := dialGateway(cfg.Gateway)
			if err != nil {
				return err
			}
			defer conn.Close()
			srv, err := stellar.NewServer(cfg, gatewayv1.NewGatewayServiceClient(conn), issuer, logger, prometheus.NewRegistry())
			if err != nil {
				return err
			}
			logger.Info("SEP-8 approval server listening", "listen", cfg.Listen, "asset", cfg.AssetCode)
			return srv.ListenAndServe(cmd.Context())
		},
	}
	stCmd.Flags().StringVar(&stCfg, "config", "deploy/sidecar-stellar.yaml", "sidecar config (YAML)")
	stCmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.AddCommand(evmCmd, stCmd)
	return cmd
}

func decodeStrict(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// bearer attaches the sidecar's token to every gateway call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}
func (b bearer) RequireTransportSecurity() bool { return b.secure }

func dialGateway(cfg sidecar.GatewayConfig) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if cfg.TLS {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if cfg.TokenEnv != "" {
		tok := os.Getenv(cfg.TokenEnv)
		if tok == "" {
			return nil, fmt.Errorf("gateway.token_env: %s is empty", cfg.TokenEnv)
		}
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: tok, secure: cfg.TLS}))
	}
	conn, err := grpc.NewClient(cfg.Address, opts...)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %w", cfg.Address, err)
	}
	return conn, nil
}

func runEVMSidecar(ctx context.Context, cfg evm.Config, logger *slog.Logger) error {
	conn, err := dialGateway(cfg.Gateway)
	if err != nil {
		return err
	}
	defer conn.Close()
	gw := gatewayv1.NewGatewayServiceClient(conn)
	rep := sidecar.NewLedgerReporter(ledgerv1.NewLedgerServiceClient(conn))
	reg := prometheus.NewRegistry()
	proxy, err := evm.NewProxy(cfg, gw, logger, reg)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return proxy.ListenAndServe(ctx) })
	if cfg.Watcher.Enabled {
		node, err := ethclient.DialContext(ctx, cfg.Upstream)
		if err != nil {
			return fmt.Errorf("upstream %s: %w", cfg.Upstream, err)
		}
		defer node.Close()
		w, err := evm.NewWatcher(cfg, node, proxy, rep, logger)
		if err != nil {
			return err
		}
		g.Go(func() error { return w.Run(ctx) })
	}
	logger.Info("EVM sidecar proxy listening", "listen", cfg.Listen, "upstream", cfg.Upstream, "tokens", len(cfg.Tokens))
	return g.Wait()
}
