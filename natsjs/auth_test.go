package natsjs_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/natsjs"
)

func startEngine(t *testing.T, cfg natsjs.Config) *natsjs.Engine {
	t.Helper()
	e := natsjs.New(cfg)
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	return e
}

func TestClientPortRequiresCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	e := startEngine(t, natsjs.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	kv, err := e.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: "secrets"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "signing-key", []byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	url := e.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("client URL %q", url)
	}

	if nc, err := nats.Connect(url, nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("anonymous client connected to the NATS port")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous connect: %v, want an authorization violation", err)
	}
	if nc, err := nats.Connect(url, nats.UserInfo("ferry", "guess"), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("client with a wrong password connected")
	}

	path := e.CredentialsPath()
	if path != filepath.Join(dir, natsjs.CredentialsFileName) {
		t.Fatalf("credentials in %q", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("credentials file mode %#o, want 0600", got)
	}
	creds, err := natsjs.ReadCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(creds.Password) < 40 {
		t.Fatalf("generated password %q is short", creds.Password)
	}
	nc, err := nats.Connect(url, nats.UserInfo(creds.User, creds.Password))
	if err != nil {
		t.Fatalf("connect with the generated credentials: %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	other, err := js.KeyValue(ctx, "secrets")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := other.Get(ctx, "signing-key"); err != nil || string(got.Value()) != "s3cret" {
		t.Fatalf("credentialed client read %v, %v", got, err)
	}

	// An external-URL engine with the credentials file is one of Ferry's own nodes.
	node := startEngine(t, natsjs.Config{URL: url, Auth: natsjs.AuthConfig{CredentialsFile: path}})
	if _, err := node.JetStream().KeyValue(ctx, "secrets"); err != nil {
		t.Fatalf("node with credentials: %v", err)
	}
	withUserinfo := strings.Replace(url, "nats://", "nats://"+creds.User+":"+creds.Password+"@", 1)
	startEngine(t, natsjs.Config{URL: withUserinfo})
	if err := natsjs.New(natsjs.Config{URL: url}).Start(ctx); !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("node without credentials: %v, want an authorization violation", err)
	}
}

func TestCredentialsSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := natsjs.New(natsjs.Config{DataDir: dir})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, err := natsjs.ReadCredentials(e.CredentialsPath())
	if err != nil {
		t.Fatal(err)
	}
	e.Stop(context.Background())
	e = startEngine(t, natsjs.Config{DataDir: dir})
	second, err := natsjs.ReadCredentials(e.CredentialsPath())
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Fatal("credentials changed across a restart")
	}

	// A credentials file other users can read is refused.
	if err := os.Chmod(e.CredentialsPath(), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Stop(context.Background())
	err = natsjs.New(natsjs.Config{DataDir: dir}).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("start with a 0644 credentials file: %v", err)
	}
}

func TestNonLoopbackListenNeedsTLS(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		err := natsjs.New(natsjs.Config{DataDir: t.TempDir(), Listen: listen}).Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("listen %s without TLS: %v", listen, err)
		}
	}
	for hp, want := range map[string]bool{
		"127.0.0.1:4222": true, "127.0.0.2:1": true, "[::1]:4222": true, "localhost:4222": true,
		"0.0.0.0:4222": false, ":4222": false, "10.0.0.1:4222": false, "example.com:4222": false,
	} {
		if got := natsjs.IsLoopback(hp); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", hp, got, want)
		}
	}
}

func TestTLSClientPort(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	e := startEngine(t, natsjs.Config{DataDir: dir, Listen: "127.0.0.1:0",
		Auth: natsjs.AuthConfig{TLSCert: cert, TLSKey: key}})
	if _, err := e.EnsureStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		t.Fatalf("in-process connection on a TLS server: %v", err)
	}
	url := e.ClientURL()
	if !strings.HasPrefix(url, "tls://") {
		t.Fatalf("client URL %q, want tls://", url)
	}
	node := startEngine(t, natsjs.Config{URL: url,
		Auth: natsjs.AuthConfig{CredentialsFile: e.CredentialsPath(), TLSCA: cert}})
	if _, err := node.JetStream().Stream(ctx, "T"); err != nil {
		t.Fatalf("TLS node: %v", err)
	}
	plain := "nats://" + strings.TrimPrefix(url, "tls://")
	creds, _ := natsjs.ReadCredentials(e.CredentialsPath())
	if nc, err := nats.Connect(plain, nats.UserInfo(creds.User, creds.Password), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("plaintext client connected to the TLS port")
	}
}

func TestServerConfigAuthorizationIsKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	creds := filepath.Join(dir, "node.creds")
	if err := os.WriteFile(creds, []byte("node:pw-from-config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, natsjs.Config{DataDir: dir, Listen: "127.0.0.1:0",
		ServerConfig: "server_name: n1\nauthorization { users = [ {user: node, password: pw-from-config} ] }\n",
		Auth:         natsjs.AuthConfig{CredentialsFile: creds}})
	if nc, err := nats.Connect(e.ClientURL(), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("anonymous client connected")
	}
	nc, err := nats.Connect(e.ClientURL(), nats.UserInfo("node", "pw-from-config"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	// Without a credentials file Ferry could not connect to its own server.
	err = natsjs.New(natsjs.Config{DataDir: t.TempDir(),
		ServerConfig: "authorization { users = [ {user: node, password: pw-from-config} ] }\n"}).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "its own client authorization") {
		t.Fatalf("own authorization without a credentials file: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ferry test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
