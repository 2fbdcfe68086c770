package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Roles.
const (
	RoleVenue      = "venue"
	RoleWallet     = "wallet"
	RoleCompliance = "compliance"
	RoleReviewer   = "reviewer"
	RoleAgent      = "agent"
	RoleAuditor    = "auditor"
	RoleAdmin      = "admin"
)

// AllRoles lists every role.
var AllRoles = []string{RoleVenue, RoleWallet, RoleCompliance, RoleReviewer, RoleAgent, RoleAuditor, RoleAdmin}

// ErrUnauthenticated means no valid credentials were presented.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// ErrPermissionDenied means the principal lacks the required role.
var ErrPermissionDenied = errors.New("auth: permission denied")

// Principal is an authenticated caller.
type Principal struct {
	Name  string
	Roles []string
}

// Has reports whether p has any of roles. Admin has every role.
func (p Principal) Has(roles ...string) bool {
	if slices.Contains(p.Roles, RoleAdmin) {
		return true
	}
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Require returns the principal if it holds any of roles. With no roles
// given, any authenticated principal passes.
func Require(ctx context.Context, roles ...string) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	if len(roles) == 0 || p.Has(roles...) {
		return p, nil
	}
	return p, fmt.Errorf("%w: %s needs role %s", ErrPermissionDenied, p.Name, strings.Join(roles, " or "))
}

// Token is one configured bearer token.
type Token struct {
	// Token is the secret; it is hashed at construction and never kept.
	Token string   `yaml:"token" json:"-"`
	Name  string   `yaml:"name"`
	Roles []string `yaml:"roles"`
}

// ClientCert maps a verified client certificate's subject common name to a
// principal (mTLS).
type ClientCert struct {
	CommonName string   `yaml:"common_name"`
	Name       string   `yaml:"name"`
	Roles      []string `yaml:"roles"`
}

type tokenEntry struct {
	hash [32]byte
	p    Principal
}

// Authenticator resolves bearer tokens to principals.
type Authenticator struct {
	tokens    []tokenEntry
	certs     map[string]Principal
	anonymous bool
}

// NewAuthenticator builds an authenticator. With no tokens and anonymous
// true, every caller is the all-roles "anonymous" principal: the gateway
// allows that only on a loopback listener.
func NewAuthenticator(tokens []Token, anonymous bool) (*Authenticator, error) {
	a := &Authenticator{anonymous: anonymous && len(tokens) == 0}
	for i, t := range tokens {
		if len(t.Token) < 16 {
			return nil, fmt.Errorf("auth: token %d (%s): must be at least 16 characters", i, t.Name)
		}
		if t.Name == "" {
			return nil, fmt.Errorf("auth: token %d: name is required", i)
		}
		for _, r := range t.Roles {
			if !slices.Contains(AllRoles, r) {
				return nil, fmt.Errorf("auth: token %s: unknown role %q", t.Name, r)
			}
		}
		a.tokens = append(a.tokens, tokenEntry{hash: sha256.Sum256([]byte(t.Token)), p: Principal{Name: t.Name, Roles: slices.Clone(t.Roles)}})
	}
	return a, nil
}

// WithClientCerts adds mTLS client certificate mappings. It must be called
// before the authenticator is used. Configuring any mapping turns the
// anonymous mode off.
func (a *Authenticator) WithClientCerts(certs []ClientCert) error {
	if len(certs) == 0 {
		return nil
	}
	a.certs = make(map[string]Principal, len(certs))
	for i, c := range certs {
		if c.CommonName == "" {
			return fmt.Errorf("auth: client cert %d: common_name is required", i)
		}
		name := c.Name
		if name == "" {
			name = c.CommonName
		}
		for _, r := range c.Roles {
			if !slices.Contains(AllRoles, r) {
				return fmt.Errorf("auth: client cert %s: unknown role %q", c.CommonName, r)
			}
		}
		if _, dup := a.certs[c.CommonName]; dup {
			return fmt.Errorf("auth: client cert %s: configured twice", c.CommonName)
		}
		a.certs[c.CommonName] = Principal{Name: name, Roles: slices.Clone(c.Roles)}
	}
	a.anonymous = false
	return nil
}

// AuthenticateCert resolves a client certificate that the TLS layer has
// already verified against the configured client CA.
func (a *Authenticator) AuthenticateCert(cn string) (Principal, error) {
	if p, ok := a.certs[cn]; ok && cn != "" {
		return p, nil
	}
	return Principal{}, ErrUnauthenticated
}

// Anonymous reports whether the authenticator runs without tokens.
func (a *Authenticator) Anonymous() bool { return a.anonymous }

// Authenticate resolves an Authorization header value ("Bearer <token>").
func (a *Authenticator) Authenticate(header string) (Principal, error) {
	if a.anonymous {
		return Principal{Name: "anonymous", Roles: []string{RoleAdmin}}, nil
	}
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || tok == "" {
		return Principal{}, ErrUnauthenticated
	}
	h := sha256.Sum256([]byte(tok))
	var found *Principal
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(h[:], a.tokens[i].hash[:]) == 1 {
			found = &a.tokens[i].p
		}
	}
	if found == nil {
		return Principal{}, ErrUnauthenticated
	}
	return *found, nil
}
