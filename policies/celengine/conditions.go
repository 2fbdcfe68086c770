package celengine

import (
	"context"
	"fmt"
	"reflect"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"github.com/clearancehq/clearance/policies"
)

var stringType = reflect.TypeFor[string]()

// program returns the compiled inline condition expr, compiling and caching
// it on first use. Compile failures are cached too.
func (e *Engine) program(expr string) (cel.Program, error) {
	if c, ok := e.conds.Get(expr); ok {
		return c.prg, c.err
	}
	prg, err := e.compileCondition(expr)
	e.conds.Add(expr, condEntry{prg: prg, err: err})
	return prg, err
}

func (e *Engine) compileCondition(expr string) (cel.Program, error) {
	if len(expr) > MaxConditionLength {
		return nil, fmt.Errorf("expression is longer than %d bytes", MaxConditionLength)
	}
	ast, iss := e.env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
		return nil, fmt.Errorf("condition must be bool, is %s", ast.OutputType())
	}
	return e.env.Program(ast, e.progOpts...)
}

// CheckCondition compiles an inline condition the way Evaluate would and
// reports why it would be rejected (nil when it is usable).
func (e *Engine) CheckCondition(expr string) error {
	_, err := e.compileCondition(expr)
	return err
}

func (e *Engine) conditions(ctx context.Context, in *policies.Input, act *activation, res *policies.Result) {
	conds := in.Asset.Conditions
	if len(conds) > MaxConditions {
		res.Deny = append(res.Deny, policies.Reason{
			Code: policies.CodePolicyError, Policy: "asset/" + in.Asset.ID + "/conditions",
			Message: fmt.Sprintf("asset has %d inline conditions, more than %d", len(conds), MaxConditions),
		})
		conds = conds[:MaxConditions]
	}
	for _, c := range conds {
		policy := "asset/" + in.Asset.ID + "/conditions/" + c.ID
		prg, err := e.program(c.Expr)
		if err != nil {
			res.Deny = append(res.Deny, policies.Reason{
				Code: policies.CodePolicyError, Policy: policy,
				Message: fmt.Sprintf("asset condition %s does not compile: %v", c.ID, err),
			})
			continue
		}
		v, _, err := prg.ContextEval(ctx, act)
		if err != nil {
			res.Deny = append(res.Deny, policies.Reason{
				Code: policies.CodePolicyError, Policy: policy,
				Message: fmt.Sprintf("asset condition %s failed to evaluate: %v", c.ID, err),
			})
			continue
		}
		holds, ok := v.(types.Bool)
		if !ok {
			res.Deny = append(res.Deny, policies.Reason{
				Code: policies.CodePolicyError, Policy: policy,
				Message: fmt.Sprintf("asset condition %s evaluated to %s, want bool", c.ID, v.Type()),
			})
			continue
		}
		if holds {
			continue
		}
		code := c.Code
		if _, declared := policies.LookupCode(code); !declared {
			code = policies.CodeAssetConditionFailed
		}
		msg := c.Message
		if msg == "" {
			msg = fmt.Sprintf("asset condition %s does not hold", c.ID)
		}
		r := policies.Reason{Code: code, Message: msg, Policy: policy, Reference: c.Expr}
		if c.Effect == "REVIEW" {
			res.Review = append(res.Review, r)
		} else {
			res.Deny = append(res.Deny, r)
		}
	}
}
