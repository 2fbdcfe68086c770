package ledger

import (
	"encoding/json"
	"math"
	"time"

	"github.com/clearancehq/clearance/policies"
)

// Buckets are an asset's balance buckets (seed 001). Total is minted minus
// burned, kept separately and checked equal to the sum of the others.
type Buckets struct {
	Treasury    int64 `json:"treasury"`
	Reserved    int64 `json:"reserved_investments"`
	Confirmed   int64 `json:"confirmed_investments"`
	Distributed int64 `json:"distributed"`
	Redeemed    int64 `json:"redeemed"`
	Total       int64 `json:"total"`
}

// Sum adds the five buckets; ok is false on overflow.
func (b Buckets) Sum() (int64, bool) {
	var s int64
	for _, v := range []int64{b.Treasury, b.Reserved, b.Confirmed, b.Distributed, b.Redeemed} {
		if v < 0 || s > math.MaxInt64-v {
			return 0, false
		}
		s += v
	}
	return s, true
}

// Check verifies total == sum and no bucket is negative.
func (b Buckets) Check() bool {
	s, ok := b.Sum()
	return ok && b.Total >= 0 && s == b.Total
}

// BucketValue is one bucket rendered as in seed 001.
type BucketValue struct {
	Value     int64  `json:"value,string"`
	TextValue string `json:"text_value"`
	Ticker    string `json:"ticker"`
	Decimals  int    `json:"decimals"`
}

// Balance is the seed-001 asset token balance object.
type Balance struct {
	AssetID              string      `json:"-"`
	Total                BucketValue `json:"total"`
	Treasury             BucketValue `json:"treasury"`
	ReservedInvestments  BucketValue `json:"reserved_investments"`
	ConfirmedInvestments BucketValue `json:"confirmed_investments"`
	Distributed          BucketValue `json:"distributed"`
	Redeemed             BucketValue `json:"redeemed"`
}

// NewBalance renders buckets for an asset with ticker and decimals.
func NewBalance(assetID string, b Buckets, ticker string, decimals int) Balance {
	bv := func(v int64) BucketValue {
		return BucketValue{Value: v, TextValue: TextValue(v, decimals), Ticker: ticker, Decimals: decimals}
	}
	return Balance{
		AssetID: assetID, Total: bv(b.Total), Treasury: bv(b.Treasury),
		ReservedInvestments: bv(b.Reserved), ConfirmedInvestments: bv(b.Confirmed),
		Distributed: bv(b.Distributed), Redeemed: bv(b.Redeemed),
	}
}

type assetState struct {
	AssetID string  `json:"asset_id"`
	Buckets Buckets `json:"buckets"`
}

// Lot is a holding lot: an amount acquired at one instant. Lockups count
// from AcquiredAt.
type Lot struct {
	AcquiredAt time.Time `json:"acquired_at"`
	Amount     int64     `json:"amount"`
}

// WalletHolding is a wallet's balance of an asset on the reference ledger.
type WalletHolding struct {
	AssetID string `json:"asset_id"`
	Wallet  string `json:"wallet"`
	Balance int64  `json:"balance"`
	// Lots are oldest first and sum to Balance.
	Lots []Lot `json:"lots,omitempty"`
}

// Investment statuses.
const (
	InvReserved           = "RESERVED"
	InvConfirmed          = "CONFIRMED"
	InvCancelled          = "CANCELLED"
	InvExpired            = "EXPIRED"
	InvInDistribution     = "IN_DISTRIBUTION"
	InvDistributed        = "DISTRIBUTED"
	InvDistributionFailed = "DISTRIBUTION_FAILED"
)

// Investment is an investor's purchase, from reservation to distribution.
type Investment struct {
	ID             string            `json:"id"`
	AssetID        string            `json:"asset_id"`
	InvestorID     string            `json:"investor_id"`
	Wallet         string            `json:"wallet"`
	Amount         int64             `json:"amount"`
	Status         string            `json:"status"`
	Failure        string            `json:"failure,omitempty"`
	FailureReasons []policies.Reason `json:"failure_reasons,omitempty"`
	Attempts       int               `json:"attempts"`
	// DistributionOp is the operation that distributed it (or is doing so).
	DistributionOp string    `json:"distribution_op,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Operation statuses.
const (
	OpApplied       = "APPLIED"
	OpPendingReview = "PENDING_REVIEW"
	OpRejected      = "REJECTED"
	OpCancelled     = "CANCELLED"
	OpFailed        = "FAILED"
)

// Operation is the record of one mutating call, keyed by its idempotency key.
type Operation struct {
	ID             string            `json:"id"`
	Kind           string            `json:"kind"`
	AssetID        string            `json:"asset_id"`
	IdempotencyKey string            `json:"idempotency_key"`
	BodyHash       string            `json:"body_hash"`
	Request        json.RawMessage   `json:"request"`
	Actor          string            `json:"actor,omitempty"`
	Status         string            `json:"status"`
	DecisionID     string            `json:"decision_id,omitempty"`
	CaseID         string            `json:"case_id,omitempty"`
	Reasons        []policies.Reason `json:"reasons,omitempty"`
	EventSeqs      []int64           `json:"event_seqs,omitempty"`
	Error          string            `json:"error,omitempty"`
	InvestmentID   string            `json:"investment_id,omitempty"`
	// Result is kind-specific output (a round, a claim, a batch summary).
	Result     json.RawMessage `json:"result,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	SettledAt  time.Time       `json:"settled_at,omitzero"`
	SettledBy  string          `json:"settled_by,omitempty"`
	SettleNote string          `json:"settle_note,omitempty"`
	// Replayed is true when this is the stored result of an earlier call.
	Replayed bool `json:"-"`
}

// Event is one entry of the hash-chained ledger event log.
type Event struct {
	Seq            int64             `json:"seq"`
	AssetID        string            `json:"asset_id"`
	Type           string            `json:"type"`
	From           string            `json:"from,omitempty"`
	To             string            `json:"to,omitempty"`
	Amount         int64             `json:"amount"`
	Before         Buckets           `json:"before"`
	After          Buckets           `json:"after"`
	Actor          string            `json:"actor,omitempty"`
	DecisionID     string            `json:"decision_id,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	OperationID    string            `json:"operation_id,omitempty"`
	At             time.Time         `json:"at"`
	Data           map[string]string `json:"data,omitempty"`
	PrevHash       string            `json:"prev_hash"`
	Hash           string            `json:"hash"`
}

// Event types.
const (
	EvMint              = "mint"
	EvBurn              = "burn"
	EvReserve           = "investment_reserved"
	EvConfirm           = "investment_confirmed"
	EvCancel            = "investment_cancelled"
	EvExpire            = "investment_expired"
	EvDistStarted       = "distribution_started"
	EvDistributed       = "distributed"
	EvDistFailed        = "distribution_failed"
	EvTransfer          = "transfer"
	EvRedeem            = "redemption"
	EvForced            = "forced_transfer"
	EvRecovery          = "wallet_recovered"
	EvFreeze            = "wallet_frozen"
	EvUnfreeze          = "wallet_unfrozen"
	EvPause             = "asset_paused"
	EvUnpause           = "asset_unpaused"
	EvRejected          = "operation_rejected"
	EvParked            = "operation_parked"
	EvCancelledOp       = "operation_cancelled"
	EvRevDistCreated    = "dist_created"
	EvRevClaimed        = "claimed"
	EvRevWithheld       = "claim_withheld"
	EvRevConfig         = "config_updated"
	EvRevScheduleSet    = "schedule_set"
	EvRevSchedOff       = "sched_off"
	EvRevSchedDist      = "sched_dist"
	EvRevReclaimed      = "reclaimed"
	EvRevPush           = "push_distributed"
	EvExceptionRecorded = "exception_recorded"
	EvExceptionResolved = "exception_resolved"
)
