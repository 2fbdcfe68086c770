package screening

import (
	"context"
	"errors"
	"fmt"
)

// Holder is a current holder and its wallets.
type Holder struct {
	InvestorID string
	Wallets    []string
}

// HolderIterator yields every current holder with InvestorID > after, in
// ascending InvestorID order, calling yield for each and stopping at the
// first error yield returns.
type HolderIterator func(ctx context.Context, after string, yield func(Holder) error) error

// Hit is a new match found by a rescreen: a list entry that the previous
// status of the investor (Wallet == "") or wallet did not have.
type Hit struct {
	InvestorID string
	Wallet     string
	Match      MatchRef
	Current    StatusRecord
}

// RescreenProgress is reported after each holder.
type RescreenProgress struct {
	Version string
	Done    int // holders processed in this run
	Hits    int
	LastID  string
	Resumed bool // the run continued from a checkpoint
}

// RescreenOptions configure Rescreen.
type RescreenOptions struct {
	Progress func(RescreenProgress)
	// OnHit is the action for a new hit (freeze the wallet or open a case,
	// per the asset's policy). An error stops the run; the holder is
	// retried when the run resumes.
	OnHit func(ctx context.Context, h Hit) error
}

// RescreenResult summarises a run.
type RescreenResult struct {
	Version  string
	Done     int
	Hits     int
	Resumed  bool
	Complete bool
}

const checkpointDone = "\x00done"

// CheckpointKey is the store key of the rescreen checkpoint of a version.
func CheckpointKey(version string) string { return "rescreen/" + version }

// Rescreen screens every current holder against the list version in force,
// storing the new statuses and calling OnHit for each new hit. Progress is
// checkpointed in the store after each holder, so a run that stops resumes
// after the last holder processed; a completed version returns at once.
func (s *Screener) Rescreen(ctx context.Context, holders HolderIterator, o RescreenOptions) (RescreenResult, error) {
	version := s.svc.ListVersion()
	if version == "" {
		return RescreenResult{}, ErrNoList
	}
	key := CheckpointKey(version)
	after, ok, err := s.store.Checkpoint(ctx, key)
	if err != nil {
		return RescreenResult{}, fmt.Errorf("screening: read checkpoint: %w", err)
	}
	res := RescreenResult{Version: version, Resumed: ok && after != ""}
	if after == checkpointDone {
		res.Complete = true
		return res, nil
	}
	errStop := errors.New("stop")
	var runErr error
	err = holders(ctx, after, func(h Holder) error {
		if h.InvestorID <= after {
			return nil
		}
		if err := ctx.Err(); err != nil {
			runErr = err
			return errStop
		}
		if err := s.rescreenHolder(ctx, h, o, &res); err != nil {
			runErr = err
			return errStop
		}
		if err := s.store.SetCheckpoint(ctx, key, h.InvestorID); err != nil {
			runErr = fmt.Errorf("screening: write checkpoint: %w", err)
			return errStop
		}
		res.Done++
		if o.Progress != nil {
			o.Progress(RescreenProgress{Version: version, Done: res.Done, Hits: res.Hits, LastID: h.InvestorID, Resumed: res.Resumed})
		}
		return nil
	})
	if runErr != nil {
		return res, runErr
	}
	if err != nil {
		return res, fmt.Errorf("screening: iterate holders: %w", err)
	}
	if s.svc.ListVersion() != version {
		return res, errors.New("screening: list version changed during the rescreen; run it again")
	}
	if err := s.store.SetCheckpoint(ctx, key, checkpointDone); err != nil {
		return res, fmt.Errorf("screening: write checkpoint: %w", err)
	}
	res.Complete = true
	return res, nil
}

func (s *Screener) rescreenHolder(ctx context.Context, h Holder, o RescreenOptions, res *RescreenResult) error {
	prev, _, err := s.store.Investor(ctx, h.InvestorID)
	if err != nil {
		return fmt.Errorf("screening: read investor status: %w", err)
	}
	// Statuses are stored only after the hit actions succeed, so a failed
	// action is retried (as a new hit) when the run resumes.
	cur, err := s.computeInvestor(ctx, h.InvestorID)
	if err != nil {
		return err
	}
	if err := s.hits(ctx, h.InvestorID, "", prev, cur, o, res); err != nil {
		return err
	}
	if err := s.storeInvestor(ctx, cur); err != nil {
		return err
	}
	for _, w := range h.Wallets {
		prev, _, err := s.store.Wallet(ctx, NormalizeAddress(w))
		if err != nil {
			return fmt.Errorf("screening: read wallet status: %w", err)
		}
		cur, err := s.computeWallet(ctx, w)
		if err != nil {
			return err
		}
		if err := s.hits(ctx, h.InvestorID, cur.Subject, prev, cur, o, res); err != nil {
			return err
		}
		if err := s.storeWallet(ctx, cur); err != nil {
			return err
		}
	}
	return nil
}

func (s *Screener) hits(ctx context.Context, investorID, wallet string, prev, cur StatusRecord, o RescreenOptions, res *RescreenResult) error {
	had := map[string]Tier{}
	for _, m := range prev.Matches {
		had[m.Owner+"\x00"+m.List+"\x00"+m.EntityID] = m.Tier
	}
	for _, m := range cur.Matches {
		if m.Tier == TierClear {
			continue
		}
		if t, ok := had[m.Owner+"\x00"+m.List+"\x00"+m.EntityID]; ok && t.rank() >= m.Tier.rank() {
			continue
		}
		res.Hits++
		if o.OnHit != nil {
			if err := o.OnHit(ctx, Hit{InvestorID: investorID, Wallet: wallet, Match: m, Current: cur}); err != nil {
				return fmt.Errorf("screening: hit action: %w", err)
			}
		}
	}
	return nil
}
