package natsjs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ferry-run/ferry/internal/natscluster"
	"github.com/ferry-run/ferry/natsjs"
)

// standalone starts a NATS server from configuration text and returns its
// client URL.
func standalone(t *testing.T, conf string) string {
	t.Helper()
	opts := &server.Options{}
	if err := opts.ProcessConfigString(conf); err != nil {
		t.Fatal(err)
	}
	opts.NoSigs = true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	return srv.ClientURL()
}

func credsFile(t *testing.T, userPass string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "creds")
	if err := os.WriteFile(p, []byte(userPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStartRefusesWhatItCannotUse starts engines against NATS servers Ferry
// cannot use; each refuses to start with a message that says which problem.
func TestStartRefusesWhatItCannotUse(t *testing.T) {
	t.Parallel()
	noJS := standalone(t, `listen: "127.0.0.1:-1"
authorization { user: "ferry", password: "secret-one" }`)
	accounts := standalone(t, fmt.Sprintf(`listen: "127.0.0.1:-1"
jetstream { store_dir: %q }
accounts {
  JS { jetstream: enabled, users: [ { user: "js", password: "secret-js" } ] }
  PLAIN { users: [ { user: "plain", password: "secret-plain" } ] }
}`, t.TempDir()))
	cl := natscluster.Start(t, 3)
	for _, tc := range []struct {
		name, url, creds string
		replicas         int
		want             string
	}{
		{"no JetStream", noJS, credsFile(t, "ferry:secret-one"), 0, "runs without JetStream"},
		{"account without JetStream", accounts, credsFile(t, "plain:secret-plain"), 0, "account of Ferry's credentials has no JetStream"},
		{"wrong password", cl.URL(0), credsFile(t, cl.User+":wrong"), 0, "refused Ferry's credentials"},
		{"more replicas than servers", cl.URL(0), cl.CredentialsFile(), 5, "cannot hold 5 replicas"},
		{"replicas on a single server", accounts, credsFile(t, "js:secret-js"), 3, "is a single server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			e := natsjs.New(natsjs.Config{URL: tc.url, Replicas: tc.replicas, Auth: natsjs.AuthConfig{CredentialsFile: tc.creds}})
			err := e.Start(ctx)
			if err == nil {
				e.Stop(ctx)
				t.Fatalf("started; want a refusal saying %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
	// The same cluster with a count it can hold starts.
	e := natsjs.New(natsjs.Config{URL: cl.URL(1), Replicas: 3, Auth: natsjs.AuthConfig{CredentialsFile: cl.CredentialsFile()}})
	if err := e.Start(context.Background()); err != nil {
		t.Fatalf("--replicas 3 on 3 servers: %v", err)
	}
	e.Stop(context.Background())
}
