package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleConfigParsesAndValidates(t *testing.T) {
	cfg, err := LoadConfig("../../deploy/config.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" {
		t.Errorf("listen = %s", cfg.Listen)
	}
}

func TestConfigPrecedenceAndUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:9000\ncache:\n  ttl: 30s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(file, []string{"CLEARANCE_CACHE_TTL=10s", "CLEARANCE_DATA_DIR=/tmp/x"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" {
		t.Errorf("file did not override default: %s", cfg.Listen)
	}
	if cfg.Cache.TTL != 10*time.Second || cfg.DataDir != "/tmp/x" {
		t.Errorf("env did not override file: %v %s", cfg.Cache.TTL, cfg.DataDir)
	}
	if err := os.WriteFile(file, []byte("listne: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(file, nil); err == nil || !strings.Contains(err.Error(), "listne") {
		t.Errorf("unknown file key: %v", err)
	}
	if _, err := LoadConfig("", []string{"CLEARANCE_LISTN=x"}); err == nil {
		t.Error("unknown env var accepted")
	}
	if _, err := LoadConfig("", []string{"CLEARANCE_CACHE_TTL=soon"}); err == nil {
		t.Error("bad duration accepted")
	}
	bad := DefaultConfig()
	bad.Store = "mongo"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "store") {
		t.Errorf("bad store: %v", err)
	}
}
