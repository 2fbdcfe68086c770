package evm

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

const simChainID = 1337 // the simulated backend's chain id

// chain is a simulated EVM with the test contracts deployed, the node's
// JSON-RPC served over HTTP on loopback, and funded keys.
type chain struct {
	sim      *simulated.Backend
	direct   simulated.Client // talks to the node without the proxy
	nodeURL  string
	agent    *ecdsa.PrivateKey // deploys, mints, admin of the registry
	keys     map[string]*ecdsa.PrivateKey
	token    common.Address
	registry common.Address
	tokenABI abi.ABI
	regABI   abi.ABI
}

func loadABI(t testing.TB, name string) (abi.ABI, []byte) {
	t.Helper()
	ab, err := os.ReadFile("testdata/" + name + ".abi")
	if err != nil {
		t.Fatal(err)
	}
	a, err := abi.JSON(strings.NewReader(string(ab)))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile("testdata/" + name + ".bin")
	if err != nil {
		t.Fatal(err)
	}
	return a, common.FromHex(strings.TrimSpace(string(bin)))
}

func newChain(t testing.TB, names ...string) *chain {
	t.Helper()
	c := &chain{keys: map[string]*ecdsa.PrivateKey{}}
	alloc := types.GenesisAlloc{}
	fund := new(big.Int).Mul(big.NewInt(100), big.NewInt(params.Ether))
	var err error
	if c.agent, err = crypto.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	alloc[crypto.PubkeyToAddress(c.agent.PublicKey)] = types.Account{Balance: fund}
	for _, n := range names {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		c.keys[n] = k
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: fund}
	}
	// The node serves JSON-RPC over HTTP on a loopback port, like a real
	// node beside the sidecar.
	port := freePort(t)
	c.sim = simulated.NewBackend(alloc, func(nc *node.Config, _ *ethconfig.Config) {
		nc.HTTPHost = "127.0.0.1"
		nc.HTTPPort = port
		nc.HTTPModules = []string{"eth", "net", "web3"}
		nc.HTTPVirtualHosts = []string{"*"}
	})
	t.Cleanup(func() { _ = c.sim.Close() })
	c.direct = c.sim.Client()
	c.nodeURL = fmt.Sprintf("http://127.0.0.1:%d", port)

	var regBin, tokBin []byte
	c.regABI, regBin = loadABI(t, "EligibilityRegistry")
	c.tokenABI, tokBin = loadABI(t, "RegulatedToken")
	opts := c.opts(t, c.agent)
	args, err := c.regABI.Pack("", crypto.PubkeyToAddress(c.agent.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if c.registry, _, err = bind.DeployContract(opts, regBin, c.direct, args); err != nil {
		t.Fatalf("deploy registry: %v", err)
	}
	c.sim.Commit()
	// The token enforces nothing itself here (registry = 0): Clearance is the
	// only gate, which is what the tests exercise.
	args, err = c.tokenABI.Pack("", "Fund Share", "FS", common.Address{})
	if err != nil {
		t.Fatal(err)
	}
	if c.token, _, err = bind.DeployContract(c.opts(t, c.agent), tokBin, c.direct, args); err != nil {
		t.Fatalf("deploy token: %v", err)
	}
	c.sim.Commit()
	return c
}

func (c *chain) addr(name string) common.Address {
	return crypto.PubkeyToAddress(c.keys[name].PublicKey)
}

func (c *chain) opts(t testing.TB, k *ecdsa.PrivateKey) *bind.TransactOpts {
	t.Helper()
	o := bind.NewKeyedTransactor(k, big.NewInt(simChainID))
	o.Context = t.Context()
	return o
}

// transact calls method on the token through backend (the proxy's wallet
// client, or c.direct to bypass the proxy).
func (c *chain) transact(t testing.TB, backend bind.ContractBackend, k *ecdsa.PrivateKey, method string, args ...any) (*types.Transaction, error) {
	t.Helper()
	bc := bind.NewBoundContract(c.token, c.tokenABI, backend, backend, backend)
	return bc.Transact(c.opts(t, k), method, args...)
}

func (c *chain) balance(t testing.TB, who common.Address) int64 {
	t.Helper()
	b, err := balanceOf(t.Context(), c.direct, c.tokenABI, c.token, who, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.Int64()
}

// mustMine commits a block and checks tx succeeded in it.
func (c *chain) mustMine(t testing.TB, tx *types.Transaction) {
	t.Helper()
	c.sim.Commit()
	r, err := c.direct.TransactionReceipt(t.Context(), tx.Hash())
	if err != nil {
		t.Fatalf("receipt of %s: %v", tx.Hash().Hex(), err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("tx %s reverted", tx.Hash().Hex())
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// stack is a chain with the proxy in front of it and a scripted gateway.
type stack struct {
	*chain
	gw      *sidecartest.Gateway
	rep     *sidecartest.Reporter
	reg     *prometheus.Registry
	proxy   *Proxy
	wallet  *ethclient.Client // points at the proxy
	watcher *Watcher
	cfg     Config
}

func newStack(t testing.TB, script sidecartest.Script, names ...string) *stack {
	t.Helper()
	c := newChain(t, names...)
	s := &stack{chain: c, gw: sidecartest.NewGateway(t, script), rep: sidecartest.NewReporter(), reg: prometheus.NewRegistry()}
	cfg := DefaultConfig()
	cfg.Upstream = c.nodeURL
	cfg.ChainID = simChainID
	cfg.Venue = "test-venue"
	cfg.Tokens = []Token{{Address: c.token.Hex(), AssetID: "FS-1"}}
	cfg.Gateway.Address = s.gw.Addr()
	cfg.Watcher.Confirmations = 2
	s.cfg = cfg
	var err error
	if s.proxy, err = NewProxy(cfg, s.gw.Client(), nil, s.reg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.proxy)
	t.Cleanup(srv.Close)
	if s.wallet, err = ethclient.Dial(srv.URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.wallet.Close)
	if s.watcher, err = NewWatcher(cfg, c.direct, s.proxy, s.rep, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// counter reads clearance_sidecar_transactions_total{adapter="evm",outcome}.
func (s *stack) counter(t testing.TB, outcome string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "clearance_sidecar_transactions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["adapter"] == "evm" && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// rpcErr extracts the JSON-RPC error code and data of err.
func rpcErr(t testing.TB, err error) (int, map[string]any) {
	t.Helper()
	if err == nil {
		t.Fatal("expected a JSON-RPC error, got none")
	}
	var re rpc.Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a JSON-RPC error", err)
	}
	var data map[string]any
	var de rpc.DataError
	if errors.As(err, &de) {
		b, _ := json.Marshal(de.ErrorData())
		_ = json.Unmarshal(b, &data)
	}
	return re.ErrorCode(), data
}

var _ sidecar.Reporter = (*sidecartest.Reporter)(nil)

// signTransfer signs token.transfer(to, amount) from the named key with the
// next pending nonce.
func (c *chain) signTransfer(t testing.TB, from string, to common.Address, amount int64) *types.Transaction {
	t.Helper()
	data, err := c.tokenABI.Pack("transfer", to, big.NewInt(amount))
	if err != nil {
		t.Fatal(err)
	}
	return c.signCall(t, from, data)
}

// signCall signs a call of the token with data from the named key.
func (c *chain) signCall(t testing.TB, from string, data []byte) *types.Transaction {
	t.Helper()
	k := c.keys[from]
	nonce, err := c.direct.PendingNonceAt(t.Context(), crypto.PubkeyToAddress(k.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.direct.HeaderByNumber(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tip := big.NewInt(params.GWei)
	tx, err := types.SignNewTx(k, types.LatestSignerForChainID(big.NewInt(simChainID)), &types.DynamicFeeTx{
		ChainID: big.NewInt(simChainID), Nonce: nonce, GasTipCap: tip,
		GasFeeCap: new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2))),
		Gas:       200_000, To: &c.token, Data: data,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}
