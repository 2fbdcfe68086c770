package storecore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/clearancehq/clearance/registry"
)

// Limits on a Change.
const (
	maxActorLen  = 128
	maxReasonLen = 1024
)

// CommitTime returns the commit time of c: c.At if set, else now, in UTC
// truncated to microseconds (PostgreSQL's precision), so both stores agree.
func CommitTime(c registry.Change) time.Time {
	t := c.At
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// CheckChange validates the actor and reason of a write.
func CheckChange(c registry.Change) error {
	if c.Actor == "" {
		return &registry.ValidationError{Field: "actor", Rule: "is required"}
	}
	if len(c.Actor) > maxActorLen {
		return &registry.ValidationError{Field: "actor", Rule: fmt.Sprintf("longer than %d characters", maxActorLen)}
	}
	if len(c.Reason) > maxReasonLen {
		return &registry.ValidationError{Field: "reason", Rule: fmt.Sprintf("longer than %d characters", maxReasonLen)}
	}
	return nil
}

// CheckMonotonic fails if a change at `at` would precede the previous
// version's commit time.
func CheckMonotonic(prev, at time.Time) error {
	if at.Before(prev) {
		return &registry.ValidationError{Field: "at", Rule: "change time is before the previous version's commit time"}
	}
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// PrepareInvestor validates inv and fills store-owned fields. prev is the
// current version (nil on create). A zero EffectiveFrom keeps prev's, or is
// the commit time on create.
func PrepareInvestor(inv registry.Investor, prev *registry.Investor, at time.Time) (registry.Investor, error) {
	inv.EffectiveFrom = inv.EffectiveFrom.UTC()
	if inv.EffectiveFrom.IsZero() {
		if prev != nil {
			inv.EffectiveFrom = prev.EffectiveFrom
		} else {
			inv.EffectiveFrom = at
		}
	}
	inv.EffectiveTo = utcPtr(inv.EffectiveTo)
	inv.KYCExpiresAt = utcPtr(inv.KYCExpiresAt)
	inv.LockedUntil = utcPtr(inv.LockedUntil)
	if len(inv.ExternalRefs) == 0 {
		inv.ExternalRefs = nil
	} else {
		inv.ExternalRefs = maps.Clone(inv.ExternalRefs)
	}
	if len(inv.BeneficialOwners) == 0 {
		inv.BeneficialOwners = nil
	}
	if err := registry.ValidateInvestor(&inv); err != nil {
		return inv, err
	}
	inv.UpdatedAt = at
	return inv, nil
}

// PrepareWallet validates w and fills store-owned fields.
func PrepareWallet(w registry.Wallet, at time.Time) (registry.Wallet, error) {
	if err := registry.ValidateWallet(&w); err != nil {
		return w, err
	}
	w.UpdatedAt = at
	return w, nil
}

// PrepareAsset validates a and fills store-owned fields.
func PrepareAsset(a registry.Asset, at time.Time) (registry.Asset, error) {
	a.PausedActions = slices.Clone(a.PausedActions)
	a.Params.AllowedJurisdictions = slices.Clone(a.Params.AllowedJurisdictions)
	a.Params.BlockedJurisdictions = slices.Clone(a.Params.BlockedJurisdictions)
	a.Params.AllowedCategories = slices.Clone(a.Params.AllowedCategories)
	a.Params.Conditions = slices.Clone(a.Params.Conditions)
	if len(a.Params.MaxHoldersPerJurisdiction) == 0 {
		a.Params.MaxHoldersPerJurisdiction = nil
	}
	for _, p := range []*[]string{&a.PausedActions, &a.Params.AllowedJurisdictions, &a.Params.BlockedJurisdictions, &a.Params.AllowedCategories} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	if len(a.Params.Conditions) == 0 {
		a.Params.Conditions = nil
	}
	if err := registry.ValidateAsset(&a); err != nil {
		return a, err
	}
	a.UpdatedAt = at
	return a, nil
}

// SameContent reports whether two entities of the same kind carry the same
// content, ignoring Version and UpdatedAt.
func SameContent[T registry.Investor | registry.Wallet | registry.Asset](a, b T) bool {
	ja, err1 := json.Marshal(stripMeta(a))
	jb, err2 := json.Marshal(stripMeta(b))
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

func stripMeta[T registry.Investor | registry.Wallet | registry.Asset](v T) any {
	switch x := any(v).(type) {
	case registry.Investor:
		x.Version, x.UpdatedAt = 0, time.Time{}
		return x
	case registry.Wallet:
		x.Version, x.UpdatedAt = 0, time.Time{}
		return x
	case registry.Asset:
		x.Version, x.UpdatedAt = 0, time.Time{}
		return x
	}
	return v
}

// Bus delivers events to in-process subscribers.
type Bus struct {
	mu   sync.Mutex
	next int
	subs map[int]func(registry.Event)
	// pub serialises publication so subscribers see events in Seq order.
	pub sync.Mutex
}

// Subscribe registers fn; cancel unregisters it.
func (b *Bus) Subscribe(fn func(registry.Event)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[int]func(registry.Event){}
	}
	id := b.next
	b.next++
	b.subs[id] = fn
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
		})
	}
}

// Publish delivers events, in order, to every subscriber.
func (b *Bus) Publish(events []registry.Event) {
	if len(events) == 0 {
		return
	}
	b.pub.Lock()
	defer b.pub.Unlock()
	b.mu.Lock()
	fns := make([]func(registry.Event), 0, len(b.subs))
	ids := slices.Sorted(maps.Keys(b.subs))
	for _, id := range ids {
		fns = append(fns, b.subs[id])
	}
	b.mu.Unlock()
	for _, e := range events {
		for _, fn := range fns {
			fn(e)
		}
	}
}

// HistoryFunc returns the revisions of one entity, oldest first.
type HistoryFunc func(ctx context.Context, kind, id string) ([]registry.Revision, error)

// ChangePoints collects the change points of a wallet's eligibility for an
// asset from the histories of the wallet, every investor that owned it, the
// asset and those investors' whitelist entries. Points lie in [from, to).
func ChangePoints(ctx context.Context, history HistoryFunc, assetID, wallet string, from, to time.Time) ([]registry.ChangePoint, error) {
	if !to.After(from) {
		return nil, &registry.ValidationError{Field: "to", Rule: "must be after from"}
	}
	_, addr, err := registry.NormalizeAddress(wallet)
	if err != nil {
		return nil, err
	}
	wrevs, err := history(ctx, registry.KindWallet, addr)
	if err != nil {
		return nil, err
	}
	arevs, err := history(ctx, registry.KindAsset, assetID)
	if err != nil {
		return nil, err
	}
	if len(wrevs) == 0 || len(arevs) == 0 {
		return nil, fmt.Errorf("registry: change points for %s on %s: %w", addr, assetID, registry.ErrNotFound)
	}
	var out []registry.ChangePoint
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	addRev := func(r registry.Revision) {
		if in(r.At) {
			out = append(out, registry.ChangePoint{At: r.At, Kind: r.Kind, ID: r.ID, Version: r.Version, Actor: r.Actor, Reason: r.Reason})
		}
	}
	investors := []string{}
	for _, r := range wrevs {
		addRev(r)
		if r.Wallet != nil && !slices.Contains(investors, r.Wallet.InvestorID) {
			investors = append(investors, r.Wallet.InvestorID)
		}
	}
	for _, r := range arevs {
		addRev(r)
	}
	seen := map[string]bool{}
	for _, id := range investors {
		irevs, err := history(ctx, registry.KindInvestor, id)
		if err != nil {
			return nil, err
		}
		for _, r := range irevs {
			addRev(r)
			if r.Investor == nil {
				continue
			}
			inv := r.Investor
			for _, b := range []struct {
				field string
				t     *time.Time
			}{{"effective_from", &inv.EffectiveFrom}, {"effective_to", inv.EffectiveTo}, {"kyc_expires_at", inv.KYCExpiresAt}, {"locked_until", inv.LockedUntil}} {
				if b.t == nil || b.t.IsZero() || !in(*b.t) {
					continue
				}
				key := id + "|" + b.field + "|" + b.t.String()
				if seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, registry.ChangePoint{At: *b.t, Kind: registry.KindBoundary, ID: id, Version: r.Version, Field: b.field, Actor: r.Actor, Reason: r.Reason})
			}
		}
		wl, err := history(ctx, registry.KindWhitelist, registry.WhitelistID(assetID, id))
		if err != nil {
			return nil, err
		}
		for _, r := range wl {
			addRev(r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// Ptr returns a pointer to a copy of v.
func Ptr[T any](v T) *T { return &v }
