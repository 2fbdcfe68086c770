package stellar

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stellar/go-stellar-sdk/keypair"
	"github.com/stellar/go-stellar-sdk/txnbuild"
	"github.com/stellar/go-stellar-sdk/xdr"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/sidecar"
)

// SEP-8 statuses.
const (
	StatusSuccess        = "success"
	StatusRevised        = "revised"
	StatusPending        = "pending"
	StatusActionRequired = "action_required"
	StatusRejected       = "rejected"
)

// Response is a SEP-8 /tx_approve answer, with Clearance's decision ids,
// reason codes and case id as extensions.
type Response struct {
	Status       string   `json:"status"`
	Tx           string   `json:"tx,omitempty"`
	Message      string   `json:"message,omitempty"`
	Timeout      *int64   `json:"timeout,omitempty"` // pending: milliseconds
	ActionURL    string   `json:"action_url,omitempty"`
	ActionMethod string   `json:"action_method,omitempty"`
	ActionFields []string `json:"action_fields,omitempty"`
	Error        string   `json:"error,omitempty"`

	DecisionIDs []string `json:"decision_ids,omitempty"`
	ReasonCodes []string `json:"reason_codes,omitempty"`
	CaseID      string   `json:"case_id,omitempty"`
}

// Server is the SEP-8 approval server; it is an http.Handler and safe for
// concurrent use.
type Server struct {
	cfg    Config
	issuer *keypair.Full
	asset  xdr.Asset
	runner *sidecar.Runner
	log    *slog.Logger
	mux    *http.ServeMux
}

// NewServer validates cfg and returns a server that clears with gw and signs
// with issuer, whose address must be cfg.AssetIssuer. A nil logger
// discards; metrics are registered on reg when it is not nil.
func NewServer(cfg Config, gw sidecar.GatewayClient, issuer *keypair.Full, logger *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if issuer == nil || issuer.Address() != cfg.AssetIssuer {
		return nil, errors.New("stellar: the issuer key does not match asset_issuer")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	runner, err := sidecar.NewRunner(gw, cfg.Gateway, logger, reg)
	if err != nil {
		return nil, err
	}
	asset, err := txnbuild.CreditAsset{Code: cfg.AssetCode, Issuer: cfg.AssetIssuer}.ToXDR()
	if err != nil {
		return nil, fmt.Errorf("stellar: asset: %w", err)
	}
	s := &Server{cfg: cfg, issuer: issuer, asset: asset, runner: runner, log: logger.With("component", "sidecar.stellar")}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /tx_approve", s.txApprove)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ListenAndServe serves on cfg.Listen until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context) error {
	lis, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("stellar: listen: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) txApprove(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		s.write(w, &Response{Status: StatusRejected, Error: "request body too large or unreadable"})
		return
	}
	txB64, err := txParam(r.Header.Get("Content-Type"), body)
	if err != nil {
		s.write(w, &Response{Status: StatusRejected, Error: err.Error()})
		return
	}
	resp, err := sidecar.Handle[*approval, *Response](r.Context(), s.runner, approvalAdapter{s}, &approval{b64: txB64})
	if err != nil {
		s.log.ErrorContext(r.Context(), "approval failed", "err", err)
		resp = &Response{Status: StatusRejected, Error: "internal error"}
	}
	s.write(w, resp)
}

// txParam reads "tx" from a JSON or form body (SEP-8 allows both).
func txParam(contentType string, body []byte) (string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return "", errors.New("malformed form body")
		}
		if tx := v.Get("tx"); tx != "" {
			return tx, nil
		}
		return "", errors.New("missing parameter \"tx\"")
	}
	var req struct {
		Tx string `json:"tx"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return "", errors.New("body must be JSON {\"tx\": \"<base64 envelope XDR>\"}")
	}
	if req.Tx == "" {
		return "", errors.New("missing parameter \"tx\"")
	}
	return req.Tx, nil
}

func (s *Server) write(w http.ResponseWriter, resp *Response) {
	code := http.StatusOK
	if resp.Status == StatusRejected {
		code = http.StatusBadRequest
	}
	b, err := json.Marshal(resp)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"status":"rejected","error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// approval is one /tx_approve request as it is parsed.
type approval struct {
	b64      string
	env      xdr.TransactionEnvelope
	hash     string
	source   string
	payments []payment
	// sandwiched: the operations already are the compliant sandwich.
	sandwiched bool
}

// payment is one payment of the regulated asset.
type payment struct {
	op          xdr.Operation
	from, to    string
	stroops     int64
	smallestUnt *big.Int
}

type approvalAdapter struct{ s *Server }

var _ sidecar.Adapter[*approval, *Response] = approvalAdapter{}

func (a approvalAdapter) Name() string { return "stellar" }

func (a approvalAdapter) Translate(_ context.Context, ap *approval) (sidecar.Translation, error) {
	s := a.s
	gtx, err := txnbuild.TransactionFromXDR(ap.b64)
	if err != nil {
		return sidecar.Translation{}, errors.New("tx is not a base64 transaction envelope")
	}
	tx, ok := gtx.Transaction()
	if !ok {
		return sidecar.Translation{}, errors.New("fee-bump transactions are not approved; submit the inner transaction")
	}
	ap.env = tx.ToXDR()
	if ap.env.Type != xdr.EnvelopeTypeEnvelopeTypeTx || ap.env.V1 == nil {
		return sidecar.Translation{}, errors.New("only v1 transaction envelopes are approved")
	}
	if ap.hash, err = tx.HashHex(s.cfg.NetworkPassphrase); err != nil {
		return sidecar.Translation{}, fmt.Errorf("hash: %w", err)
	}
	tr := sidecar.Translation{Key: ap.hash}
	body := ap.env.V1.Tx
	ap.source = body.SourceAccount.ToAccountId().Address()
	if ap.source == s.cfg.AssetIssuer {
		return tr, errors.New("transactions sourced by the issuer are not approved")
	}
	ops := body.Operations
	if len(ops) == 0 || len(ops) > s.cfg.MaxOperations {
		return tr, fmt.Errorf("a transaction must have 1 to %d operations", s.cfg.MaxOperations)
	}
	var flagOps int
	for i, op := range ops {
		src := ap.source
		if op.SourceAccount != nil {
			src = op.SourceAccount.ToAccountId().Address()
		}
		switch op.Body.Type {
		case xdr.OperationTypePayment:
			p := op.Body.MustPaymentOp()
			if !p.Asset.Equals(s.asset) {
				return tr, fmt.Errorf("operation %d pays another asset; only %s payments are approved", i, s.cfg.AssetCode)
			}
			if src == s.cfg.AssetIssuer {
				return tr, fmt.Errorf("operation %d is a payment from the issuer; issuance is not approved here", i)
			}
			units, err := s.units(int64(p.Amount))
			if err != nil {
				return tr, fmt.Errorf("operation %d: %w", i, err)
			}
			ap.payments = append(ap.payments, payment{op: op, from: src, to: p.Destination.ToAccountId().Address(), stroops: int64(p.Amount), smallestUnt: units})
		case xdr.OperationTypeSetTrustLineFlags:
			if src != s.cfg.AssetIssuer {
				return tr, fmt.Errorf("operation %d sets trust line flags but is not sourced by the issuer", i)
			}
			flagOps++
		default:
			return tr, fmt.Errorf("operation %d (%s) is not approved; only %s payments are", i, op.Body.Type, s.cfg.AssetCode)
		}
	}
	if len(ap.payments) == 0 {
		return tr, fmt.Errorf("the transaction has no %s payment", s.cfg.AssetCode)
	}
	if flagOps > 0 {
		want, err := s.sandwich(ap.payments)
		if err != nil {
			return tr, err
		}
		if !sameOps(want, ops) {
			return tr, errors.New("the issuer's operations are not the authorization sandwich this server builds")
		}
		ap.sandwiched = true
	}
	for _, p := range ap.payments {
		action := gatewayv1.Action_TRANSFER
		if p.to == s.cfg.AssetIssuer {
			action = gatewayv1.Action_REDEMPTION
		}
		c := &gatewayv1.CheckRequest{Action: action, AssetId: s.cfg.AssetID, FromWallet: p.from, Amount: p.smallestUnt.String(), Venue: s.cfg.Venue}
		if action != gatewayv1.Action_REDEMPTION {
			c.ToWallet = p.to
		}
		tr.Checks = append(tr.Checks, c)
	}
	return tr, nil
}

// units maps stroops to the asset's smallest unit, exactly.
func (s *Server) units(stroops int64) (*big.Int, error) {
	if stroops <= 0 {
		return nil, errors.New("amount must be positive")
	}
	div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(7-s.cfg.Decimals)), nil)
	q, m := new(big.Int).QuoRem(big.NewInt(stroops), div, new(big.Int))
	if m.Sign() != 0 {
		return nil, fmt.Errorf("amount has more than %d decimals", s.cfg.Decimals)
	}
	return q, nil
}

// sandwich wraps each payment in the issuer's authorize / deauthorize of
// the sender's and the recipient's trust lines (SEP-8 "revised").
func (s *Server) sandwich(ps []payment) ([]xdr.Operation, error) {
	asset := txnbuild.CreditAsset{Code: s.cfg.AssetCode, Issuer: s.cfg.AssetIssuer}
	flags := func(trustor string, authorize bool) (xdr.Operation, error) {
		op := &txnbuild.SetTrustLineFlags{Trustor: trustor, Asset: asset, SourceAccount: s.cfg.AssetIssuer}
		if authorize {
			op.SetFlags = []txnbuild.TrustLineFlag{txnbuild.TrustLineAuthorized}
		} else {
			op.ClearFlags = []txnbuild.TrustLineFlag{txnbuild.TrustLineAuthorized}
		}
		return op.BuildXDR()
	}
	var out []xdr.Operation
	for _, p := range ps {
		var parties []string
		for _, acct := range []string{p.from, p.to} {
			if acct != s.cfg.AssetIssuer && !slices.Contains(parties, acct) {
				parties = append(parties, acct)
			}
		}
		for _, acct := range parties {
			op, err := flags(acct, true)
			if err != nil {
				return nil, fmt.Errorf("stellar: authorize op: %w", err)
			}
			out = append(out, op)
		}
		out = append(out, p.op)
		for i := len(parties) - 1; i >= 0; i-- {
			op, err := flags(parties[i], false)
			if err != nil {
				return nil, fmt.Errorf("stellar: deauthorize op: %w", err)
			}
			out = append(out, op)
		}
	}
	return out, nil
}

func sameOps(a, b []xdr.Operation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, err1 := a[i].MarshalBinary()
		y, err2 := b[i].MarshalBinary()
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

// Forward answers a cleared transaction: co-signed as is (success) when it
// already is compliant or revision is off, else revised into the sandwich.
func (a approvalAdapter) Forward(_ context.Context, ap *approval, out sidecar.Outcome) (*Response, error) {
	s := a.s
	if out.Kind != sidecar.KindAllowed { // never sign what was not cleared
		return &Response{Status: StatusRejected, Error: "not cleared"}, nil
	}
	env := ap.env
	status, msg := StatusSuccess, "transaction approved and signed by the issuer"
	if !ap.sandwiched && s.cfg.Revise {
		ops, err := s.sandwich(ap.payments)
		if err != nil {
			return nil, err
		}
		body := env.V1.Tx
		perOp := uint64(txnbuild.MinBaseFee)
		if n := uint64(len(body.Operations)); n > 0 && uint64(body.Fee)/n > perOp {
			perOp = uint64(body.Fee) / n
		}
		fee := perOp * uint64(len(ops))
		if fee > math.MaxUint32 {
			return &Response{Status: StatusRejected, Error: "the revised fee overflows"}, nil
		}
		body.Operations = ops
		body.Fee = xdr.Uint32(fee)
		env = xdr.TransactionEnvelope{Type: xdr.EnvelopeTypeEnvelopeTypeTx, V1: &xdr.TransactionV1Envelope{Tx: body}}
		status = StatusRevised
		msg = "authorization and deauthorization of the trust lines were added around the payment; the revised transaction is signed by the issuer and must be signed again by its source"
	}
	signed, err := s.sign(env)
	if err != nil {
		return nil, err
	}
	return &Response{Status: status, Tx: signed, Message: msg, DecisionIDs: out.DecisionIDs()}, nil
}

func (s *Server) sign(env xdr.TransactionEnvelope) (string, error) {
	b64, err := xdr.MarshalBase64(env)
	if err != nil {
		return "", fmt.Errorf("stellar: marshal: %w", err)
	}
	gtx, err := txnbuild.TransactionFromXDR(b64)
	if err != nil {
		return "", fmt.Errorf("stellar: rebuild: %w", err)
	}
	tx, ok := gtx.Transaction()
	if !ok {
		return "", errors.New("stellar: not a transaction")
	}
	tx, err = tx.Sign(s.cfg.NetworkPassphrase, s.issuer)
	if err != nil {
		return "", fmt.Errorf("stellar: sign: %w", err)
	}
	return tx.Base64()
}

// Refuse answers pending, action_required or rejected.
func (a approvalAdapter) Refuse(_ context.Context, ap *approval, out sidecar.Outcome) (*Response, error) {
	s := a.s
	resp := &Response{DecisionIDs: out.DecisionIDs(), ReasonCodes: out.ReasonCodes()}
	switch out.Kind {
	case sidecar.KindReview:
		ms := s.cfg.PendingTimeout.Milliseconds()
		resp.Status, resp.Timeout, resp.CaseID = StatusPending, &ms, out.CaseID
		resp.Message = "the transaction is under compliance review (case " + out.CaseID + "); submit the same transaction again after the timeout"
	case sidecar.KindDenied:
		if s.fixableByKYC(resp.ReasonCodes) {
			resp.Status = StatusActionRequired
			resp.Message = "identity information must be refreshed before this payment can be approved: " + strings.Join(resp.ReasonCodes, ", ")
			resp.ActionURL = s.actionURL(ap)
			resp.ActionMethod = http.MethodPost
			resp.ActionFields = s.cfg.ActionFields
			break
		}
		resp.Status = StatusRejected
		resp.Error = "payment not allowed: " + strings.Join(resp.ReasonCodes, ", ")
	case sidecar.KindInvalid:
		resp.Status = StatusRejected
		resp.Error = strings.TrimPrefix(out.Err.Error(), sidecar.ErrInvalid.Error()+": ")
	default:
		resp.Status = StatusRejected
		resp.Error = "compliance check unavailable; the transaction was not approved, try again later"
	}
	return resp, nil
}

func (s *Server) fixableByKYC(codes []string) bool {
	if len(codes) == 0 || len(s.cfg.ActionRequiredCodes) == 0 {
		return false
	}
	for _, c := range codes {
		if !slices.Contains(s.cfg.ActionRequiredCodes, c) {
			return false
		}
	}
	return true
}

func (s *Server) actionURL(ap *approval) string {
	u, err := url.Parse(s.cfg.ActionURL)
	if err != nil {
		return s.cfg.ActionURL
	}
	q := u.Query()
	q.Set("account", ap.source)
	q.Set("tx_hash", ap.hash)
	u.RawQuery = q.Encode()
	return u.String()
}
