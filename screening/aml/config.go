package aml

import (
	"fmt"
	"time"
)

// Feature is one named contribution to the score: a CEL expression over the
// feature variables (see Variables) that yields an int.
type Feature struct {
	Name string `yaml:"name" json:"name"`
	Expr string `yaml:"expr" json:"expr"`
}

// Config tunes the scorer. The zero value is not usable; start from
// DefaultConfig and override.
type Config struct {
	// Features are summed, then the sum is clamped to [0, 100].
	Features []Feature `yaml:"features" json:"features"`
	// CountryRisk maps an ISO 3166-1 alpha-2 jurisdiction to its risk
	// (conventionally 0-30, the seed's profile base). Jurisdictions not
	// listed get DefaultCountryRisk.
	CountryRisk        map[string]int64 `yaml:"country_risk" json:"country_risk"`
	DefaultCountryRisk int64            `yaml:"default_country_risk" json:"default_country_risk"`
	// Day, Week and Month are the velocity windows (defaults 24h, 7d, 30d).
	Day   time.Duration `yaml:"day" json:"day"`
	Week  time.Duration `yaml:"week" json:"week"`
	Month time.Duration `yaml:"month" json:"month"`
	// Short is the fan-out / rapid in-and-out window (default 1h).
	Short time.Duration `yaml:"short" json:"short"`
}

// DefaultConfig returns the shipped model, calibrated on the seed's
// illustrative scoring (requirements §4.4): profile base 0-30, amount
// deviation +5..+30, behavioural signals, and a confirmed sanctions match at
// 100.
func DefaultConfig() Config {
	return Config{
		Features: []Feature{
			// Profile base: jurisdiction risk plus 10 for entities, at most 30.
			{Name: "profile", Expr: `jurisdiction_risk + (entity ? 10 : 0) > 30 ? 30 : jurisdiction_risk + (entity ? 10 : 0)`},
			// Amount against the expected range: per request and over 30 days.
			{Name: "amount", Expr: `max_ratio_pct > 600 ? 30 : max_ratio_pct > 300 ? 20 : max_ratio_pct > 150 ? 5 : 0`},
			// Velocity: many movements in a day or a week.
			{Name: "velocity", Expr: `count_24h >= 20 ? 20 : count_24h >= 10 || count_7d >= 40 ? 10 : 0`},
			// A counterparty never seen before; more when it is not onboarded.
			{Name: "new_counterparty", Expr: `counterparty_new ? (counterparty_known ? 5 : 20) : 0`},
			// Many new counterparties in a day.
			{Name: "new_counterparty_rate", Expr: `new_counterparties_24h >= 10 ? 10 : new_counterparties_24h >= 5 ? 5 : 0`},
			// Fan-out to new wallets within the short window (this one included).
			{Name: "fan_out", Expr: `outgoing && fan_out >= 3 ? 25 : outgoing && fan_out >= 2 ? 10 : 0`},
			// Rapid in-and-out: sending while funds arrived within the short window.
			{Name: "rapid_in_out", Expr: `outgoing && in_sum_short > 0 ? 10 : 0`},
			// Sanctions: a confirmed match is a hard stop; a potential match weighs its score.
			{Name: "sanctions", Expr: `sanctions_confirmed ? 100 : sanctions_potential ? sanctions_score_pct / 2 : 0`},
		},
		CountryRisk: map[string]int64{
			// Low-risk examples; compliance maintains the real table.
			"US": 10, "GB": 10, "DE": 10, "FR": 10, "CH": 10, "NL": 10, "LU": 10, "IE": 10,
			"SG": 10, "JP": 10, "CA": 10, "AU": 10, "ES": 10, "IT": 10, "AT": 10, "BE": 10,
			"SE": 10, "DK": 10, "NO": 10, "FI": 10, "NZ": 10, "HK": 15, "AE": 20,
			// High risk (FATF call for action / monitoring examples).
			"IR": 30, "KP": 30, "MM": 30, "SY": 30, "RU": 30,
		},
		DefaultCountryRisk: 20,
		Day:                24 * time.Hour,
		Week:               7 * 24 * time.Hour,
		Month:              30 * 24 * time.Hour,
		Short:              time.Hour,
	}
}

// maxFeatures and maxExprLen bound configuration size.
const (
	maxFeatures = 64
	maxExprLen  = 2048
)

func (c Config) validate() error {
	if len(c.Features) == 0 {
		return fmt.Errorf("aml: config: features: at least one feature is required")
	}
	if len(c.Features) > maxFeatures {
		return fmt.Errorf("aml: config: features: %d features, at most %d", len(c.Features), maxFeatures)
	}
	seen := map[string]bool{}
	for i, f := range c.Features {
		if f.Name == "" {
			return fmt.Errorf("aml: config: features[%d].name: required", i)
		}
		if seen[f.Name] {
			return fmt.Errorf("aml: config: features[%d].name: duplicate %q", i, f.Name)
		}
		seen[f.Name] = true
		if f.Expr == "" || len(f.Expr) > maxExprLen {
			return fmt.Errorf("aml: config: features[%d].expr: must be 1-%d characters", i, maxExprLen)
		}
	}
	for k, v := range c.CountryRisk {
		if len(k) != 2 {
			return fmt.Errorf("aml: config: country_risk: %q is not an ISO 3166-1 alpha-2 code", k)
		}
		if v < 0 || v > 100 {
			return fmt.Errorf("aml: config: country_risk[%s]: %d outside 0-100", k, v)
		}
	}
	if c.DefaultCountryRisk < 0 || c.DefaultCountryRisk > 100 {
		return fmt.Errorf("aml: config: default_country_risk: %d outside 0-100", c.DefaultCountryRisk)
	}
	if c.Short <= 0 || c.Day <= 0 || c.Week <= 0 || c.Month <= 0 {
		return fmt.Errorf("aml: config: short, day, week and month windows must be positive")
	}
	if c.Short%time.Second != 0 || c.Day%time.Second != 0 || c.Week%time.Second != 0 || c.Month%time.Second != 0 {
		return fmt.Errorf("aml: config: windows must be whole seconds")
	}
	return nil
}
