package cases

import (
	"context"
	"errors"
	"time"

	"github.com/clearancehq/clearance/policies"
)

// Status is a case's state.
type Status string

// Case states.
const (
	StatusOpen     Status = "OPEN"
	StatusAssigned Status = "ASSIGNED"
	StatusApproved Status = "APPROVED"
	StatusRejected Status = "REJECTED"
	StatusExpired  Status = "EXPIRED"
)

// Final reports whether s is a settled state.
func (s Status) Final() bool {
	return s == StatusApproved || s == StatusRejected || s == StatusExpired
}

// Valid reports whether s is a known state.
func (s Status) Valid() bool {
	switch s {
	case StatusOpen, StatusAssigned, StatusApproved, StatusRejected, StatusExpired:
		return true
	}
	return false
}

// Outcomes recorded on a settled case.
const (
	OutcomeAllow = "ALLOW"
	OutcomeDeny  = "DENY"
)

// Party is one side of the parked request.
type Party struct {
	Role       string `json:"role"` // "from" or "to"
	Wallet     string `json:"wallet"`
	InvestorID string `json:"investor_id,omitempty"`
}

// Approval is one reviewer's approval.
type Approval struct {
	Reviewer string    `json:"reviewer"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
}

// Action names used in history.
const (
	ActionOpen    = "OPEN"
	ActionAssign  = "ASSIGN"
	ActionComment = "COMMENT"
	ActionApprove = "APPROVE"
	ActionReject  = "REJECT"
	ActionExpire  = "EXPIRE"
)

// HistoryEntry records one action on a case.
type HistoryEntry struct {
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	At     time.Time `json:"at"`
	Note   string    `json:"note,omitempty"`
}

// Case is one escalation.
type Case struct {
	ID         string `json:"id"`
	DecisionID string `json:"decision_id"`
	// Origin names what was parked ("check", "ledger:<op id>", ...).
	Origin            string            `json:"origin"`
	Action            string            `json:"action,omitempty"`
	AssetID           string            `json:"asset_id"`
	Amount            int64             `json:"amount,omitempty"`
	Parties           []Party           `json:"parties,omitempty"`
	Reasons           []policies.Reason `json:"reasons,omitempty"`
	RiskScore         int64             `json:"risk_score"`
	Status            Status            `json:"status"`
	Assignee          string            `json:"assignee,omitempty"`
	Approvals         []Approval        `json:"approvals,omitempty"`
	RequiredApprovals int               `json:"required_approvals"`
	RequestedBy       string            `json:"requested_by,omitempty"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
	SLADeadline       time.Time         `json:"sla_deadline"`
	ExpiresAt         time.Time         `json:"expires_at"`
	History           []HistoryEntry    `json:"history,omitempty"`
	SettledAt         time.Time         `json:"settled_at,omitzero"`
	// Outcome is ALLOW (approved) or DENY (rejected or expired) once
	// settled, empty before.
	Outcome string `json:"outcome,omitempty"`
}

// Settler is a settlement hook, called once a case is final. It must be
// idempotent by c.ID: a crash can repeat a delivery.
type Settler func(ctx context.Context, c Case) error

// Errors. Callers match them with errors.Is.
var (
	ErrNotFound = errors.New("cases: not found")
	// ErrInvalid wraps input validation failures; the message names the field.
	ErrInvalid = errors.New("cases: invalid argument")
	// ErrWrongState: the case's state does not allow the action.
	ErrWrongState = errors.New("cases: wrong state")
	// ErrSelfApproval: the requester tried to approve their own request.
	ErrSelfApproval = errors.New("cases: self-approval refused")
	// ErrAlreadyApproved: this reviewer already approved the case.
	ErrAlreadyApproved = errors.New("cases: reviewer already approved")
	// ErrExpired: the case expired before the decision.
	ErrExpired = errors.New("cases: case expired")
)

// Delivery is one settlement hook's delivery of one case.
type Delivery struct {
	CaseID      string    `json:"case_id"`
	Hook        string    `json:"hook"`
	Delivered   bool      `json:"delivered"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	NextAt      time.Time `json:"next_at"`
	LeaseUntil  time.Time `json:"lease_until,omitzero"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

// Filter selects cases for List. Zero fields do not filter.
type Filter struct {
	Status   Status
	AssetID  string
	Assignee string
	MinRisk  int64
	// PageSize is capped at 500 (default 50); PageToken is the last id of
	// the previous page. Cases come in id order (oldest first).
	PageSize  int
	PageToken string
}

// Store persists cases and their deliveries. Implementations run each
// method in one transaction and are safe for concurrent use.
type Store interface {
	// Create stores c unless a case for c.DecisionID exists, in which case
	// it returns that case and created == false.
	Create(ctx context.Context, c Case) (stored Case, created bool, err error)
	Get(ctx context.Context, id string) (Case, error)
	// Update loads the case, calls fn on it and saves the result together
	// with the deliveries fn returns (inserted if absent), atomically. If fn
	// fails nothing is written and its error is returned.
	Update(ctx context.Context, id string, fn func(c *Case) ([]Delivery, error)) (Case, error)
	List(ctx context.Context, f Filter) (cases []Case, nextPageToken string, err error)
	// Due returns ids of cases not final whose ExpiresAt <= now.
	Due(ctx context.Context, now time.Time, limit int) ([]string, error)
	// Pending returns undelivered deliveries for the given hooks with
	// NextAt <= now and no live lease, oldest NextAt first.
	Pending(ctx context.Context, now time.Time, hooks []string, limit int) ([]Delivery, error)
	// Claim leases an undelivered delivery until leaseUntil, if it is due
	// and not leased at now. It reports whether the lease was taken and
	// returns the delivery as claimed.
	Claim(ctx context.Context, caseID, hook string, now, leaseUntil time.Time) (Delivery, bool, error)
	// Finish records an attempt (Attempts+1): delivered when deliverErr is
	// empty, otherwise the error and the next attempt time. It clears the
	// lease. Finishing a delivered delivery is a no-op.
	Finish(ctx context.Context, caseID, hook string, at time.Time, deliverErr string, nextAt time.Time) error
	// Deliveries lists a case's deliveries.
	Deliveries(ctx context.Context, caseID string) ([]Delivery, error)
}
