package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clearancehq/clearance/gateway/auth"
)

// ServerConfig configures the listeners.
type ServerConfig struct {
	// Listen is the address for gRPC, REST, health, metrics and OpenAPI.
	Listen string
	// GRPCListen is an optional dedicated gRPC listener.
	GRPCListen string
	// MaxBodyBytes limits REST bodies and gRPC messages.
	MaxBodyBytes int64
}

// Readiness reports whether the server can decide (dependencies reachable).
type Readiness func(ctx context.Context) error

// Server serves every Service on one port: gRPC (HTTP/2, h2c), REST through
// grpc-gateway, /healthz, /readyz, /metrics and /openapi/.
type Server struct {
	cfg      ServerConfig
	log      *slog.Logger
	authn    *auth.Authenticator
	services []Service
	gatherer prometheus.Gatherer
	openapi  fs.FS
	ready    Readiness

	grpc      *grpc.Server
	http      *http.Server
	extra     *grpc.Server
	addr      atomic.Value
	grpcAddr  atomic.Value
	conn      *grpc.ClientConn
	cancelMux context.CancelFunc
}

// NewServer builds a server. openapi may be nil.
func NewServer(cfg ServerConfig, authn *auth.Authenticator, services []Service, gatherer prometheus.Gatherer, openapi fs.FS, ready Readiness, logger *slog.Logger) (*Server, error) {
	if authn == nil {
		return nil, errors.New("gateway: an authenticator is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 16 << 20
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: logger.With("component", "server"), authn: authn, services: services, gatherer: gatherer, openapi: openapi, ready: ready}, nil
}

// IsLoopback reports whether addr's host is a loopback address.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) authenticate(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var header string
	if v := md.Get("authorization"); len(v) > 0 {
		header = v[0]
	}
	p, err := s.authn.Authenticate(header)
	if err != nil {
		return ctx, status.Error(codes.Unauthenticated, "missing or invalid bearer token")
	}
	return auth.WithPrincipal(ctx, p), nil
}

func (s *Server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, err := s.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := h(ctx, req)
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.Internal {
			s.log.ErrorContext(ctx, "rpc failed", "method", info.FullMethod, "err", err)
		}
		return resp, ToStatus(err)
	}
	return resp, nil
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w wrappedStream) Context() context.Context { return w.ctx }

func (s *Server) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx, err := s.authenticate(ss.Context())
	if err != nil {
		return err
	}
	return h(srv, wrappedStream{ss, ctx})
}

// Start listens and serves in the background. It returns once listening.
func (s *Server) Start(ctx context.Context) error {
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.unary), grpc.ChainStreamInterceptor(s.stream),
		grpc.MaxRecvMsgSize(int(s.cfg.MaxBodyBytes)), grpc.MaxSendMsgSize(64 << 20),
	}
	s.grpc = grpc.NewServer(opts...)
	for _, svc := range s.services {
		svc.RegisterGRPC(s.grpc)
	}
	reflection.Register(s.grpc) // for grpcurl and other generic clients
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("gateway: listen %s: %w", s.cfg.Listen, err)
	}
	s.addr.Store(ln.Addr().String())

	// grpc-gateway calls the gRPC server over loopback so interceptors run.
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(int(s.cfg.MaxBodyBytes))))
	if err != nil {
		return fmt.Errorf("gateway: loopback client: %w", err)
	}
	s.conn = conn
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true, UseEnumNumbers: false},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
		runtime.WithErrorHandler(httpErrorHandler),
		runtime.WithIncomingHeaderMatcher(func(k string) (string, bool) {
			if strings.EqualFold(k, "Authorization") {
				return "authorization", true
			}
			return runtime.DefaultHeaderMatcher(k)
		}),
	)
	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancelMux = cancel
	for _, svc := range s.services {
		if err := svc.RegisterHTTP(mctx, mux, conn); err != nil {
			return fmt.Errorf("gateway: register REST handlers: %w", err)
		}
	}
	root := http.NewServeMux()
	root.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok\n")
	})
	root.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.ready != nil {
			if err := s.ready(r.Context()); err != nil {
				http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	if s.gatherer != nil {
		root.Handle("/metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}))
	}
	if s.openapi != nil {
		root.Handle("/openapi/", http.StripPrefix("/openapi/", http.FileServerFS(s.openapi)))
	}
	root.Handle("/", limitBody(mux, s.cfg.MaxBodyBytes))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			s.grpc.ServeHTTP(w, r)
			return
		}
		root.ServeHTTP(w, r)
	})
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	s.http = &http.Server{Handler: handler, Protocols: &protos, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	if s.cfg.GRPCListen != "" {
		gl, err := net.Listen("tcp", s.cfg.GRPCListen)
		if err != nil {
			return fmt.Errorf("gateway: listen grpc %s: %w", s.cfg.GRPCListen, err)
		}
		s.grpcAddr.Store(gl.Addr().String())
		s.extra = grpc.NewServer(append(opts, grpc.NumStreamWorkers(uint32(2)))...)
		for _, svc := range s.services {
			svc.RegisterGRPC(s.extra)
		}
		go func() { _ = s.extra.Serve(gl) }()
	}
	return nil
}

// Addr is the bound address of the main listener.
func (s *Server) Addr() string { v, _ := s.addr.Load().(string); return v }

// GRPCAddr is the bound address of the dedicated gRPC listener, if any.
func (s *Server) GRPCAddr() string { v, _ := s.grpcAddr.Load().(string); return v }

// Shutdown stops the listeners gracefully.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.cancelMux != nil {
		s.cancelMux()
	}
	var err error
	if s.http != nil {
		err = s.http.Shutdown(ctx)
	}
	if s.extra != nil {
		s.extra.GracefulStop()
	}
	if s.grpc != nil {
		s.grpc.Stop()
	}
	if s.conn != nil {
		_ = s.conn.Close()
	}
	return err
}

func limitBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			writeHTTPError(w, http.StatusRequestEntityTooLarge, "INVALID_ARGUMENT", fmt.Sprintf("body: larger than the %d-byte limit", n))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

type httpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
}

func writeHTTPError(w http.ResponseWriter, httpStatus int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(httpError{Code: httpStatus, Message: msg, Reason: reason})
}

func httpErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeHTTPError(w, http.StatusRequestEntityTooLarge, "INVALID_ARGUMENT", fmt.Sprintf("body: larger than the %d-byte limit", mbe.Limit))
		return
	}
	st, ok := status.FromError(err)
	if !ok {
		st = status.New(codes.Internal, "internal error")
	}
	msg := st.Message()
	reason := strings.ToUpper(codeName(st.Code()))
	if st.Code() == codes.InvalidArgument && (strings.Contains(msg, "unexpected") || strings.Contains(msg, "syntax") || strings.Contains(msg, "invalid value") || strings.Contains(msg, "unknown field") || strings.Contains(msg, "proto:")) {
		msg = "body: malformed JSON: " + msg
	}
	if strings.Contains(msg, "http: request body too large") {
		writeHTTPError(w, http.StatusRequestEntityTooLarge, "INVALID_ARGUMENT", "body: larger than the size limit")
		return
	}
	writeHTTPError(w, runtime.HTTPStatusFromCode(st.Code()), reason, msg)
}
