package registry_test

import (
	"errors"
	"testing"

	"github.com/clearancehq/clearance/registry"
)

func TestNormalizeAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		wantChain string
		wantAddr  string
		wantErr   bool
	}{
		{"evm lowercase", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "evm", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", false},
		{"evm EIP-55 checksum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "evm", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", false},
		{"evm EIP-55 second vector", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "evm", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", false},
		{"evm all upper", "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", "evm", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", false},
		{"evm bad checksum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "", "", true},
		{"evm too short", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea", "", "", true},
		{"evm not hex", "0xzaaeb6053f3e94c9b9a09f33669435e7ef1beaed", "", "", true},
		{"stellar", "GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7", "stellar", "GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7", false},
		{"stellar bad checksum", "GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN6", "", "", true},
		{"stellar secret seed rejected", "SBCVMMCBEDB64TVJZFYJOJAERZC4YVVUOE6SYR2Y76CBTENGUSGWRRVO", "", "", true},
		{"ledger account", "acct:alice.main", "ledger", "acct:alice.main", false},
		{"ledger too short", "ab", "", "", true},
		{"ledger uppercase", "Alice", "", "", true},
		{"empty", "", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain, addr, err := registry.NormalizeAddress(tc.in)
			if tc.wantErr {
				var ve *registry.ValidationError
				if !errors.As(err, &ve) || ve.Field != "address" {
					t.Fatalf("err = %v, want a validation error on address", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if chain != tc.wantChain || addr != tc.wantAddr {
				t.Fatalf("got %s %s, want %s %s", chain, addr, tc.wantChain, tc.wantAddr)
			}
		})
	}
}

func TestChecksumAddressRoundTrip(t *testing.T) {
	t.Parallel()
	want := "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
	if got := registry.ChecksumAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"); got != want {
		t.Fatalf("ChecksumAddress = %s, want %s", got, want)
	}
}

func TestValidCountry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code string
		want bool
	}{
		{"switzerland", "CH", true},
		{"aland", "AX", true},
		{"south sudan", "SS", true},
		{"lowercase", "ch", false},
		{"user-assigned", "XK", false},
		{"withdrawn", "AN", false},
		{"alpha-3", "CHE", false},
		{"uk is not GB", "UK", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := registry.ValidCountry(tc.code); got != tc.want {
				t.Fatalf("ValidCountry(%q) = %v", tc.code, got)
			}
		})
	}
}

func TestPageLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"default", 0, registry.DefaultPageSize},
		{"negative", -5, registry.DefaultPageSize},
		{"within", 7, 7},
		{"capped", 5000, registry.MaxPageSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (registry.PageRequest{Limit: tc.limit}).PageLimit(); got != tc.want {
				t.Fatalf("PageLimit(%d) = %d, want %d", tc.limit, got, tc.want)
			}
		})
	}
}
