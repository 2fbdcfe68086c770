package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// The generated registry: investors inv-g0000000..., each with two wallets,
// on top of the example data (assets BOND-2030, FUND-A, RECV-POOL and the
// example investors). Every attribute of generated investor i is a pure
// function of (seed, i), so the request mix can be drawn without reading the
// registry back.

// genInvestor is one generated investor's attributes.
type genInvestor struct {
	ID           string
	Status       string
	Category     string
	Jurisdiction string
	KYCExpires   string
	ExpectedMax  int64
	WhitelistB   bool // BOND-2030
	WhitelistF   bool // FUND-A
	Wallets      [2]string
	Frozen       bool // second wallet frozen
	Unverified   bool // second wallet unverified
}

// fundWhitelistCap bounds how many generated investors are whitelisted for
// FUND-A, so the 1M registry stays quick to import.
const fundWhitelistCap = 20_000

func pick[T any](r *rand.Rand, xs []T, weights []int) T {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return xs[i]
		}
		n -= w
	}
	return xs[len(xs)-1]
}

// investorAt returns generated investor i.
func investorAt(seed uint64, i int) genInvestor {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	g := genInvestor{ID: fmt.Sprintf("inv-g%07d", i)}
	g.Status = pick(r, []string{"APPROVED", "PENDING", "SUSPENDED", "REVOKED"}, []int{92, 3, 3, 2})
	g.Category = pick(r, []string{"ACCREDITED", "PROFESSIONAL", "INSTITUTIONAL", "QUALIFIED", "RETAIL"}, []int{42, 20, 15, 8, 15})
	g.Jurisdiction = pick(r, []string{"CH", "DE", "FR", "GB", "LU", "NL", "SG", "US", "JP", "IR"}, []int{14, 14, 12, 12, 10, 10, 10, 10, 5, 3})
	g.KYCExpires = pick(r, []string{"2031-12-31T00:00:00Z", "2025-06-30T00:00:00Z"}, []int{96, 4})
	g.ExpectedMax = pick(r, []int64{10_000_000, 300_000}, []int{80, 20})
	g.WhitelistB = r.IntN(100) < 92
	g.WhitelistF = i < fundWhitelistCap && r.IntN(100) < 92
	g.Frozen = r.IntN(100) < 5
	g.Unverified = r.IntN(100) < 3
	g.Wallets = [2]string{walletAt(2 * i), walletAt(2*i + 1)}
	return g
}

// walletAt is the address of generated wallet j.
func walletAt(j int) string { return fmt.Sprintf("0x9e%038x", j) }

// writeRegistry writes the example rows, then investors, wallets and
// whitelist entries for the given number of generated wallets (two per
// investor), as JSON lines `clearance registry import` reads.
func writeRegistry(w io.Writer, example []byte, wallets int, seed uint64) (rows int, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(example); err != nil {
		return 0, err
	}
	if len(example) > 0 && example[len(example)-1] != '\n' {
		bw.WriteByte('\n')
	}
	for _, line := range splitLines(example) {
		if len(line) > 0 {
			rows++
		}
	}
	n := wallets / 2
	// Investors first, then wallets, then whitelist entries: the importer
	// requires referenced rows to exist.
	for i := 0; i < n; i++ {
		g := investorAt(seed, i)
		fmt.Fprintf(bw, `{"kind":"investor","id":%q,"name":"Generated Investor %d","status":%q,"effective_from":"2026-01-01T00:00:00Z","kyc_expires_at":%q,"category":%q,"jurisdiction":%q,"type":"INDIVIDUAL","active":true,"expected_min":100,"expected_max":%d}`+"\n",
			g.ID, i, g.Status, g.KYCExpires, g.Category, g.Jurisdiction, g.ExpectedMax)
		rows++
	}
	for i := 0; i < n; i++ {
		g := investorAt(seed, i)
		for k, a := range g.Wallets {
			frozen, verified := false, true
			if k == 1 {
				frozen, verified = g.Frozen, !g.Unverified
			}
			fmt.Fprintf(bw, `{"kind":"wallet","address":%q,"chain":"evm","investor_id":%q,"verified":%s,"active":true,"frozen":%s}`+"\n",
				a, g.ID, strconv.FormatBool(verified), strconv.FormatBool(frozen))
			rows++
		}
	}
	for i := 0; i < n; i++ {
		g := investorAt(seed, i)
		if g.WhitelistB {
			fmt.Fprintf(bw, `{"kind":"whitelist","asset_id":"BOND-2030","investor_id":%q}`+"\n", g.ID)
			rows++
		}
		if g.WhitelistF {
			fmt.Fprintf(bw, `{"kind":"whitelist","asset_id":"FUND-A","investor_id":%q}`+"\n", g.ID)
			rows++
		}
	}
	return rows, bw.Flush()
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, b[start:])
	}
	return out
}

// Request is one check, in the REST body shape of POST /v1/check.
type Request struct {
	Action     string `json:"action"`
	AssetID    string `json:"asset_id"`
	FromWallet string `json:"from_wallet,omitempty"`
	ToWallet   string `json:"to_wallet,omitempty"`
	Amount     string `json:"amount"`
}

// Example wallets (examples/exampledata/registry.jsonl).
const (
	wAlice    = "0xa11ce00000000000000000000000000000000001"
	wAlice2   = "0xa11ce00000000000000000000000000000000002"
	wBob      = "0xb0b0000000000000000000000000000000000001"
	wCarol    = "0xca20100000000000000000000000000000000001"
	wDave     = "0xda7e000000000000000000000000000000000001"
	wErin     = "0xe210000000000000000000000000000000000001"
	wFrank    = "0xf2a0000000000000000000000000000000000001"
	wGrace    = "0x62ace00000000000000000000000000000000001"
	wAcme     = "0xac3e000000000000000000000000000000000001"
	wAcme2    = "0xac3e000000000000000000000000000000000002"
	wHank     = "0x4a2c000000000000000000000000000000000001"
	wIvan     = "0x7f367cc41522ce07553e823bf3be79a889debe1b"
	wBondRedm = "0xb0d0000000000000000000000000000000000002"
)

var exampleRecipients = []string{wAlice, wAlice2, wBob, wCarol, wDave, wErin, wFrank, wGrace, wAcme, wAcme2, wHank, wIvan}

// uniformMix draws n requests over the example data and the generated
// investors (wallets = size of the generated registry): issuances, transfers
// between example holders, transfers between generated wallets, redemptions
// and unknown wallets. The shares give roughly 60 % ALLOW with a few % REVIEW.
func uniformMix(seed uint64, wallets, n int) []Request {
	r := rand.New(rand.NewPCG(seed, 0x6d6978))
	investors := wallets / 2
	out := make([]Request, 0, n)
	for len(out) < n {
		k := r.IntN(100)
		switch {
		case k < 58: // issuance of BOND-2030 to a generated wallet
			g := investorAt(seed, r.IntN(investors))
			amt := 100_000 + r.Int64N(800_000)
			switch x := r.IntN(100); {
			case x < 12:
				amt = 1_000_000 + r.Int64N(500_000)
			case x < 15:
				amt = 50_000
			}
			out = append(out, Request{Action: "ISSUANCE", AssetID: "BOND-2030", ToWallet: g.Wallets[r.IntN(2)], Amount: strconv.FormatInt(amt, 10)})
		case k < 68: // issuance of FUND-A
			g := investorAt(seed, r.IntN(min(investors, fundWhitelistCap)))
			out = append(out, Request{Action: "ISSUANCE", AssetID: "FUND-A", ToWallet: g.Wallets[0], Amount: strconv.FormatInt(10_000+r.Int64N(900_000), 10)})
		case k < 80: // transfer between example parties (the seeded ledger holds alice and acme)
			from := []string{wAlice, wAcme}[r.IntN(2)]
			to := exampleRecipients[r.IntN(len(exampleRecipients))]
			out = append(out, Request{Action: "TRANSFER", AssetID: "BOND-2030", FromWallet: from, ToWallet: to, Amount: strconv.FormatInt(10_000+r.Int64N(3_000_000), 10)})
		case k < 88: // transfer between generated wallets (no holdings)
			a, b := investorAt(seed, r.IntN(investors)), investorAt(seed, r.IntN(investors))
			out = append(out, Request{Action: "TRANSFER", AssetID: "BOND-2030", FromWallet: a.Wallets[0], ToWallet: b.Wallets[0], Amount: strconv.FormatInt(1_000+r.Int64N(100_000), 10)})
		case k < 92: // redemption by a holder
			from := []string{wAlice, wAcme}[r.IntN(2)]
			out = append(out, Request{Action: "REDEMPTION", AssetID: "BOND-2030", FromWallet: from, ToWallet: wBondRedm, Amount: strconv.FormatInt(1_000+r.Int64N(2_000_000), 10)})
		case k < 95: // unknown recipient
			out = append(out, Request{Action: "ISSUANCE", AssetID: "BOND-2030", ToWallet: fmt.Sprintf("0xdead%036x", r.IntN(1<<30)), Amount: "200000"})
		default: // issuance to an example investor (retail, suspended, expired KYC, blocked, potential match...)
			out = append(out, Request{Action: "ISSUANCE", AssetID: "BOND-2030", ToWallet: exampleRecipients[r.IntN(len(exampleRecipients))], Amount: strconv.FormatInt(100_000+r.Int64N(500_000), 10)})
		}
	}
	return out
}

// zipfMix draws n issuances whose recipients follow a Zipf law (s = 1.1)
// over the generated investors: a few investors are asked about very often,
// most rarely, which is the realistic reuse the verdict cache sees.
func zipfMix(seed uint64, wallets, n int) []Request {
	r := rand.New(rand.NewPCG(seed, 0x7a6970))
	investors := wallets / 2
	z := rand.NewZipf(r, 1.1, 1, uint64(investors-1))
	out := make([]Request, n)
	for i := range out {
		// Scatter the Zipf ranks over the registry so hot keys are not all
		// neighbours in the store.
		rank := z.Uint64()
		idx := int((rank * 2654435761) % uint64(investors))
		g := investorAt(seed, idx)
		out[i] = Request{Action: "ISSUANCE", AssetID: "BOND-2030", ToWallet: g.Wallets[0], Amount: strconv.FormatInt(100_000+r.Int64N(800_000), 10)}
	}
	return out
}

// marshalRequests encodes each request as a REST body.
func marshalRequests(rs []Request) [][]byte {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i], _ = json.Marshal(r)
	}
	return out
}
