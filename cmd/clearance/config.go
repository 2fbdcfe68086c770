package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/clearancehq/clearance/gateway/auth"
)

// Config is the root configuration. Precedence: defaults < file < env
// (CLEARANCE_<SECTION>_<KEY>) < flags. Unknown keys in the file are errors.
type Config struct {
	Listen     string `yaml:"listen"`
	GRPCListen string `yaml:"grpc_listen"`
	DataDir    string `yaml:"data_dir"`
	LogLevel   string `yaml:"log_level"`
	LogFormat  string `yaml:"log_format"`
	// Store is "embedded" (bbolt in data_dir) or "postgres".
	Store       string `yaml:"store"`
	PostgresDSN string `yaml:"postgres_dsn"`
	// Redis, when set, enables the L2 verdict cache and event fan-out.
	Redis       string `yaml:"redis"`
	RedisPrefix string `yaml:"redis_prefix"`
	// PolicyDir is a policy directory to watch; empty uses the shipped packs.
	PolicyDir  string        `yaml:"policy_dir"`
	PolicyPoll time.Duration `yaml:"policy_poll"`
	// PolicyEngines selects the shipped packs' language: rego (default),
	// cel, or both (evaluated together, reasons merged).
	PolicyEngines string `yaml:"policy_engines"`
	// Seed loads the example data into an empty embedded store.
	Seed            bool          `yaml:"seed"`
	DecisionTimeout time.Duration `yaml:"decision_timeout"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	BatchWorkers    int           `yaml:"batch_workers"`
	Auth            AuthConfig    `yaml:"auth"`
	TLS             TLSConfig     `yaml:"tls"`
	Cache           CacheConfig   `yaml:"cache"`
	Screening       ScreenConfig  `yaml:"screening"`
	Review          ReviewConfig  `yaml:"review"`
	AML             AMLConfig     `yaml:"aml"`
}

// AMLConfig chooses where AML velocity windows live.
type AMLConfig struct {
	// Windows is "auto" (Redis when configured, else in-process), "redis"
	// or "memory". Redis windows are shared by replicas and fail closed when
	// Redis is down (checks DENY with INDETERMINATE, retryable); in-process
	// windows keep answering but count only this replica's movements.
	Windows string `yaml:"windows"`
}

// AuthConfig lists bearer tokens and mTLS client certificate mappings.
type AuthConfig struct {
	Tokens      []TokenConfig     `yaml:"tokens"`
	ClientCerts []auth.ClientCert `yaml:"client_certs"`
}

// TLSConfig enables TLS on the listeners, and mTLS with client_ca_file.
type TLSConfig struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"`
	// ClientAuth is "optional" (a certificate, if presented, must verify;
	// callers may use tokens instead) or "require".
	ClientAuth string `yaml:"client_auth"`
}

// Load builds the server's tls.Config, or nil when TLS is off.
func (c TLSConfig) Load() (*tls.Config, error) {
	if c.CertFile == "" && c.KeyFile == "" {
		if c.ClientCAFile != "" {
			return nil, errors.New("tls.client_ca_file: needs tls.cert_file and tls.key_file")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("tls.client_ca_file: no PEM certificates")
		}
		cfg.ClientCAs = pool
		switch c.ClientAuth {
		case "", "optional":
			cfg.ClientAuth = tls.VerifyClientCertIfGiven
		case "require":
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		default:
			return nil, fmt.Errorf("tls.client_auth: must be optional or require, not %q", c.ClientAuth)
		}
	}
	return cfg, nil
}

// TokenConfig is one token; the secret comes from token_env or token_file,
// or inline token (discouraged).
type TokenConfig struct {
	Name      string   `yaml:"name"`
	Roles     []string `yaml:"roles"`
	Token     string   `yaml:"token"`
	TokenEnv  string   `yaml:"token_env"`
	TokenFile string   `yaml:"token_file"`
}

// CacheConfig tunes the verdict cache.
type CacheConfig struct {
	Disabled     bool          `yaml:"disabled"`
	L1Size       int           `yaml:"l1_size"`
	TTL          time.Duration `yaml:"ttl"`
	RedisTimeout time.Duration `yaml:"redis_timeout"`
}

// ScreenConfig configures the sanctions lists.
type ScreenConfig struct {
	// ListsDir holds list files (sdn.csv, alt.csv, add.csv, sdn_comments.csv,
	// UN/EU XML). Empty uses the bundled example list.
	ListsDir string        `yaml:"lists_dir"`
	Refresh  time.Duration `yaml:"refresh"`
}

// ReviewConfig configures the review queue.
type ReviewConfig struct {
	FourEyesRisk     int64         `yaml:"four_eyes_risk"`
	SLA              time.Duration `yaml:"sla"`
	Expiry           time.Duration `yaml:"expiry"`
	WebhookURL       string        `yaml:"webhook_url"`
	WebhookSecretEnv string        `yaml:"webhook_secret_env"`
}

// DefaultConfig returns the embedded default.
func DefaultConfig() Config {
	return Config{
		Listen: "127.0.0.1:8080", DataDir: "./data", LogLevel: "info", LogFormat: "text", Store: "embedded",
		RedisPrefix: "clearance", PolicyPoll: time.Second, PolicyEngines: "rego", Seed: true, DecisionTimeout: 2 * time.Second,
		MaxBodyBytes: 16 << 20, BatchWorkers: 8,
		Cache:  CacheConfig{L1Size: 100000, TTL: 60 * time.Second, RedisTimeout: 5 * time.Millisecond},
		Review: ReviewConfig{FourEyesRisk: 80, SLA: 24 * time.Hour, Expiry: 7 * 24 * time.Hour},
		AML:    AMLConfig{Windows: "auto"},
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen: is required"))
	}
	switch c.Store {
	case "embedded":
		if c.DataDir == "" {
			errs = append(errs, errors.New("data_dir: is required for the embedded store"))
		}
	case "postgres":
		if c.PostgresDSN == "" {
			errs = append(errs, errors.New("postgres_dsn: is required when store is postgres"))
		}
	default:
		errs = append(errs, fmt.Errorf("store: must be embedded or postgres, not %q", c.Store))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: must be debug, info, warn or error, not %q", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log_format: must be text or json, not %q", c.LogFormat))
	}
	switch c.PolicyEngines {
	case "rego", "cel", "both":
	default:
		errs = append(errs, fmt.Errorf("policy_engines: must be rego, cel or both, not %q", c.PolicyEngines))
	}
	switch c.AML.Windows {
	case "auto", "memory":
	case "redis":
		if c.Redis == "" {
			errs = append(errs, errors.New("aml.windows: redis needs redis to be set"))
		}
	default:
		errs = append(errs, fmt.Errorf("aml.windows: must be auto, redis or memory, not %q", c.AML.Windows))
	}
	if c.DecisionTimeout <= 0 {
		errs = append(errs, errors.New("decision_timeout: must be positive"))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("max_body_bytes: must be at least 1024"))
	}
	if c.BatchWorkers < 1 || c.BatchWorkers > 256 {
		errs = append(errs, errors.New("batch_workers: must be between 1 and 256"))
	}
	if c.Cache.L1Size < 0 {
		errs = append(errs, errors.New("cache.l1_size: must not be negative"))
	}
	for i, t := range c.Auth.Tokens {
		if t.Name == "" {
			errs = append(errs, fmt.Errorf("auth.tokens[%d].name: is required", i))
		}
		n := 0
		for _, s := range []string{t.Token, t.TokenEnv, t.TokenFile} {
			if s != "" {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, fmt.Errorf("auth.tokens[%d]: exactly one of token, token_env, token_file is required", i))
		}
	}
	return errors.Join(errs...)
}

// LogValue redacts secrets when the config is logged.
func (c Config) LogValue() slog.Value {
	dsn := ""
	if c.PostgresDSN != "" {
		dsn = "(set)"
	}
	return slog.GroupValue(slog.String("listen", c.Listen), slog.String("store", c.Store), slog.String("data_dir", c.DataDir),
		slog.String("postgres_dsn", dsn), slog.String("redis", c.Redis), slog.String("policy_dir", c.PolicyDir), slog.Int("tokens", len(c.Auth.Tokens)))
}

// Tokens resolves the configured token secrets.
func (c *Config) Tokens(getenv func(string) string) ([]auth.Token, error) {
	var out []auth.Token
	for _, t := range c.Auth.Tokens {
		secret := t.Token
		switch {
		case t.TokenEnv != "":
			secret = getenv(t.TokenEnv)
			if secret == "" {
				return nil, fmt.Errorf("auth token %s: env var %s is empty", t.Name, t.TokenEnv)
			}
		case t.TokenFile != "":
			b, err := os.ReadFile(t.TokenFile)
			if err != nil {
				return nil, fmt.Errorf("auth token %s: %w", t.Name, err)
			}
			secret = strings.TrimSpace(string(b))
		}
		out = append(out, auth.Token{Name: t.Name, Roles: t.Roles, Token: secret})
	}
	return out, nil
}

// LoadConfig builds the config from defaults, an optional file, the
// environment and explicitly set flags (applied by the caller afterwards).
func LoadConfig(file string, environ []string) (Config, error) {
	c := DefaultConfig()
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && err.Error() != "EOF" {
			return c, fmt.Errorf("config %s: %w", file, err)
		}
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CLEARANCE_") && !strings.HasPrefix(k, "CLEARANCE_TEST_") && !strings.HasPrefix(k, "CLEARANCE_BENCH_") {
			env[k] = v
		}
	}
	used := map[string]bool{}
	if err := applyEnv(reflect.ValueOf(&c).Elem(), "CLEARANCE", env, used); err != nil {
		return c, err
	}
	for k := range env {
		if !used[k] && !ignoredEnv[k] {
			return c, fmt.Errorf("config: unknown environment variable %s", k)
		}
	}
	return c, nil
}

// ignoredEnv are CLEARANCE_ variables read elsewhere (tests, tools).
var ignoredEnv = map[string]bool{"CLEARANCE_SANCTIONS_DIR": true, "CLEARANCE_CONFIG": true, "CLEARANCE_TOKEN": true, "CLEARANCE_ADDR": true}

func applyEnv(v reflect.Value, prefix string, env map[string]string, used map[string]bool) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			if err := applyEnv(fv, name, env, used); err != nil {
				return err
			}
			continue
		}
		s, ok := env[name]
		if !ok {
			continue
		}
		used[name] = true
		if err := setScalar(fv, s); err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
	}
	return nil
}

func setScalar(fv reflect.Value, s string) error {
	switch fv.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		fv.SetInt(n)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
