package gateway_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/auth"
	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/registry"
)

type pki struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPool *x509.CertPool
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &pki{ca: ca, caKey: key, caPool: pool}
}

func (p *pki) issue(t *testing.T, cn string, server bool) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startTLS serves the decision API over TLS; client certificates are
// optional and map to principals by common name.
func startTLS(t *testing.T, p *pki, tokens []auth.Token) string {
	t.Helper()
	kyc := time.Now().Add(24 * time.Hour)
	reg := &memReader{
		inv:    map[string]registry.Investor{"inv-a": {ID: "inv-a", Status: "APPROVED", Jurisdiction: "CH", Active: true, KYCExpiresAt: &kyc, Version: 1}},
		wal:    map[string]registry.Wallet{alice: {Address: alice, InvestorID: "inv-a", Verified: true, Active: true, Version: 1}},
		assets: map[string]registry.Asset{"BOND": {ID: "BOND", Decimals: 2, Version: 1}},
	}
	promReg := prometheus.NewRegistry()
	dec, err := gateway.NewDecider(gateway.Deps{Registry: reg, Engine: ruleEngine{}}, promReg)
	if err != nil {
		t.Fatal(err)
	}
	authn, err := auth.NewAuthenticator(tokens, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := authn.WithClientCerts([]auth.ClientCert{{CommonName: "venue-a", Roles: []string{auth.RoleVenue}}}); err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{p.issue(t, "server", true)}, ClientCAs: p.caPool, ClientAuth: tls.VerifyClientCertIfGiven}
	srv, err := gateway.NewServer(gateway.ServerConfig{Listen: "127.0.0.1:0", TLS: cfg}, authn, []gateway.Service{gateway.NewAPI(dec, nil, nil, 2)}, promReg, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return srv.Addr()
}

func tlsClient(p *pki, cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: p.caPool, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	addr := startTLS(t, p, []auth.Token{{Name: "ops", Token: "ops-token-0123456789", Roles: []string{"admin"}}})
	body := fmt.Sprintf(`{"action":"TRANSFER","asset_id":"BOND","from_wallet":%q,"to_wallet":%q,"amount":"1"}`, alice, alice)
	post := func(c *http.Client, hdr map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, "https://"+addr+"/v1/check", strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	venue := p.issue(t, "venue-a", false)
	stranger := p.issue(t, "stranger", false)
	if st := post(tlsClient(p, &venue), nil); st != 200 {
		t.Errorf("mapped client certificate: %d", st)
	}
	if st := post(tlsClient(p, nil), nil); st != 401 {
		t.Errorf("no certificate, no token: %d", st)
	}
	if st := post(tlsClient(p, &stranger), nil); st != 401 {
		t.Errorf("unmapped certificate: %d", st)
	}
	if st := post(tlsClient(p, nil), map[string]string{"Authorization": "Bearer ops-token-0123456789"}); st != 200 {
		t.Errorf("token over TLS: %d", st)
	}
	// A caller cannot smuggle the internal principal header through REST.
	if st := post(tlsClient(p, nil), map[string]string{"Grpc-Metadata-X-Clearance-Principal": "admin", "Grpc-Metadata-X-Clearance-Roles": "admin"}); st != 401 {
		t.Errorf("spoofed principal header: %d", st)
	}

	// gRPC over TLS with the client certificate.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: p.caPool, Certificates: []tls.Certificate{venue}, MinVersion: tls.VersionTLS12})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := gatewayv1.NewGatewayServiceClient(conn)
	v, err := c.Check(t.Context(), &gatewayv1.CheckRequest{Action: gatewayv1.Action_TRANSFER, AssetId: "BOND", FromWallet: alice, ToWallet: alice, Amount: "1"})
	if err != nil || v.GetDecision() != gatewayv1.Decision_ALLOW {
		t.Fatalf("grpc with client cert: %v %v", v, err)
	}
	// External gRPC with the internal metadata and no credentials.
	anon, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: p.caPool, MinVersion: tls.VersionTLS12})))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-clearance-principal", "admin", "x-clearance-roles", "admin")
	_, err = gatewayv1.NewGatewayServiceClient(anon).Check(ctx, &gatewayv1.CheckRequest{Action: gatewayv1.Action_TRANSFER, AssetId: "BOND", FromWallet: alice, ToWallet: alice, Amount: "1"})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("spoofed principal metadata over gRPC: %v", err)
	}
	// Plaintext to a TLS listener fails.
	plain, _ := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer plain.Close()
	cctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := gatewayv1.NewGatewayServiceClient(plain).Check(cctx, &gatewayv1.CheckRequest{}); err == nil {
		t.Error("plaintext gRPC accepted by a TLS listener")
	}
}
