package screening

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/clearancehq/clearance/policies"
)

// PartyFunc returns the identity to screen an investor with (cmd builds it
// from registry.Investor: Name, DateOfBirth, Nationality,
// RegistrationNumber, Type, and its beneficial owners as Owners). The
// investor's status is the worst tier over the investor and its owners.
type PartyFunc func(ctx context.Context, investorID string) (Party, error)

// ScreenerOptions configure a Screener.
type ScreenerOptions struct {
	Logger *slog.Logger
	Now    func() time.Time
}

// Screener serves precomputed screening statuses to the gateway (it
// implements gateway.Screener) and keeps them current: onboarding screens
// (ScreenInvestor, ScreenWallet), rescreens on a list change (Rescreen) and
// false-positive exceptions.
//
// Status is a lookup: an in-memory read-through map over the StatusStore,
// updated on every write through this Screener. Only an investor not yet
// screened against the list version in force is screened synchronously,
// once, and stored.
type Screener struct {
	svc   *Service
	store StatusStore
	party PartyFunc
	log   *slog.Logger
	now   func() time.Time

	mu         sync.RWMutex
	investors  map[string]StatusRecord
	wallets    map[string]StatusRecord
	exceptions map[string][]Exception // by investor id
}

// NewScreener builds a Screener.
func NewScreener(svc *Service, store StatusStore, party PartyFunc, o ScreenerOptions) (*Screener, error) {
	if svc == nil || store == nil || party == nil {
		return nil, errors.New("screening: NewScreener needs a service, a store and a party function")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Screener{svc: svc, store: store, party: party, log: o.Logger, now: o.Now,
		investors: map[string]StatusRecord{}, wallets: map[string]StatusRecord{}, exceptions: map[string][]Exception{}}, nil
}

// ListVersion is the version of the list set in force ("" when none).
func (s *Screener) ListVersion() string { return s.svc.ListVersion() }

// Status returns the sanctions facts for an investor and one of its
// wallets (either may be empty). The worse of the two wins. With no list
// loaded it returns UNAVAILABLE.
func (s *Screener) Status(ctx context.Context, investorID, wallet string) (policies.ScreeningFacts, error) {
	version := s.svc.ListVersion()
	if version == "" {
		return policies.ScreeningFacts{Status: StatusUnavailable}, nil
	}
	var facts policies.ScreeningFacts
	facts.Status = string(TierClear)
	if investorID != "" {
		rec, err := s.investorRecord(ctx, investorID, version)
		if err != nil {
			return policies.ScreeningFacts{Status: StatusUnavailable}, err
		}
		excs, err := s.investorExceptions(ctx, investorID)
		if err != nil {
			return policies.ScreeningFacts{Status: StatusUnavailable}, err
		}
		facts = effective(&rec, excs, s.now())
	}
	if wallet != "" {
		rec, err := s.walletRecord(ctx, wallet, version)
		if err != nil {
			return policies.ScreeningFacts{Status: StatusUnavailable}, err
		}
		if Tier(rec.Status).rank() > Tier(facts.Status).rank() {
			facts = policies.ScreeningFacts{Status: string(rec.Status), Score: rec.Score, Entry: rec.Entry}
		}
	}
	return facts, nil
}

// effective applies live exceptions to a record.
func effective(rec *StatusRecord, excs []Exception, now time.Time) policies.ScreeningFacts {
	var conf, pot, potEx *MatchRef
	for i := range rec.Matches {
		m := &rec.Matches[i]
		switch m.Tier {
		case TierConfirmed:
			if conf == nil || m.Score > conf.Score {
				conf = m
			}
		case TierPotential:
			excepted := false
			for j := range excs {
				if excs[j].List == m.List && excs[j].EntityID == m.EntityID && excs[j].Live(now) {
					excepted = true
					break
				}
			}
			if excepted {
				if potEx == nil || m.Score > potEx.Score {
					potEx = m
				}
			} else if pot == nil || m.Score > pot.Score {
				pot = m
			}
		}
	}
	switch {
	case conf != nil:
		return policies.ScreeningFacts{Status: string(TierConfirmed), Score: conf.Score, Entry: conf.Entry}
	case pot != nil:
		return policies.ScreeningFacts{Status: string(TierPotential), Score: pot.Score, Entry: pot.Entry}
	case potEx != nil:
		return policies.ScreeningFacts{Status: string(TierPotential), Score: potEx.Score, Entry: potEx.Entry, Exception: true}
	}
	return policies.ScreeningFacts{Status: string(TierClear), Score: rec.Score}
}

func (s *Screener) investorRecord(ctx context.Context, id, version string) (StatusRecord, error) {
	s.mu.RLock()
	rec, ok := s.investors[id]
	s.mu.RUnlock()
	if ok && rec.ListVersion == version {
		return rec, nil
	}
	rec, ok, err := s.store.Investor(ctx, id)
	if err != nil {
		return StatusRecord{}, fmt.Errorf("screening: read investor status: %w", err)
	}
	if ok && rec.ListVersion == version {
		s.mu.Lock()
		s.investors[id] = rec
		s.mu.Unlock()
		return rec, nil
	}
	return s.ScreenInvestor(ctx, id)
}

func (s *Screener) walletRecord(ctx context.Context, wallet, version string) (StatusRecord, error) {
	key := NormalizeAddress(wallet)
	s.mu.RLock()
	rec, ok := s.wallets[key]
	s.mu.RUnlock()
	if ok && rec.ListVersion == version {
		return rec, nil
	}
	rec, ok, err := s.store.Wallet(ctx, key)
	if err != nil {
		return StatusRecord{}, fmt.Errorf("screening: read wallet status: %w", err)
	}
	if ok && rec.ListVersion == version {
		s.mu.Lock()
		s.wallets[key] = rec
		s.mu.Unlock()
		return rec, nil
	}
	return s.ScreenWallet(ctx, wallet)
}

func (s *Screener) investorExceptions(ctx context.Context, id string) ([]Exception, error) {
	s.mu.RLock()
	excs, ok := s.exceptions[id]
	s.mu.RUnlock()
	if ok {
		return excs, nil
	}
	excs, err := s.store.Exceptions(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("screening: read exceptions: %w", err)
	}
	if excs == nil {
		excs = []Exception{}
	}
	s.mu.Lock()
	s.exceptions[id] = excs
	s.mu.Unlock()
	return excs, nil
}

// record builds a status record from matches.
func record(subject string, set ListSet, at time.Time, ms []Match) StatusRecord {
	rec := StatusRecord{Subject: subject, Status: TierClear, ListVersion: set.Version, ScreenedAt: at.UTC()}
	for i := range ms {
		m := &ms[i]
		if m.Score > rec.Score && m.Tier.rank() >= rec.Status.rank() {
			rec.Score = m.Score
		}
		if m.Tier.rank() > rec.Status.rank() || (m.Tier == rec.Status && m.Tier != TierClear && rec.Entry == "") {
			rec.Status, rec.Entry, rec.Score = m.Tier, m.Entry(), m.Score
		}
		ref := MatchRef{Owner: m.Owner, List: m.List, EntityID: m.Entity.ID, Entry: m.Entry(), Score: m.Score, Tier: m.Tier}
		for _, p := range m.Pieces {
			if p.Effect == "match" {
				ref.Fields = append(ref.Fields, p.Field)
			}
		}
		rec.Matches = append(rec.Matches, ref)
	}
	return rec
}

// ScreenInvestor screens an investor now against the set in force, stores
// and caches the status (onboarding hook: call it on registry changes).
func (s *Screener) ScreenInvestor(ctx context.Context, investorID string) (StatusRecord, error) {
	rec, err := s.computeInvestor(ctx, investorID)
	if err != nil {
		return StatusRecord{}, err
	}
	return rec, s.storeInvestor(ctx, rec)
}

func (s *Screener) computeInvestor(ctx context.Context, investorID string) (StatusRecord, error) {
	if investorID == "" || len(investorID) > MaxFieldLen {
		return StatusRecord{}, errors.New("screening: invalid investor id")
	}
	p, err := s.party(ctx, investorID)
	if err != nil {
		return StatusRecord{}, fmt.Errorf("screening: party for investor: %w", err)
	}
	p.Wallets = nil // wallets have their own status
	ms, set, err := s.svc.Screen(ctx, p)
	if err != nil {
		return StatusRecord{}, err
	}
	return record(investorID, set, s.now(), ms), nil
}

func (s *Screener) storeInvestor(ctx context.Context, rec StatusRecord) error {
	investorID := rec.Subject
	if err := s.store.PutInvestor(ctx, rec); err != nil {
		return fmt.Errorf("screening: store investor status: %w", err)
	}
	s.mu.Lock()
	s.investors[investorID] = rec
	s.mu.Unlock()
	if rec.Status != TierClear {
		// Log list references only: Entry may carry a beneficial owner's
		// name, which is personal data and stays out of logs.
		refs := make([]string, 0, len(rec.Matches))
		for _, m := range rec.Matches {
			refs = append(refs, m.List+":"+m.EntityID)
		}
		s.log.InfoContext(ctx, "screening: investor match", "investor", investorID, "status", rec.Status, "list_entries", refs, "list_version", rec.ListVersion)
	}
	return nil
}

// ScreenWallet checks a wallet exactly against the set in force, stores and
// caches the status.
func (s *Screener) ScreenWallet(ctx context.Context, wallet string) (StatusRecord, error) {
	rec, err := s.computeWallet(ctx, wallet)
	if err != nil {
		return StatusRecord{}, err
	}
	return rec, s.storeWallet(ctx, rec)
}

func (s *Screener) computeWallet(ctx context.Context, wallet string) (StatusRecord, error) {
	key := NormalizeAddress(wallet)
	if key == "" {
		return StatusRecord{}, errors.New("screening: empty wallet")
	}
	ms, set, err := s.svc.ScreenWallet(ctx, key)
	if err != nil {
		return StatusRecord{}, err
	}
	return record(key, set, s.now(), ms), nil
}

func (s *Screener) storeWallet(ctx context.Context, rec StatusRecord) error {
	if err := s.store.PutWallet(ctx, rec); err != nil {
		return fmt.Errorf("screening: store wallet status: %w", err)
	}
	s.mu.Lock()
	s.wallets[rec.Subject] = rec
	s.mu.Unlock()
	return nil
}

// Invalidate drops cached state for an investor (another replica changed
// its exceptions or status).
func (s *Screener) Invalidate(investorID string) {
	s.mu.Lock()
	delete(s.investors, investorID)
	delete(s.exceptions, investorID)
	s.mu.Unlock()
}

// ExceptionInput opens a false-positive exception.
type ExceptionInput struct {
	InvestorID string
	List       string
	EntityID   string
	Reviewer   string
	Note       string
	ExpiresAt  time.Time
}

// MaxNoteLen bounds an exception note.
const MaxNoteLen = 4096

// AddException opens a false-positive exception; actor is recorded as its
// creator (the caller enforces that actor holds the compliance role).
func (s *Screener) AddException(ctx context.Context, actor string, in ExceptionInput) (Exception, error) {
	now := s.now()
	switch {
	case strings.TrimSpace(actor) == "":
		return Exception{}, errors.New("screening: exception needs an actor")
	case in.InvestorID == "" || in.List == "" || in.EntityID == "":
		return Exception{}, errors.New("screening: exception needs investor, list and entity")
	case strings.TrimSpace(in.Reviewer) == "":
		return Exception{}, errors.New("screening: exception needs a reviewer")
	case strings.TrimSpace(in.Note) == "" || len(in.Note) > MaxNoteLen:
		return Exception{}, fmt.Errorf("screening: exception needs a note of at most %d bytes", MaxNoteLen)
	case !in.ExpiresAt.After(now):
		return Exception{}, errors.New("screening: exception expiry must be in the future")
	}
	for _, f := range []string{actor, in.InvestorID, in.List, in.EntityID, in.Reviewer} {
		if len(f) > MaxFieldLen {
			return Exception{}, fmt.Errorf("screening: exception field longer than %d bytes", MaxFieldLen)
		}
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Exception{}, err
	}
	e := Exception{ID: "fpx_" + hex.EncodeToString(b[:]), InvestorID: in.InvestorID, List: in.List, EntityID: in.EntityID,
		Reviewer: in.Reviewer, Note: in.Note, CreatedBy: actor, CreatedAt: now.UTC(), ExpiresAt: in.ExpiresAt.UTC()}
	if err := s.store.PutException(ctx, e); err != nil {
		return Exception{}, fmt.Errorf("screening: store exception: %w", err)
	}
	s.mu.Lock()
	delete(s.exceptions, in.InvestorID)
	s.mu.Unlock()
	s.log.InfoContext(ctx, "screening: false-positive exception opened", "id", e.ID, "investor", e.InvestorID, "list", e.List, "entity", e.EntityID, "actor", actor)
	return e, nil
}

// RevokeException ends an exception before its expiry.
func (s *Screener) RevokeException(ctx context.Context, actor, id string) (Exception, error) {
	if strings.TrimSpace(actor) == "" {
		return Exception{}, errors.New("screening: revoke needs an actor")
	}
	e, ok, err := s.store.Exception(ctx, id)
	if err != nil {
		return Exception{}, err
	}
	if !ok {
		return Exception{}, ErrNotFound
	}
	if e.RevokedAt != nil {
		return e, nil
	}
	now := s.now().UTC()
	e.RevokedAt, e.RevokedBy = &now, actor
	if err := s.store.PutException(ctx, e); err != nil {
		return Exception{}, fmt.Errorf("screening: store exception: %w", err)
	}
	s.mu.Lock()
	delete(s.exceptions, e.InvestorID)
	s.mu.Unlock()
	return e, nil
}

// Exceptions lists an investor's exceptions.
func (s *Screener) Exceptions(ctx context.Context, investorID string) ([]Exception, error) {
	return s.store.Exceptions(ctx, investorID)
}
