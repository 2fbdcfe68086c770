package evm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/sidecar"
)

// JSON-RPC error codes the proxy answers with. Wallets see them as the error
// of eth_sendRawTransaction / eth_sendTransaction; data carries the details.
const (
	CodeDenied       = -32001 // DENY: data.reason_codes, data.decision_ids
	CodeReview       = -32002 // REVIEW: data.case_id
	CodeFailedClosed = -32003 // gateway unreachable, erroring or too slow
	CodeInvalid      = -32004 // recognised but not clearable (bad data, amount range)
	codeParse        = -32700
	codeInvalidReq   = -32600
	codeUpstream     = -32005
)

// Proxy is the JSON-RPC proxy. It is an http.Handler and safe for concurrent
// use.
type Proxy struct {
	cfg     Config
	tokens  map[common.Address]string
	chainID *big.Int
	signer  types.Signer
	dec     *decoder
	runner  *sidecar.Runner
	client  *http.Client
	log     *slog.Logger
	fwd     *forwardedSet
}

// NewProxy validates cfg and returns a proxy clearing with gw. A nil logger
// discards; metrics are registered on reg when it is not nil.
func NewProxy(cfg Config, gw sidecar.GatewayClient, logger *slog.Logger, reg prometheus.Registerer) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	runner, err := sidecar.NewRunner(gw, cfg.Gateway, logger, reg)
	if err != nil {
		return nil, err
	}
	dec, err := newDecoder()
	if err != nil {
		return nil, err
	}
	id := new(big.Int).SetUint64(cfg.ChainID)
	return &Proxy{
		cfg:     cfg,
		tokens:  cfg.tokenMap(),
		chainID: id,
		signer:  types.LatestSignerForChainID(id),
		dec:     dec,
		runner:  runner,
		client:  &http.Client{Timeout: cfg.UpstreamTimeout},
		log:     logger.With("component", "sidecar.evm.proxy"),
		fwd:     newForwardedSet(cfg.MaxForwarded),
	}, nil
}

// ListenAndServe serves the proxy on cfg.Listen until ctx is done.
func (p *Proxy) ListenAndServe(ctx context.Context) error {
	lis, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		return fmt.Errorf("evm: listen: %w", err)
	}
	return p.Serve(ctx, lis)
}

// Serve serves the proxy on lis until ctx is done.
func (p *Proxy) Serve(ctx context.Context, lis net.Listener) error {
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		case <-done:
		}
	}()
	err := srv.Serve(lis)
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Forwarded reports whether the proxy forwarded the transaction with hash
// txHash (0x-hex) after clearing it, and the decision ids it rests on, one
// per movement in call order.
func (p *Proxy) Forwarded(txHash string) ([]string, bool) {
	return p.fwd.get(common.HexToHash(txHash))
}

// rpcMessage is one JSON-RPC request.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

func errorResponse(id json.RawMessage, e *rpcError) []byte {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	b, err := json.Marshal(rpcResponse{JSONRPC: "2.0", ID: id, Error: e})
	if err != nil {
		return []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}`)
	}
	return b
}

// intercepted reports whether method sends a transaction.
func intercepted(method string) bool {
	return method == "eth_sendRawTransaction" || method == "eth_sendTransaction"
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "JSON-RPC over POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, p.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorResponse(nil, &rpcError{Code: codeInvalidReq, Message: "request body too large"}))
			return
		}
		writeJSON(w, http.StatusBadRequest, errorResponse(nil, &rpcError{Code: codeParse, Message: "cannot read body"}))
		return
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		p.serveBatch(r.Context(), w, trimmed)
		return
	}
	var msg rpcMessage
	if err := json.Unmarshal(trimmed, &msg); err != nil {
		writeJSON(w, http.StatusOK, errorResponse(nil, &rpcError{Code: codeParse, Message: "parse error"}))
		return
	}
	if !intercepted(msg.Method) {
		p.passthrough(r.Context(), w, body)
		return
	}
	resp := p.handleSend(r.Context(), &call{msg: msg, raw: trimmed})
	writeJSON(w, http.StatusOK, resp)
}

// passthrough forwards a request body unchanged and copies the answer back.
func (p *Proxy) passthrough(ctx context.Context, w http.ResponseWriter, body []byte) {
	status, ct, resp, err := p.upstream(ctx, body)
	if err != nil {
		p.log.WarnContext(ctx, "upstream failed", "err", err)
		writeJSON(w, http.StatusBadGateway, errorResponse(nil, &rpcError{Code: codeUpstream, Message: "upstream node unavailable"}))
		return
	}
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	_, _ = w.Write(resp)
}

func (p *Proxy) serveBatch(ctx context.Context, w http.ResponseWriter, body []byte) {
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		writeJSON(w, http.StatusOK, errorResponse(nil, &rpcError{Code: codeParse, Message: "parse error"}))
		return
	}
	if len(items) == 0 {
		writeJSON(w, http.StatusOK, errorResponse(nil, &rpcError{Code: codeInvalidReq, Message: "empty batch"}))
		return
	}
	if len(items) > p.cfg.MaxBatch {
		writeJSON(w, http.StatusOK, errorResponse(nil, &rpcError{Code: codeInvalidReq, Message: fmt.Sprintf("batch of %d exceeds the limit of %d", len(items), p.cfg.MaxBatch)}))
		return
	}
	out := make([]json.RawMessage, 0, len(items))
	for _, item := range items {
		var msg rpcMessage
		if err := json.Unmarshal(item, &msg); err != nil {
			out = append(out, errorResponse(nil, &rpcError{Code: codeInvalidReq, Message: "invalid request"}))
			continue
		}
		var resp []byte
		if intercepted(msg.Method) {
			resp = p.handleSend(ctx, &call{msg: msg, raw: item})
		} else {
			resp = p.forwardItem(ctx, msg.ID, item)
		}
		if len(msg.ID) == 0 { // notification: no response
			continue
		}
		out = append(out, resp)
	}
	if len(out) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorResponse(nil, &rpcError{Code: -32603, Message: "internal error"}))
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// forwardItem forwards one request and returns its response object.
func (p *Proxy) forwardItem(ctx context.Context, id json.RawMessage, raw []byte) []byte {
	_, _, resp, err := p.upstream(ctx, raw)
	if err != nil || !json.Valid(resp) {
		p.log.WarnContext(ctx, "upstream failed", "err", err)
		return errorResponse(id, &rpcError{Code: codeUpstream, Message: "upstream node unavailable"})
	}
	return bytes.TrimSpace(resp)
}

func (p *Proxy) upstream(ctx context.Context, body []byte) (status int, contentType string, resp []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.Upstream, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, fmt.Errorf("evm: upstream request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := p.client.Do(req)
	if err != nil {
		return 0, "", nil, fmt.Errorf("evm: upstream: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, p.cfg.MaxResponseBytes+1))
	if err != nil {
		return 0, "", nil, fmt.Errorf("evm: upstream read: %w", err)
	}
	if int64(len(b)) > p.cfg.MaxResponseBytes {
		return 0, "", nil, errors.New("evm: upstream response too large")
	}
	return res.StatusCode, res.Header.Get("Content-Type"), b, nil
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// call is one intercepted send.
type call struct {
	msg rpcMessage
	raw []byte
	// txHash is known for raw transactions before forwarding.
	txHash common.Hash
}

func (p *Proxy) handleSend(ctx context.Context, c *call) []byte {
	resp, err := sidecar.Handle[*call, []byte](ctx, p.runner, sendAdapter{p}, c)
	if err != nil { // adapters answer with bytes; an error is internal
		return errorResponse(c.msg.ID, &rpcError{Code: -32603, Message: "internal error"})
	}
	return resp
}

// sendAdapter is the sidecar.Adapter of eth_sendRawTransaction and
// eth_sendTransaction.
type sendAdapter struct{ p *Proxy }

var _ sidecar.Adapter[*call, []byte] = sendAdapter{}

func (a sendAdapter) Name() string { return "evm" }

func (a sendAdapter) Translate(_ context.Context, c *call) (sidecar.Translation, error) {
	var params []json.RawMessage
	if err := json.Unmarshal(c.msg.Params, &params); err != nil || len(params) < 1 {
		return sidecar.Translation{}, errors.New("params must be an array with one element")
	}
	switch c.msg.Method {
	case "eth_sendRawTransaction":
		return a.translateRaw(c, params[0])
	default:
		return a.translateSend(c, params[0])
	}
}

func (a sendAdapter) translateRaw(c *call, param json.RawMessage) (sidecar.Translation, error) {
	var enc hexutil.Bytes
	if err := json.Unmarshal(param, &enc); err != nil {
		return sidecar.Translation{}, fmt.Errorf("raw transaction: %w", err)
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(enc); err != nil {
		return sidecar.Translation{}, fmt.Errorf("raw transaction: %w", err)
	}
	c.txHash = tx.Hash()
	tr := sidecar.Translation{Key: tx.Hash().Hex()}
	if tx.ChainId().Cmp(a.p.chainID) != 0 {
		return tr, fmt.Errorf("transaction is for chain %s, not %s", tx.ChainId(), a.p.chainID)
	}
	sender, err := types.Sender(a.p.signer, tx)
	if err != nil {
		return tr, fmt.Errorf("recover sender: %w", err)
	}
	return a.p.translateCall(tr, sender, tx.To(), tx.Data())
}

// sendTxArgs are the fields of eth_sendTransaction the proxy reads.
type sendTxArgs struct {
	From  *common.Address `json:"from"`
	To    *common.Address `json:"to"`
	Data  *hexutil.Bytes  `json:"data"`
	Input *hexutil.Bytes  `json:"input"`
}

func (a sendAdapter) translateSend(c *call, param json.RawMessage) (sidecar.Translation, error) {
	tr := sidecar.Translation{Key: crypto.Keccak256Hash(c.msg.Params).Hex()}
	var args sendTxArgs
	if err := json.Unmarshal(param, &args); err != nil {
		return tr, fmt.Errorf("transaction object: %w", err)
	}
	if args.From == nil {
		return tr, errors.New("transaction object has no from")
	}
	var data []byte
	switch {
	case args.Input != nil:
		data = *args.Input
	case args.Data != nil:
		data = *args.Data
	}
	return a.p.translateCall(tr, *args.From, args.To, data)
}

func (p *Proxy) translateCall(tr sidecar.Translation, sender common.Address, to *common.Address, data []byte) (sidecar.Translation, error) {
	if to == nil {
		return tr, nil // contract creation: moves no configured token directly
	}
	assetID, ok := p.tokens[*to]
	if !ok {
		return tr, nil
	}
	mvs, ok, err := p.dec.movements(sender, data)
	if err != nil {
		return tr, err
	}
	if !ok {
		return tr, nil // approve, pause, ...: moves nothing
	}
	checks, err := p.checks(assetID, mvs)
	if err != nil {
		return tr, err
	}
	tr.Checks = checks
	return tr, nil
}

func (a sendAdapter) Forward(ctx context.Context, c *call, out sidecar.Outcome) ([]byte, error) {
	allowed := out.Kind == sidecar.KindAllowed
	if allowed && c.txHash != (common.Hash{}) {
		a.p.fwd.put(c.txHash, out.DecisionIDs())
	}
	_, _, resp, err := a.p.upstream(ctx, c.raw)
	if err != nil || !json.Valid(resp) {
		a.p.log.WarnContext(ctx, "upstream failed", "err", err)
		return errorResponse(c.msg.ID, &rpcError{Code: codeUpstream, Message: "upstream node unavailable"}), nil
	}
	if allowed && c.txHash == (common.Hash{}) { // eth_sendTransaction: the node names the hash
		var r rpcResponse
		var h common.Hash
		if json.Unmarshal(resp, &r) == nil && r.Error == nil && json.Unmarshal(r.Result, &h) == nil {
			a.p.fwd.put(h, out.DecisionIDs())
		}
	}
	return bytes.TrimSpace(resp), nil
}

// refusalData is the data of a refusing JSON-RPC error.
type refusalData struct {
	Decision    string    `json:"decision"`
	ReasonCodes []string  `json:"reason_codes,omitempty"`
	Reasons     []reason  `json:"reasons,omitempty"`
	DecisionIDs []string  `json:"decision_ids,omitempty"`
	CaseID      string    `json:"case_id,omitempty"`
	RequestID   string    `json:"request_id,omitempty"`
	Retryable   bool      `json:"retryable"`
	Error       string    `json:"error,omitempty"`
	Items       []itemRef `json:"items,omitempty"`
}

type reason struct {
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
	Policy   string `json:"policy,omitempty"`
	Observed string `json:"observed,omitempty"`
	Limit    string `json:"limit,omitempty"`
}

type itemRef struct {
	Index      int    `json:"index"`
	Decision   string `json:"decision"`
	DecisionID string `json:"decision_id,omitempty"`
}

func (a sendAdapter) Refuse(_ context.Context, c *call, out sidecar.Outcome) ([]byte, error) {
	d := refusalData{
		ReasonCodes: out.ReasonCodes(),
		DecisionIDs: out.DecisionIDs(),
		CaseID:      out.CaseID,
		RequestID:   out.Key,
		Retryable:   out.Retryable(),
	}
	for i, v := range out.Verdicts {
		d.Items = append(d.Items, itemRef{Index: i, Decision: v.GetDecision().String(), DecisionID: v.GetDecisionId()})
		if v.GetDecision() == gatewayv1.Decision_ALLOW {
			continue
		}
		for _, r := range v.GetReasons() {
			d.Reasons = append(d.Reasons, reason{Code: r.GetCode(), Message: r.GetMessage(), Policy: r.GetPolicy(), Observed: r.GetObserved(), Limit: r.GetLimit()})
		}
	}
	e := &rpcError{Data: &d}
	switch out.Kind {
	case sidecar.KindDenied:
		d.Decision = "DENY"
		e.Code = CodeDenied
		e.Message = "transaction denied by Clearance: " + strings.Join(d.ReasonCodes, ", ")
	case sidecar.KindReview:
		d.Decision = "REVIEW"
		e.Code = CodeReview
		e.Message = "transaction held for compliance review, case " + out.CaseID + "; resubmit the same transaction once approved"
	case sidecar.KindInvalid:
		d.Decision = "INVALID"
		d.Error = out.Err.Error()
		e.Code = CodeInvalid
		e.Message = "transaction cannot be cleared: " + out.Err.Error()
	default:
		d.Decision = "FAILED_CLOSED"
		e.Code = CodeFailedClosed
		e.Message = "Clearance gateway unavailable; transaction not forwarded"
	}
	return errorResponse(c.msg.ID, e), nil
}

// forwardedSet is a bounded FIFO record of forwarded transactions.
type forwardedSet struct {
	mu    sync.Mutex
	max   int
	m     map[common.Hash][]string
	order []common.Hash
}

func newForwardedSet(max int) *forwardedSet {
	return &forwardedSet{max: max, m: map[common.Hash][]string{}}
}

func (s *forwardedSet) put(h common.Hash, decisionIDs []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; !ok {
		for len(s.order) >= s.max {
			delete(s.m, s.order[0])
			s.order = s.order[1:]
		}
		s.order = append(s.order, h)
	}
	s.m[h] = decisionIDs
}

func (s *forwardedSet) get(h common.Hash) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, ok := s.m[h]
	return ids, ok
}
