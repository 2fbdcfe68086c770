package screening

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MatchRef is a stored reference to one match.
type MatchRef struct {
	// Owner names the beneficial owner the match is for ("" = the
	// subject itself).
	Owner    string   `json:"owner,omitempty"`
	List     string   `json:"list"`
	EntityID string   `json:"entity_id"`
	Entry    string   `json:"entry"` // list:id name
	Score    float64  `json:"score"`
	Tier     Tier     `json:"tier"`
	Fields   []string `json:"fields,omitempty"` // fields that matched (name, dob, id, wallet, ...)
}

// StatusRecord is the precomputed screening status of an investor or a
// wallet against one list version.
type StatusRecord struct {
	Subject     string     `json:"subject"` // investor id or normalised wallet address
	Status      Tier       `json:"status"`  // worst tier over Matches (CLEAR if none)
	Score       float64    `json:"score"`
	Entry       string     `json:"entry,omitempty"`
	ListVersion string     `json:"list_version"`
	ScreenedAt  time.Time  `json:"screened_at"`
	Matches     []MatchRef `json:"matches,omitempty"`
}

// Exception is a false-positive exception: it suppresses a POTENTIAL match
// of one list entry for one investor until it expires or is revoked.
type Exception struct {
	ID         string     `json:"id"`
	InvestorID string     `json:"investor_id"`
	List       string     `json:"list"`
	EntityID   string     `json:"entity_id"`
	Reviewer   string     `json:"reviewer"`
	Note       string     `json:"note"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	RevokedBy  string     `json:"revoked_by,omitempty"`
}

// Live reports whether the exception suppresses at instant now.
func (e *Exception) Live(now time.Time) bool {
	return e.RevokedAt == nil && now.Before(e.ExpiresAt)
}

// StatusStore persists statuses, exceptions and rescreen checkpoints.
// Implementations: screening/boltstatus and screening/pgstatus; both pass
// screening/screeningtest.RunStatusStore.
type StatusStore interface {
	Investor(ctx context.Context, investorID string) (StatusRecord, bool, error)
	PutInvestor(ctx context.Context, rec StatusRecord) error
	Wallet(ctx context.Context, address string) (StatusRecord, bool, error)
	PutWallet(ctx context.Context, rec StatusRecord) error
	// PutException inserts or replaces the exception with e.ID.
	PutException(ctx context.Context, e Exception) error
	Exception(ctx context.Context, id string) (Exception, bool, error)
	// Exceptions lists an investor's exceptions, live or not, oldest first.
	Exceptions(ctx context.Context, investorID string) ([]Exception, error)
	Checkpoint(ctx context.Context, key string) (string, bool, error)
	SetCheckpoint(ctx context.Context, key, value string) error
}

// ErrNotFound is returned for an unknown exception.
var ErrNotFound = errors.New("screening: not found")

// ValidateRecord checks a record before it is stored.
func ValidateRecord(rec *StatusRecord) error {
	if rec.Subject == "" || len(rec.Subject) > MaxFieldLen {
		return fmt.Errorf("screening: record subject empty or longer than %d bytes", MaxFieldLen)
	}
	if rec.ListVersion == "" {
		return errors.New("screening: record without list version")
	}
	return nil
}
