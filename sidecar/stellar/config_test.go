package stellar

import (
	"bytes"
	"os"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestDeployConfigDecodesStrictly(t *testing.T) {
	b, err := os.ReadFile("../../deploy/sidecar-stellar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if cfg.PendingTimeout != time.Hour || cfg.AssetCode != "FUND" {
		t.Errorf("decoded %+v", cfg)
	}
}
