package evm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/clearancehq/clearance/sidecar"
)

// ChainReader is what the watcher and the balance source read from the node;
// *ethclient.Client and the simulated backend's client satisfy it.
type ChainReader interface {
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
	CallContract(ctx context.Context, msg ethereum.CallMsg, blockNumber *big.Int) ([]byte, error)
}

// ForwardedTxs answers whether the proxy forwarded a transaction; *Proxy
// implements it.
type ForwardedTxs interface {
	Forwarded(txHash string) (decisionIDs []string, ok bool)
}

// Watcher follows the configured tokens' Transfer events and reports
// confirmed transfers and balances. Poll is not safe for concurrent use with
// itself; Run serialises it.
type Watcher struct {
	cfg     Config
	chain   ChainReader
	fwd     ForwardedTxs
	rep     sidecar.Reporter
	log     *slog.Logger
	tokens  map[common.Address]string
	addrs   []common.Address
	erc20   abi.ABI
	topic   common.Hash
	started bool
	// confirmed is the last reported block.
	confirmed    uint64
	confirmedHsh common.Hash
	// window holds the unconfirmed blocks after confirmed, oldest first.
	window []pendingBlock

	mu    sync.Mutex
	stats WatcherStats
}

// WatcherStats counts what the watcher did.
type WatcherStats struct {
	Confirmed   uint64 // last confirmed block
	Transfers   int    // reported transfers
	Uncleared   int    // transfers flagged as not cleared by the proxy
	RolledBack  int    // unconfirmed blocks dropped by reorgs
	DeepReorgs  int    // confirmed blocks that left the chain
	ReportError int
}

type pendingBlock struct {
	number uint64
	hash   common.Hash
	parent common.Hash
	logs   []types.Log
}

// NewWatcher returns a watcher of cfg.Tokens on chain. fwd may be nil, in
// which case every transfer counts as not cleared. A nil logger discards.
func NewWatcher(cfg Config, chain ChainReader, fwd ForwardedTxs, rep sidecar.Reporter, logger *slog.Logger) (*Watcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if chain == nil || rep == nil {
		return nil, errors.New("evm: watcher needs a chain reader and a reporter")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	erc20, err := abi.JSON(strings.NewReader(erc20ABI))
	if err != nil {
		return nil, fmt.Errorf("evm: erc20 abi: %w", err)
	}
	w := &Watcher{
		cfg:    cfg,
		chain:  chain,
		fwd:    fwd,
		rep:    rep,
		log:    logger.With("component", "sidecar.evm.watcher"),
		tokens: cfg.tokenMap(),
		erc20:  erc20,
		topic:  erc20.Events["Transfer"].ID,
	}
	for a := range w.tokens {
		w.addrs = append(w.addrs, a)
	}
	return w, nil
}

// Stats returns a snapshot of the counters.
func (w *Watcher) Stats() WatcherStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Run polls until ctx is done. Poll errors are logged and retried.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Watcher.PollInterval)
	defer t.Stop()
	for {
		if err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			w.log.WarnContext(ctx, "watcher poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll catches up with the chain once: it drops unconfirmed blocks that left
// the canonical chain, fetches new blocks, and reports the blocks that became
// Confirmations deep.
func (w *Watcher) Poll(ctx context.Context) error {
	head, err := w.chain.HeaderByNumber(ctx, nil)
	if err != nil {
		return fmt.Errorf("evm: head: %w", err)
	}
	if !w.started {
		if err := w.start(ctx, head); err != nil {
			return err
		}
	}
	if err := w.rollback(ctx); err != nil {
		return err
	}
	if err := w.extend(ctx, head.Number.Uint64()); err != nil {
		return err
	}
	return w.confirm(ctx, head.Number.Uint64())
}

func (w *Watcher) start(ctx context.Context, head *types.Header) error {
	first := w.cfg.Watcher.StartBlock
	if first == 0 {
		first = head.Number.Uint64()
	}
	first = max(first, 1) // the genesis block carries no logs
	h, err := w.chain.HeaderByNumber(ctx, new(big.Int).SetUint64(first-1))
	if err != nil {
		return fmt.Errorf("evm: start header: %w", err)
	}
	w.confirmed, w.confirmedHsh = first-1, h.Hash()
	w.started = true
	return nil
}

// rollback drops unconfirmed blocks that are no longer canonical. Hashes are
// chained, so once the newest kept block is canonical all older ones are.
func (w *Watcher) rollback(ctx context.Context) error {
	for len(w.window) > 0 {
		last := w.window[len(w.window)-1]
		h, err := w.chain.HeaderByNumber(ctx, new(big.Int).SetUint64(last.number))
		if err != nil && !errors.Is(err, ethereum.NotFound) {
			return fmt.Errorf("evm: header %d: %w", last.number, err)
		}
		if err == nil && h.Hash() == last.hash {
			return nil
		}
		w.window = w.window[:len(w.window)-1]
		w.mu.Lock()
		w.stats.RolledBack++
		w.mu.Unlock()
		w.log.InfoContext(ctx, "reorg: dropped unconfirmed block", "number", last.number, "hash", last.hash.Hex(), "transfers", len(last.logs))
	}
	return nil
}

// extend fetches blocks after the window up to head.
func (w *Watcher) extend(ctx context.Context, head uint64) error {
	next, parent := w.confirmed+1, w.confirmedHsh
	if n := len(w.window); n > 0 {
		next, parent = w.window[n-1].number+1, w.window[n-1].hash
	}
	for fetched := uint64(0); next <= head && fetched < w.cfg.Watcher.MaxBlocksPerPoll; fetched++ {
		h, err := w.chain.HeaderByNumber(ctx, new(big.Int).SetUint64(next))
		if err != nil {
			return fmt.Errorf("evm: header %d: %w", next, err)
		}
		if h.ParentHash != parent {
			if len(w.window) > 0 {
				return nil // the chain moved under us; the next poll rolls back
			}
			// Nothing unconfirmed is left and the new block does not build on
			// the last confirmed one: a reorg deeper than the confirmation
			// depth. Record it and follow the new chain.
			w.deepReorg(ctx, next-1, parent, h.ParentHash)
		}
		hash := h.Hash()
		logs, err := w.chain.FilterLogs(ctx, ethereum.FilterQuery{
			BlockHash: &hash,
			Addresses: w.addrs,
			Topics:    [][]common.Hash{{w.topic}},
		})
		if err != nil {
			return fmt.Errorf("evm: logs of block %d: %w", next, err)
		}
		w.window = append(w.window, pendingBlock{number: next, hash: hash, parent: h.ParentHash, logs: logs})
		parent = hash
		next++
	}
	return nil
}

func (w *Watcher) deepReorg(ctx context.Context, number uint64, had, now common.Hash) {
	w.mu.Lock()
	w.stats.DeepReorgs++
	w.mu.Unlock()
	w.log.ErrorContext(ctx, "reorg beyond the confirmation depth", "number", number, "reported_hash", had.Hex(), "canonical_hash", now.Hex())
	for token, assetID := range w.tokens {
		_, err := w.rep.RecordException(ctx, sidecar.Exception{
			Kind:       sidecar.ExceptionReorgTooDeep,
			Chain:      w.cfg.Chain,
			AssetID:    assetID,
			Wallet:     addr(token), // the ledger keys exceptions by wallet; the token contract stands for all of them
			Item:       sidecar.ReorgItem(number, had.Hex()),
			DetectedAt: time.Now().UTC(),
			Note:       "confirmed block replaced by " + now.Hex(),
		})
		if err != nil {
			w.log.ErrorContext(ctx, "record exception failed", "err", err)
		}
	}
	w.confirmedHsh = now
}

// confirm reports the blocks that are now Confirmations deep.
func (w *Watcher) confirm(ctx context.Context, head uint64) error {
	depth := w.cfg.Watcher.Confirmations
	for len(w.window) > 0 && w.window[0].number+depth <= head {
		b := w.window[0]
		if err := w.report(ctx, b); err != nil {
			return err // the block stays in the window and is reported again; reports are idempotent
		}
		w.window = w.window[1:]
		w.confirmed, w.confirmedHsh = b.number, b.hash
		w.mu.Lock()
		w.stats.Confirmed = b.number
		w.mu.Unlock()
	}
	return nil
}

func (w *Watcher) report(ctx context.Context, b pendingBlock) error {
	touched := map[common.Address]map[common.Address]bool{} // token -> wallets
	// k-th Transfer log of a tx on a token matches the k-th cleared movement.
	ordinal := map[string]int{}
	for _, l := range b.logs {
		if l.Removed || len(l.Topics) != 3 || l.Topics[0] != w.topic {
			continue
		}
		assetID, ok := w.tokens[l.Address]
		if !ok {
			continue
		}
		vals, err := w.erc20.Events["Transfer"].Inputs.NonIndexed().Unpack(l.Data)
		if err != nil || len(vals) != 1 {
			w.log.WarnContext(ctx, "undecodable Transfer log", "tx", l.TxHash.Hex(), "index", l.Index)
			continue
		}
		amount := vals[0].(*big.Int)
		from := common.BytesToAddress(l.Topics[1].Bytes())
		to := common.BytesToAddress(l.Topics[2].Bytes())
		t := sidecar.Transfer{
			Chain:       w.cfg.Chain,
			AssetID:     assetID,
			TxHash:      l.TxHash.Hex(),
			LogIndex:    l.Index,
			BlockNumber: b.number,
			BlockHash:   b.hash.Hex(),
			Amount:      amount.String(),
			ObservedAt:  time.Now().UTC(),
		}
		if from != (common.Address{}) {
			t.From = addr(from)
		}
		if to != (common.Address{}) {
			t.To = addr(to)
		}
		if w.fwd != nil {
			if ids, ok := w.fwd.Forwarded(t.TxHash); ok {
				t.ViaProxy = true
				k := t.TxHash + "|" + l.Address.Hex()
				if i := ordinal[k]; i < len(ids) {
					t.DecisionID = ids[i]
				}
				ordinal[k]++
			}
		}
		if err := w.rep.ReportTransfer(ctx, t); err != nil {
			return fmt.Errorf("evm: report transfer %s: %w", t.TxHash, err)
		}
		w.mu.Lock()
		w.stats.Transfers++
		w.mu.Unlock()
		if !t.ViaProxy {
			if err := w.flag(ctx, t); err != nil {
				return err
			}
		}
		if touched[l.Address] == nil {
			touched[l.Address] = map[common.Address]bool{}
		}
		for _, a := range []common.Address{from, to} {
			if a != (common.Address{}) {
				touched[l.Address][a] = true
			}
		}
	}
	if !w.cfg.Watcher.ReportBalances {
		return nil
	}
	at := new(big.Int).SetUint64(b.number)
	for token, wallets := range touched {
		for wallet := range wallets {
			bal, err := balanceOf(ctx, w.chain, w.erc20, token, wallet, at)
			if err != nil {
				return err
			}
			if err := w.rep.ReportBalance(ctx, sidecar.Balance{
				Chain: w.cfg.Chain, AssetID: w.tokens[token], Wallet: addr(wallet),
				Amount: bal.String(), BlockNumber: b.number, ObservedAt: time.Now().UTC(),
			}); err != nil {
				return fmt.Errorf("evm: report balance: %w", err)
			}
		}
	}
	return nil
}

// flag records a transfer that reached the chain without the proxy: one
// exception per party, so the ledger can hold both the sender and the
// recipient until it is resolved.
func (w *Watcher) flag(ctx context.Context, t sidecar.Transfer) error {
	for _, wallet := range []string{t.From, t.To} {
		if wallet == "" {
			continue
		}
		id, err := w.rep.RecordException(ctx, sidecar.Exception{
			Kind:       sidecar.ExceptionUnclearedTransfer,
			Chain:      t.Chain,
			AssetID:    t.AssetID,
			Wallet:     wallet,
			Item:       sidecar.TransferItem(sidecar.TxRef(t.TxHash, t.LogIndex)),
			Expected:   "0",
			Observed:   t.Amount,
			Difference: t.Amount,
			DetectedAt: t.ObservedAt,
			Note:       fmt.Sprintf("transfer %s -> %s in block %d was not cleared by the proxy", t.From, t.To, t.BlockNumber),
		})
		if err != nil {
			return fmt.Errorf("evm: record exception: %w", err)
		}
		w.log.WarnContext(ctx, "uncleared transfer flagged for reconciliation", "tx", t.TxHash, "asset", t.AssetID, "wallet", wallet, "exception", id)
	}
	w.mu.Lock()
	w.stats.Uncleared++
	w.mu.Unlock()
	return nil
}

// balanceOf calls token.balanceOf(wallet) at block (nil = latest).
func balanceOf(ctx context.Context, chain ChainReader, erc20 abi.ABI, token, wallet common.Address, block *big.Int) (*big.Int, error) {
	data, err := erc20.Pack("balanceOf", wallet)
	if err != nil {
		return nil, fmt.Errorf("evm: pack balanceOf: %w", err)
	}
	out, err := chain.CallContract(ctx, ethereum.CallMsg{To: &token, Data: data}, block)
	if err != nil {
		return nil, fmt.Errorf("evm: balanceOf %s on %s: %w", addr(wallet), addr(token), err)
	}
	vals, err := erc20.Unpack("balanceOf", out)
	if err != nil || len(vals) != 1 {
		return nil, fmt.Errorf("evm: unpack balanceOf: %w", err)
	}
	return vals[0].(*big.Int), nil
}
