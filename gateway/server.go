package gateway

import (
	"context"
	"crypto/tls"
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
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
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
	// TLS, when set, serves TLS (HTTP/2 and HTTP/1.1) on both listeners.
	// With ClientCAs and ClientAuth set, callers may authenticate with
	// client certificates (mTLS), mapped to principals by the
	// authenticator.
	TLS *tls.Config
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
	internal  *bufconn.Listener
	cancelMux context.CancelFunc
}

// Metadata keys the REST front end uses to hand the principal it
// authenticated to the gRPC service over the in-process connection. They are
// trusted only on that connection and stripped from external requests.
const (
	mdPrincipal = "x-clearance-principal"
	mdRoles     = "x-clearance-roles"
)

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
	pr, _ := peer.FromContext(ctx)
	if pr != nil && pr.Addr != nil && pr.Addr.Network() == "bufconn" {
		// The in-process hop from the REST front end, which authenticated
		// the HTTP caller already.
		if v := md.Get(mdPrincipal); len(v) == 1 && v[0] != "" {
			var roles []string
			if r := md.Get(mdRoles); len(r) == 1 && r[0] != "" {
				roles = strings.Split(r[0], ",")
			}
			return auth.WithPrincipal(ctx, auth.Principal{Name: v[0], Roles: roles}), nil
		}
		return ctx, status.Error(codes.Unauthenticated, "missing or invalid bearer token")
	}
	var header string
	if v := md.Get("authorization"); len(v) > 0 {
		header = v[0]
	}
	cn := ""
	if pr != nil {
		if ti, ok := pr.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 {
			cn = ti.State.VerifiedChains[0][0].Subject.CommonName
		}
	}
	p, err := s.principal(header, cn)
	if err != nil {
		return ctx, status.Error(codes.Unauthenticated, "missing or invalid bearer token or client certificate")
	}
	return auth.WithPrincipal(ctx, p), nil
}

// principal authenticates a bearer header, or else a verified client
// certificate's common name.
func (s *Server) principal(header, cn string) (auth.Principal, error) {
	if header != "" || cn == "" {
		return s.authn.Authenticate(header)
	}
	return s.authn.AuthenticateCert(cn)
}

// restAuth authenticates REST callers before grpc-gateway runs.
func (s *Server) restAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := ""
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			cn = r.TLS.VerifiedChains[0][0].Subject.CommonName
		}
		p, err := s.principal(r.Header.Get("Authorization"), cn)
		if err != nil {
			writeHTTPError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "missing or invalid bearer token or client certificate")
			return
		}
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
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

	// grpc-gateway calls the gRPC server over an in-process connection, so
	// interceptors run without a network hop.
	s.internal = bufconn.Listen(1 << 20)
	go func() { _ = s.grpc.Serve(s.internal) }()
	conn, err := grpc.NewClient("passthrough:///clearance-internal", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return s.internal.DialContext(ctx) }),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(int(s.cfg.MaxBodyBytes))))
	if err != nil {
		return fmt.Errorf("gateway: in-process client: %w", err)
	}
	s.conn = conn
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true, UseEnumNumbers: false},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
		runtime.WithErrorHandler(httpErrorHandler),
		// Only the principal the REST front end authenticated crosses the
		// hop; no caller header is forwarded as metadata.
		runtime.WithIncomingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithMetadata(func(ctx context.Context, r *http.Request) metadata.MD {
			p, ok := auth.FromContext(r.Context())
			if !ok {
				return nil
			}
			return metadata.Pairs(mdPrincipal, p.Name, mdRoles, strings.Join(p.Roles, ","))
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
	gw := s.restAuth(limitBody(mux, s.cfg.MaxBodyBytes))
	root.Handle("/", gw)
	// Direct routes (hand-coded hot endpoints) fall back to grpc-gateway for
	// anything they do not take, so both paths behave alike.
	for _, svc := range s.services {
		if hr, ok := svc.(HTTPRouter); ok {
			for _, rt := range hr.Routes() {
				root.Handle(rt.Pattern, s.restAuth(limitBody(rt.Handler(mux), s.cfg.MaxBodyBytes)))
			}
		}
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			s.grpc.ServeHTTP(w, r)
			return
		}
		root.ServeHTTP(w, r)
	})
	var protos http.Protocols
	protos.SetHTTP1(true)
	if s.cfg.TLS != nil {
		protos.SetHTTP2(true)
	} else {
		protos.SetUnencryptedHTTP2(true)
	}
	s.http = &http.Server{Handler: handler, Protocols: &protos, TLSConfig: s.cfg.TLS, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() {
		var err error
		if s.cfg.TLS != nil {
			err = s.http.ServeTLS(ln, "", "")
		} else {
			err = s.http.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	if s.cfg.GRPCListen != "" {
		gl, err := net.Listen("tcp", s.cfg.GRPCListen)
		if err != nil {
			return fmt.Errorf("gateway: listen grpc %s: %w", s.cfg.GRPCListen, err)
		}
		s.grpcAddr.Store(gl.Addr().String())
		xopts := append(opts, grpc.NumStreamWorkers(uint32(2)))
		if s.cfg.TLS != nil {
			xopts = append(xopts, grpc.Creds(credentials.NewTLS(s.cfg.TLS)))
		}
		s.extra = grpc.NewServer(xopts...)
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
	if s.internal != nil {
		_ = s.internal.Close()
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
