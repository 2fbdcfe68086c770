package ledger

import (
	"strconv"
	"strings"
)

// TextValue renders v smallest units with decimals places, trailing zeros
// trimmed: TextValue(205500, 4) == "20.55", TextValue(600000, 4) == "60".
func TextValue(v int64, decimals int) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-(v + 1)) + 1
	}
	s := strconv.FormatUint(u, 10)
	if decimals > 0 {
		if len(s) <= decimals {
			s = strings.Repeat("0", decimals-len(s)+1) + s
		}
		ip, fp := s[:len(s)-decimals], strings.TrimRight(s[len(s)-decimals:], "0")
		s = ip
		if fp != "" {
			s += "." + fp
		}
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseAmount parses a non-negative integer amount in smallest units.
func ParseAmount(field, s string) (int64, error) {
	if s == "" {
		return 0, invalid(field, "required")
	}
	if len(s) > 19 {
		return 0, invalid(field, "too large")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, invalid(field, "must be a non-negative integer in smallest units")
	}
	return v, nil
}
