package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/clearancehq/clearance/gateway/auth"
	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/policies"
)

// Route is an HTTP route a Service serves directly, ahead of grpc-gateway.
type Route struct {
	// Pattern is a net/http ServeMux pattern, e.g. "POST /v1/check".
	Pattern string
	// Handler serves the route. It receives the authenticated principal in
	// the request context, and a fallback handler (grpc-gateway) to which
	// it hands any request it does not take itself.
	Handler func(fallback http.Handler) http.Handler
}

// HTTPRouter is implemented by services with direct HTTP routes.
type HTTPRouter interface {
	Routes() []Route
}

// checkJSON is the fast path's view of a CheckRequest: snake_case fields
// only. Anything else (camelCase names, enum numbers, unknown fields,
// malformed JSON) is left to grpc-gateway, so both paths accept and reject
// exactly the same documents with the same errors.
type checkJSON struct {
	Action     string `json:"action"`
	AssetID    string `json:"asset_id"`
	FromWallet string `json:"from_wallet"`
	ToWallet   string `json:"to_wallet"`
	Amount     string `json:"amount"`
	Venue      string `json:"venue"`
	RequestID  string `json:"request_id"`
	At         string `json:"at"`
}

// Routes implements HTTPRouter: POST /v1/check is decoded and encoded by
// hand instead of through protojson and the in-process gRPC hop, which
// costs more than a CEL evaluation.
func (a *API) Routes() []Route {
	return []Route{{Pattern: "POST /v1/check", Handler: a.fastCheck}}
}

func (a *API) fastCheck(fallback http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeHTTPError(w, http.StatusRequestEntityTooLarge, "INVALID_ARGUMENT", "body: larger than the "+strconv.FormatInt(mbe.Limit, 10)+"-byte limit")
				return
			}
			writeHTTPError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "body: "+err.Error())
			return
		}
		replay := func() {
			r.Body = io.NopCloser(bytes.NewReader(body))
			fallback.ServeHTTP(w, r)
		}
		var in checkJSON
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || dec.More() {
			replay()
			return
		}
		act, ok := gatewayv1.Action_value[in.Action]
		if !ok || act == 0 {
			replay()
			return
		}
		p, ok := auth.FromContext(r.Context())
		if !ok {
			writeHTTPError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "missing or invalid bearer token or client certificate")
			return
		}
		cr, err := ToDomain(&gatewayv1.CheckRequest{Action: gatewayv1.Action(act), AssetId: in.AssetID, FromWallet: in.FromWallet, ToWallet: in.ToWallet,
			Amount: in.Amount, Venue: in.Venue, RequestId: in.RequestID, At: in.At}, p.Name)
		if err == nil {
			var v Verdict
			if v, err = a.dec.Check(r.Context(), cr); err == nil {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(appendVerdictJSON(make([]byte, 0, 512), v))
				return
			}
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			writeHTTPError(w, http.StatusBadRequest, "INVALID_ARGUMENT", fe.Error())
			return
		}
		writeHTTPError(w, http.StatusInternalServerError, "INTERNAL", "internal error")
	})
}

// appendVerdictJSON renders a verdict exactly as grpc-gateway does with
// proto field names and unpopulated fields emitted.
func appendVerdictJSON(b []byte, v Verdict) []byte {
	b = append(b, `{"decision":`...)
	b = appendJSONString(b, effectToProto(v.Decision).String())
	b = append(b, `,"reasons":[`...)
	for i, r := range v.Reasons {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendReasonJSON(b, r)
	}
	b = append(b, ']')
	b = appendKV(b, "decision_id", v.DecisionID)
	b = appendKV(b, "policy_revision", v.Revision)
	b = appendKV(b, "evaluated_at", v.EvaluatedAt.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"cached":`...)
	b = strconv.AppendBool(b, v.Cached)
	b = append(b, `,"retryable":`...)
	b = strconv.AppendBool(b, v.Retryable)
	b = appendKV(b, "list_version", v.ListVersion)
	b = appendKV(b, "as_of", v.AsOf.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"historical":`...)
	b = strconv.AppendBool(b, v.Historical)
	b = appendKV(b, "case_id", v.CaseID)
	b = appendKV(b, "request_id", v.RequestID)
	return append(b, '}')
}

func appendReasonJSON(b []byte, r policies.Reason) []byte {
	b = append(b, `{"code":`...)
	b = appendJSONString(b, r.Code)
	b = appendKV(b, "message", r.Message)
	b = appendKV(b, "policy", r.Policy)
	b = appendKV(b, "observed", r.Observed)
	b = appendKV(b, "limit", r.Limit)
	b = appendKV(b, "reference", r.Reference)
	b = appendKV(b, "effect", r.Effect)
	return append(b, '}')
}

func appendKV(b []byte, k, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
