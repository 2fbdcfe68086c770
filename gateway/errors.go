package gateway

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clearancehq/clearance/gateway/auth"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// ToStatus is the one place that maps errors to gRPC status codes.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var fe *FieldError
	var ve *registry.ValidationError
	code, reason, msg := codes.Internal, "INTERNAL", "internal error"
	switch {
	case errors.As(err, &fe):
		code, reason, msg = codes.InvalidArgument, "INVALID_ARGUMENT", fe.Error()
	case errors.As(err, &ve):
		code, reason, msg = codes.InvalidArgument, "INVALID_ARGUMENT", ve.Field+": "+ve.Rule
	case errors.Is(err, registry.ErrInvalid):
		code, reason, msg = codes.InvalidArgument, "INVALID_ARGUMENT", err.Error()
	case errors.Is(err, auth.ErrUnauthenticated):
		code, reason, msg = codes.Unauthenticated, "UNAUTHENTICATED", "missing or invalid bearer token"
	case errors.Is(err, auth.ErrPermissionDenied):
		code, reason, msg = codes.PermissionDenied, "PERMISSION_DENIED", err.Error()
	case errors.Is(err, registry.ErrNotFound):
		code, reason, msg = codes.NotFound, "REGISTRY_NOT_FOUND", err.Error()
	case errors.Is(err, registry.ErrConflict):
		code, reason, msg = codes.Aborted, "CONFLICT", err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		code, reason, msg = codes.DeadlineExceeded, "DEADLINE_EXCEEDED", "deadline exceeded"
	case errors.Is(err, context.Canceled):
		code, reason, msg = codes.Canceled, "CANCELED", "canceled"
	case policies.IsCompileError(err):
		code, reason, msg = codes.FailedPrecondition, "POLICY_COMPILE_ERROR", err.Error()
	}
	st := status.New(code, msg)
	if d, e := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "clearance.gateway"}); e == nil {
		st = d
	}
	return st.Err()
}
