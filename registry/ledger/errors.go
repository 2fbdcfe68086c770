package ledger

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on with errors.Is.
var (
	ErrNotFound = errors.New("ledger: not found")
	ErrInvalid  = errors.New("ledger: invalid")
	// ErrInsufficientBalance: the amount exceeds what is available.
	ErrInsufficientBalance = errors.New("ledger: insufficient balance")
	// ErrWrongState: the operation does not apply in the current state
	// (e.g. confirming a cancelled investment).
	ErrWrongState = errors.New("ledger: wrong state")
	ErrPaused     = errors.New("ledger: asset paused")
	ErrFrozen     = errors.New("ledger: wallet frozen")
	// ErrIdempotencyConflict: the key was used with a different body.
	ErrIdempotencyConflict = errors.New("ledger: idempotency key reused with a different request")
	// ErrRejected: the gateway denied the operation; nothing changed.
	ErrRejected = errors.New("ledger: rejected by the gateway")
	// ErrClearance: the gateway could not be asked; the operation failed
	// closed and may be retried with the same key.
	ErrClearance = errors.New("ledger: gateway clearance unavailable")
	// ErrInvariant: an invariant check failed; the transaction aborted.
	ErrInvariant = errors.New("ledger: invariant violated")
	// ErrAlreadyClaimed: the holder already claimed this round.
	ErrAlreadyClaimed = errors.New("ledger: ALREADY_CLAIMED")
	// ErrPrerequisites: token distribution prerequisites failed.
	ErrPrerequisites = errors.New("ledger: distribution prerequisites failed")
)

// InvalidError names the field and what is wrong with it. It wraps ErrInvalid.
type InvalidError struct {
	Field string
	Msg   string
}

func (e *InvalidError) Error() string { return "ledger: invalid " + e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// RevenueError is one of the seed-002 distribution errors, with its code.
type RevenueError struct {
	Name string
	Code int
}

func (e *RevenueError) Error() string { return fmt.Sprintf("ledger: %s (%d)", e.Name, e.Code) }

// The seed-002 error table.
var (
	ErrDistributionTooSoon         = &RevenueError{"DistributionTooSoon", 25}
	ErrClaimsNotOpenYet            = &RevenueError{"ClaimsNotOpenYet", 26}
	ErrRoundExpired                = &RevenueError{"RoundExpired", 27}
	ErrScheduleNotConfigured       = &RevenueError{"ScheduleNotConfigured", 28}
	ErrScheduleNotEnabled          = &RevenueError{"ScheduleNotEnabled", 29}
	ErrScheduleCompleted           = &RevenueError{"ScheduleCompleted", 30}
	ErrScheduledDistributionNotDue = &RevenueError{"ScheduledDistributionNotDue", 31}
	ErrInvalidScheduleConfig       = &RevenueError{"InvalidScheduleConfig", 32}
	ErrRoundNotExpired             = &RevenueError{"RoundNotExpired", 33}
	ErrNothingToReclaim            = &RevenueError{"NothingToReclaim", 34}
)

// RejectedError carries the gateway's reasons for a DENY.
type RejectedError struct {
	Op *Operation
}

func (e *RejectedError) Error() string {
	s := "ledger: rejected by the gateway"
	for i, r := range e.Op.Reasons {
		if i == 0 {
			s += ":"
		}
		s += " " + r.Code
	}
	return s
}

// Unwrap makes errors.Is(err, ErrRejected) true.
func (e *RejectedError) Unwrap() error { return ErrRejected }
