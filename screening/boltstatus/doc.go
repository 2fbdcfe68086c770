// Package boltstatus is the bbolt implementation of screening.StatusStore.
// It uses its own buckets (screening_investors, screening_wallets,
// screening_exceptions, screening_checkpoints) on a *bbolt.DB shared with
// other components; each operation is one transaction. Records are JSON.
package boltstatus
