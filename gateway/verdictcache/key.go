package verdictcache

import (
	"crypto/sha256"
	"encoding/binary"
	"math"

	"github.com/cespare/xxhash/v2"

	"github.com/clearancehq/clearance/policies"
)

// key identifies one set of static facts: 128 bits of a hash over their
// canonical encoding.
type key [16]byte

// keyVersion is mixed into every key; bump it whenever the canonical
// encoding or the set of encoded facts changes, so old L2 entries are never
// read under a new meaning.
const keyVersion = 1

// The append functions build a canonical, unambiguous encoding: every
// string is length prefixed, every list is count prefixed, every optional
// part carries a presence byte. No reflection, no maps iterated. They take
// and return the buffer so a caller's stack buffer does not escape.

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFlag(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendStrs(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendStr(b, s)
	}
	return b
}

// encoder wraps the append functions for the L2 value codec.
type encoder struct{ b []byte }

func (e *encoder) str(s string) { e.b = appendStr(e.b, s) }
func (e *encoder) i64(v int64)  { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) flag(v bool)  { e.b = appendFlag(e.b, v) }

// appendStatic appends the canonical encoding of every fact static rules may
// read. It excludes the dynamic facts on purpose: amount, holdings, holder
// counts, AML, reconciliation holds and Now (time enters through the
// validity window instead, see window).
func appendStatic(b []byte, in *policies.Input, revision string) []byte {
	b = append(b, keyVersion)
	b = appendStr(b, revision)
	b = appendStr(b, in.ListVersion)
	b = appendStr(b, string(in.Action))
	b = appendStr(b, in.AssetID)
	b = appendStr(b, in.FromWallet)
	b = appendStr(b, in.ToWallet)
	b = appendStr(b, in.Venue)

	a := &in.Asset
	b = appendFlag(b, a.Known)
	b = appendStr(b, a.ID)
	b = appendStr(b, a.Ticker)
	b = binary.AppendVarint(b, int64(a.Decimals))
	b = binary.AppendVarint(b, a.Version)
	b = appendStr(b, a.Pack)
	b = appendStrs(b, a.PausedActions)
	b = appendStrs(b, a.AllowedJurisdictions)
	b = appendStrs(b, a.BlockedJurisdictions)
	b = appendStrs(b, a.AllowedCategories)
	b = appendStr(b, a.Parties)
	b = binary.AppendVarint(b, a.LockupDays)
	b = appendFlag(b, a.RedeemInLockup)
	b = binary.AppendVarint(b, a.MaxHolders)
	b = binary.AppendVarint(b, a.MaxBalancePerInvestor)
	b = binary.AppendVarint(b, a.MinInvestment)
	b = binary.AppendVarint(b, a.MaxInvestment)
	b = appendFlag(b, a.RequireWhitelist)
	b = binary.AppendVarint(b, a.ReviewScore)
	b = binary.AppendVarint(b, a.EscalateScore)
	b = appendStr(b, a.TreasuryWallet)
	b = appendStr(b, a.RedemptionWallet)
	b = binary.AppendUvarint(b, uint64(len(a.Conditions)))
	for i := range a.Conditions {
		c := &a.Conditions[i]
		b = appendStr(b, c.ID)
		b = appendStr(b, c.Expr)
		b = appendStr(b, c.Effect)
		b = appendStr(b, c.Code)
		b = appendStr(b, c.Message)
	}
	// MaxHoldersPerJurisdiction is read only by dynamic rules and changes
	// only with Asset.Version, which is encoded above.

	b = appendParty(b, in.From)
	b = appendParty(b, in.To)
	return b
}

func appendParty(b []byte, p *policies.PartyFacts) []byte {
	if p == nil {
		return appendFlag(b, false)
	}
	b = appendFlag(b, true)
	b = appendFlag(b, p.Known)
	b = appendFlag(b, p.IsTreasury)
	b = appendFlag(b, p.IsRedemption)

	w := &p.Wallet
	b = appendStr(b, w.Address)
	b = appendStr(b, w.Chain)
	b = appendFlag(b, w.Verified)
	b = appendFlag(b, w.Active)
	b = appendFlag(b, w.Frozen)
	b = binary.AppendVarint(b, w.FrozenAmount)
	b = binary.AppendVarint(b, w.Version)

	v := &p.Investor
	b = appendFlag(b, v.Known)
	b = appendStr(b, v.ID)
	b = appendStr(b, v.Status)
	b = binary.AppendVarint(b, v.EffectiveFrom)
	b = binary.AppendVarint(b, v.EffectiveTo)
	b = binary.AppendVarint(b, v.KYCExpiresAt)
	b = appendStr(b, v.Category)
	b = appendStr(b, v.Jurisdiction)
	b = appendStr(b, v.Type)
	b = appendFlag(b, v.Active)
	b = appendFlag(b, v.Whitelisted)
	b = binary.AppendVarint(b, v.LockedUntil)
	b = binary.AppendVarint(b, v.ExpectedMin)
	b = binary.AppendVarint(b, v.ExpectedMax)
	b = binary.AppendVarint(b, v.Version)

	s := &p.Screening
	b = appendStr(b, s.Status)
	b = binary.AppendUvarint(b, math.Float64bits(s.Score))
	b = appendStr(b, s.Entry)
	return appendFlag(b, s.Exception)
}

// hashXX is the fast hash: two xxhash64 digests with different seeds.
func hashXX(b []byte) key {
	var k key
	binary.LittleEndian.PutUint64(k[:8], xxhash.Sum64(b))
	d := xxhash.NewWithSeed(0x9e3779b97f4a7c15)
	_, _ = d.Write(b)
	binary.LittleEndian.PutUint64(k[8:], d.Sum64())
	return k
}

// hashSHA is SHA-256 truncated to 128 bits.
func hashSHA(b []byte) key {
	s := sha256.Sum256(b)
	var k key
	copy(k[:], s[:16])
	return k
}

// keyOf returns the key of in's static facts under revision.
func keyOf(in *policies.Input, revision string) key {
	var buf [1024]byte
	return hashSHA(appendStatic(buf[:0], in, revision))
}

// window returns the validity window (lo, hi) of the static facts at
// in.Now: lo is the latest time boundary strictly before Now
// (math.MinInt64 if none), hi the earliest strictly after (math.MaxInt64 if
// none). ok is false when Now sits on a boundary or hi is within a second,
// in which case the result must not be cached.
func window(in *policies.Input) (lo, hi int64, ok bool) {
	lo, hi = math.MinInt64, math.MaxInt64
	now := in.Now
	ok = true
	see := func(b int64) {
		switch {
		case b == 0:
		case b == now:
			ok = false
		case b < now:
			lo = max(lo, b)
		default:
			hi = min(hi, b)
		}
	}
	for _, p := range [2]*policies.PartyFacts{in.From, in.To} {
		if p == nil {
			continue
		}
		see(p.Investor.KYCExpiresAt)
		see(p.Investor.EffectiveFrom)
		see(p.Investor.EffectiveTo)
		see(p.Investor.LockedUntil)
	}
	if hi != math.MaxInt64 && hi-now <= 1 {
		ok = false
	}
	return lo, hi, ok
}
