// Package ledgertest holds the reference ledger's conformance suite, which
// every ledger.Store passes, and test doubles: a controllable clock, a
// scripted Clearer, and a registry fixture (a registry boltstore in a temp
// directory with a known asset, investors and wallets).
package ledgertest
