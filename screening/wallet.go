package screening

import "strings"

// NormalizeAddress applies each chain's case rules so addresses can be
// compared exactly: EVM hex addresses (0x + 40 hex digits) and bech32
// addresses (bc1/ltc1/tb1...) are case-insensitive and are lowercased;
// everything else (base58 Bitcoin/Tron, Stellar G..., Monero, ...) is
// case-sensitive and kept as is. Surrounding space is trimmed.
func NormalizeAddress(addr string) string {
	a := strings.TrimSpace(addr)
	if len(a) == 42 && (strings.HasPrefix(a, "0x") || strings.HasPrefix(a, "0X")) && isHex(a[2:]) {
		return strings.ToLower(a)
	}
	la := strings.ToLower(a)
	for _, p := range []string{"bc1", "tb1", "ltc1", "bcrt1"} {
		if strings.HasPrefix(la, p) && (a == la || a == strings.ToUpper(a)) {
			return la
		}
	}
	return a
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
