package natsjs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/internal/natscluster"
	"github.com/ferry-run/ferry/natsjs"
)

func TestSingleServerStoresHaveOneReplica(t *testing.T) {
	t.Parallel()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(context.Background())
	c := e.Cluster()
	if e.Replicas() != 1 || c.Name != "" || c.Replicas != 1 {
		t.Fatalf("single server: replicas %d, cluster %+v", e.Replicas(), c)
	}
	if !strings.Contains(c.String(), "single server") {
		t.Fatalf("banner %q", c)
	}
}

// TestClusterStoresHaveThreeReplicas connects to a 3-server JetStream
// cluster: the replica count is found to be 3, a new stream, bucket and
// object store get 3, a store created earlier with 1 is raised to 3, and
// an engine asked for 1 replica keeps a store's 3.
func TestClusterStoresHaveThreeReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl := natscluster.Start(t, 3)
	creds := cl.CredentialsFile()

	// A bucket made before Ferry knew of the cluster has one replica.
	nc, err := nats.Connect(cl.URL(0), nats.UserInfo(cl.User, cl.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "old", Replicas: 1}); err != nil {
		t.Fatal(err)
	}

	e := natsjs.New(natsjs.Config{URL: cl.URL(1), Auth: natsjs.AuthConfig{CredentialsFile: creds}})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	c := e.Cluster()
	if e.Replicas() != 3 || c.Name != cl.Name || len(c.Servers) == 0 {
		t.Fatalf("on a 3-server cluster: replicas %d, cluster %+v", e.Replicas(), c)
	}
	if s := c.String(); !strings.Contains(s, "cluster "+cl.Name) || !strings.Contains(s, "3 replicas") || !strings.Contains(s, cl.URL(1)) {
		t.Fatalf("banner %q does not name the cluster, its servers and the replicas", s)
	}

	replicas := func(stream string) int {
		t.Helper()
		st, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.Config.Replicas
	}
	if _, err := e.EnsureStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: "new"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.EnsureObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "code"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: "old"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"S", "KV_new", "OBJ_code", "KV_old"} {
		if n := replicas(s); n != 3 {
			t.Errorf("%s has %d replicas, want 3", s, n)
		}
	}

	// A node configured for fewer replicas does not shrink a store.
	one := natsjs.New(natsjs.Config{URL: cl.URL(2), Auth: natsjs.AuthConfig{CredentialsFile: creds}, Replicas: 1})
	if err := one.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer one.Stop(ctx)
	if one.Replicas() != 1 {
		t.Fatalf("--replicas 1: engine has %d", one.Replicas())
	}
	if _, err := one.EnsureStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	if n := replicas("S"); n != 3 {
		t.Errorf("S shrunk to %d replicas", n)
	}
}
