package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/auth"
	"github.com/clearancehq/clearance/gateway/decisionlog"
	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
)

// serveFlags are the flags that override config.
type serveFlags struct {
	config, listen, grpcListen, dataDir, store, dsn, redis, redisPrefix, policyDir, logLevel, listsDir, engines string
	noSeed                                                                                                      bool
}

func bindCommonFlags(cmd *cobra.Command, f *serveFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", os.Getenv("CLEARANCE_CONFIG"), "config file (YAML)")
	fl.StringVar(&f.dataDir, "data-dir", "", "directory of the embedded store (default ./data)")
	fl.StringVar(&f.store, "store", "", "embedded or postgres")
	fl.StringVar(&f.dsn, "postgres-dsn", "", "PostgreSQL DSN (store postgres)")
}

// loadWithFlags loads config and applies explicitly set flags.
func loadWithFlags(cmd *cobra.Command, f *serveFlags) (Config, error) {
	cfg, err := LoadConfig(f.config, os.Environ())
	if err != nil {
		return cfg, err
	}
	set := func(name string, dst *string, v string) {
		if cmd.Flags().Changed(name) {
			*dst = v
		}
	}
	set("listen", &cfg.Listen, f.listen)
	set("grpc-listen", &cfg.GRPCListen, f.grpcListen)
	set("data-dir", &cfg.DataDir, f.dataDir)
	set("store", &cfg.Store, f.store)
	set("postgres-dsn", &cfg.PostgresDSN, f.dsn)
	set("redis", &cfg.Redis, f.redis)
	set("redis-prefix", &cfg.RedisPrefix, f.redisPrefix)
	set("policy-dir", &cfg.PolicyDir, f.policyDir)
	set("log-level", &cfg.LogLevel, f.logLevel)
	set("lists-dir", &cfg.Screening.ListsDir, f.listsDir)
	set("policy-engines", &cfg.PolicyEngines, f.engines)
	if cmd.Flags().Changed("no-seed") && f.noSeed {
		cfg.Seed = false
	}
	if cfg.Store == "postgres" && cfg.PostgresDSN == "" && cmd.Flags().Changed("postgres-dsn") {
		return cfg, errors.New("--postgres-dsn: is empty")
	}
	return cfg, cfg.Validate()
}

func newLogger(cfg Config, w *os.File) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serveCmd(e *env) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the decision API (gRPC, REST, health, metrics, OpenAPI) on one port",
		Long: `Serve the decision API.

With no flags it runs the embedded default: a bbolt store in ./data seeded
with the example data, the shipped policy packs, an in-process verdict cache
and the bundled example sanctions list. No Redis or PostgreSQL is needed.
Scaling out: --store postgres --postgres-dsn DSN --redis ADDR on every replica.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadWithFlags(cmd, f)
			if err != nil {
				return &codeError{exitUsage, err}
			}
			return serve(cmd.Context(), cfg, e)
		},
	}
	bindCommonFlags(cmd, f)
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "", "address for gRPC, REST, /healthz, /readyz, /metrics, /openapi/ (default 127.0.0.1:8080)")
	fl.StringVar(&f.grpcListen, "grpc-listen", "", "optional dedicated gRPC listener")
	fl.StringVar(&f.redis, "redis", "", "Redis address: enables the L2 verdict cache and cross-replica invalidation")
	fl.StringVar(&f.redisPrefix, "redis-prefix", "", "Redis key and channel prefix (default clearance)")
	fl.StringVar(&f.policyDir, "policy-dir", "", "policy directory to watch (default: the shipped packs)")
	fl.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error")
	fl.StringVar(&f.listsDir, "lists-dir", "", "sanctions list directory (default: the bundled example list)")
	fl.StringVar(&f.engines, "policy-engines", "", "shipped packs' language: rego (default), cel or both")
	fl.BoolVar(&f.noSeed, "no-seed", false, "do not load the example data into an empty store")
	return cmd
}

// stores are the opened persistence handles.
type stores struct {
	bolt *bolt.DB
	pool *pgxpool.Pool
	reg  registry.Store
}

func (s *stores) Close() {
	if s.pool != nil {
		s.pool.Close()
	}
	if s.bolt != nil {
		_ = s.bolt.Close()
	}
}

func openStores(ctx context.Context, cfg Config, logger *slog.Logger, migrate bool) (*stores, error) {
	s := &stores{}
	switch cfg.Store {
	case "embedded":
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		db, err := bolt.Open(filepath.Join(cfg.DataDir, "clearance.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true})
		if err != nil {
			return nil, fmt.Errorf("open embedded store %s: %w (is another clearance process using this data dir?)", cfg.DataDir, err)
		}
		s.bolt = db
		st, err := boltstore.New(db, logger)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.reg = st
	case "postgres":
		pc, err := pgxpool.ParseConfig(cfg.PostgresDSN)
		if err != nil {
			return nil, fmt.Errorf("postgres_dsn: %w", err)
		}
		pool, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("postgres: %w", err)
		}
		s.pool = pool
		if migrate {
			if err := migrateAll(ctx, pool); err != nil {
				s.Close()
				return nil, err
			}
		}
		st, err := newPGRegistry(pool, logger)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.reg = st
	}
	return s, nil
}

func serve(ctx context.Context, cfg Config, e *env) error {
	logger := newLogger(cfg, os.Stderr)
	logger.Info("starting clearance", "version", versionString(), "config", cfg)
	anonymous := len(cfg.Auth.Tokens) == 0 && len(cfg.Auth.ClientCerts) == 0
	tlsCfg, err := cfg.TLS.Load()
	if err != nil {
		return &codeError{exitUsage, err}
	}
	if len(cfg.Auth.ClientCerts) > 0 && (tlsCfg == nil || tlsCfg.ClientCAs == nil) {
		return &codeError{exitUsage, errors.New("auth.client_certs: needs tls.cert_file, tls.key_file and tls.client_ca_file")}
	}
	if anonymous && !gateway.IsLoopback(cfg.Listen) {
		return &codeError{exitUsage, fmt.Errorf("refusing to listen on %s without authentication: configure auth.tokens, or listen on a loopback address", cfg.Listen)}
	}
	if anonymous && cfg.GRPCListen != "" && !gateway.IsLoopback(cfg.GRPCListen) {
		return &codeError{exitUsage, fmt.Errorf("refusing to listen on %s without authentication", cfg.GRPCListen)}
	}
	tokens, err := cfg.Tokens(os.Getenv)
	if err != nil {
		return &codeError{exitUsage, err}
	}
	authn, err := auth.NewAuthenticator(tokens, anonymous)
	if err != nil {
		return &codeError{exitUsage, err}
	}
	if err := authn.WithClientCerts(cfg.Auth.ClientCerts); err != nil {
		return &codeError{exitUsage, err}
	}
	if anonymous {
		logger.Warn("no auth tokens configured: accepting unauthenticated calls with every role, on loopback only", "listen", cfg.Listen)
	}

	promReg := prometheus.NewRegistry()
	promReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// The migrations are applied by `clearance registry migrate`, except on
	// the embedded store, which has none.
	st, err := openStores(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer st.Close()

	app, err := buildApp(ctx, cfg, st, logger, promReg)
	if err != nil {
		return err
	}
	defer app.Close()

	srv, err := gateway.NewServer(gateway.ServerConfig{Listen: cfg.Listen, GRPCListen: cfg.GRPCListen, MaxBodyBytes: cfg.MaxBodyBytes, TLS: tlsCfg},
		authn, app.services, promReg, app.openapi, app.ready, logger)
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	logger.Info("clearance is serving", "addr", srv.Addr(), "grpc_addr", srv.GRPCAddr(), "policy_revision", app.decider.Engine().Revision())
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	fmt.Fprintf(e.stderr, "clearance: serving gRPC and REST on %s://%s (health /healthz, metrics /metrics, OpenAPI /openapi/)\n", scheme, srv.Addr())
	<-ctx.Done()
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// closers collects shutdown functions.
type closers []func()

func (c closers) Close() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

// newDecisionLog opens the decision log on the configured store.
func newDecisionLog(ctx context.Context, st *stores, logger *slog.Logger, reg prometheus.Registerer) (*decisionlog.Logger, error) {
	var sink decisionlog.Sink
	if st.pool != nil {
		sink = decisionlog.NewPGSink(st.pool)
	} else {
		bs, err := decisionlog.NewBoltSink(st.bolt)
		if err != nil {
			return nil, err
		}
		sink = bs
	}
	return decisionlog.New(decisionlog.DefaultConfig(), sink, logger, reg)
}

// openCLIStores loads config and flags for an offline command and opens the
// configured store (with a quiet logger). The caller closes it.
func openCLIStores(cmd *cobra.Command, f *serveFlags) (*stores, error) {
	cfg, err := loadWithFlags(cmd, f)
	if err != nil {
		return nil, &codeError{exitUsage, err}
	}
	logger := newLogger(Config{LogLevel: "warn", LogFormat: "text"}, os.Stderr)
	return openStores(cmd.Context(), cfg, logger, false)
}
