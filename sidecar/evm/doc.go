// Package evm is Clearance's sidecar for an EVM chain: a JSON-RPC proxy in
// front of an Ethereum node that clears every transaction touching a
// configured token with the gateway before the node sees it, a watcher that
// follows the tokens' Transfer events and reports them back, an optional
// registry sync that mirrors eligibility into an on-chain registry contract,
// and a balanceOf source for reconciliation.
//
// Invariants:
//   - Fail closed. eth_sendRawTransaction and eth_sendTransaction are
//     forwarded only if the call moves no configured token, or every movement
//     in it was cleared ALLOW; a transaction that cannot be decoded, is signed
//     for another chain, or carries an amount above int64 is refused. Every
//     other method, and every item of a JSON-RPC batch that is not a send,
//     passes through unchanged.
//   - Only direct calls to a configured token are recognised. A movement made
//     by another contract (a router, a multisig) is not seen by the proxy; the
//     watcher flags it as an uncleared transfer.
//   - The watcher reports a block's transfers only once the block is
//     Confirmations deep, and checks the hash chain on every poll: unconfirmed
//     blocks that left the canonical chain are dropped, never reported.
//   - The proxy's record of forwarded transactions lives in memory and is
//     bounded; a transfer whose forwarding was forgotten (restart, eviction)
//     is flagged for reconciliation, which errs on the safe side.
//   - Private keys are never logged.
//   - Addresses are reported to Clearance in lowercase 0x-hex.
package evm
