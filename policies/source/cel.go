package source

import (
	"context"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/celengine"
)

// newCEL compiles the pack's CEL rules. The CEL engine is built even for a
// pack without rule files, because it evaluates the inline conditions of
// every asset.
func newCEL(ctx context.Context, files *Files, opts ...celengine.Option) (policies.Engine, error) {
	opts = append([]celengine.Option{celengine.WithRevision(files.Revision)}, opts...)
	return celengine.New(ctx, files.CEL, opts...)
}
