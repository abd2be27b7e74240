package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/topic"
)

// natsConnect connects to a server's NATS port with the credentials it
// generated in its data dir.
func natsConnect(t *testing.T, url, dataDir string) *nats.Conn {
	t.Helper()
	c, err := natsjs.ReadCredentials(filepath.Join(dataDir, natsjs.CredentialsFileName))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, nats.UserInfo(c.User, c.Password))
	if err != nil {
		t.Fatalf("connect to %s with the data dir's credentials: %v", url, err)
	}
	return nc
}

func TestNATSPortRequiresCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := setupWith(t, Config{NATSListen: "127.0.0.1:0"})
	url := m.Engine.ClientURL()

	// Anonymous: refused before it can list a stream or read the topics'
	// signing key.
	if nc, err := nats.Connect(url, nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("anonymous client connected to the NATS port")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("anonymous connect: %v, want an authorization violation", err)
	}

	// With the data dir's credentials (what Ferry's own nodes use) the
	// signing key is there to read: the refusal above is what protects it.
	nc := natsConnect(t, url, m.Config.DataDir)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(ctx, topic.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(ctx, "signer.rsa"); err != nil {
		t.Fatalf("signing key: %v", err)
	}

	if b := natsBanner(m); !strings.Contains(b, url) || !strings.Contains(b, filepath.Join(m.Config.DataDir, natsjs.CredentialsFileName)) {
		t.Fatalf("banner %q does not say where the port and its credentials are", b)
	}
}

func TestSecondFerryJoinsWithCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first := setupWith(t, Config{NATSListen: "127.0.0.1:0"})
	url := first.Engine.ClientURL()
	creds := first.Engine.CredentialsPath()

	// Without credentials a second Ferry cannot use the engine.
	anon := NewMain(Config{DataDir: t.TempDir(), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", NATSURL: url})
	if err := anon.Run(ctx); err == nil {
		anon.Close(ctx)
		t.Fatal("a Ferry without NATS credentials started on the first one's engine")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("Ferry without credentials: %v, want an authorization violation", err)
	}

	// Through the command line's own flags, as `ferry server --nats-url
	// URL --nats-creds FILE` builds it.
	var f serverFlags
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	f.register(fs, "")
	if err := fs.Parse([]string{"--nats-url", url, "--nats-creds", creds}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.config()
	if err != nil {
		t.Fatal(err)
	}
	second := setupWith(t, Config{NATSURL: cfg.NATSURL, NATSAuth: cfg.NATSAuth})
	if _, err := first.Queues.CreateQueue(ctx, "shared", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		qs, err := second.Queues.ListQueues(ctx, "shared")
		if err == nil && len(qs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue made on the first Ferry is not on the second: %v, %v", qs, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNATSNonLoopbackNeedsTLSOrFlag(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"0.0.0.0:4222", ":4222"} {
		dir := t.TempDir()
		m := NewMain(Config{DataDir: dir, APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", NATSListen: listen})
		err := m.Run(context.Background())
		if err == nil {
			m.Close(context.Background())
			t.Fatalf("--nats-listen %s started without TLS or --nats-allow-plaintext", listen)
		}
		for _, want := range []string{"--nats-listen " + listen, "--nats-tls-cert", "--nats-allow-plaintext"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("refused start left %d entries in the data dir", len(entries))
		}
	}
	// The same through the command line.
	out, err := runCLI(t, "server", "--data", t.TempDir(), "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0", "--nats-listen", "0.0.0.0:4222")
	if err == nil || !strings.Contains(err.Error(), "--nats-allow-plaintext") {
		t.Fatalf("ferry server --nats-listen 0.0.0.0:4222: %v\n%s", err, out)
	}
}
