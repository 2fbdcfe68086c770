// Package stellar is Clearance's sidecar for a Stellar regulated asset: a
// SEP-8 approval server. Wallets POST the transaction they want to submit to
// /tx_approve; the server decodes the payments of the regulated asset, clears
// each with the gateway and answers with a SEP-8 status: success (the
// transaction co-signed by the issuer), revised (the payments wrapped in the
// issuer's SetTrustLineFlags authorize/deauthorize sandwich, signed), pending
// (REVIEW, with the case id and a timeout), action_required (a KYC refresh)
// or rejected.
//
// Invariants:
//   - The issuer key signs only what the server built or verified: a
//     transaction whose operations are exactly payments of the regulated asset,
//     optionally inside the sandwich the server itself would build. Any other
//     operation, a transaction sourced by the issuer, a payment sourced by the
//     issuer (issuance goes through the issuer's own tooling), a fee-bump or a
//     transaction for another network is rejected.
//   - Fail closed: no signature unless every payment was cleared ALLOW; a
//     gateway that is unreachable, erroring or slow gives rejected.
//   - Amounts are Stellar int64 stroops, mapped exactly to the asset's smallest
//     unit (Decimals); an amount that does not map exactly is rejected.
//   - The issuer's secret seed is never logged.
package stellar
