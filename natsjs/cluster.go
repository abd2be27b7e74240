package natsjs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ClusterReplicas is the replica count Ferry gives its stores on a cluster
// of at least that many JetStream servers.
const ClusterReplicas = 3

// Cluster describes the JetStream Ferry is connected to.
type Cluster struct {
	// Name is the NATS cluster's name; "" for a single server.
	Name string
	// Servers are the client URLs of the servers known to the connection
	// (the ones configured and the ones the cluster announced).
	Servers []string
	// Replicas is the replica count of every stream, bucket and object
	// store Ferry creates.
	Replicas int
}

// String is the start banner's line: the cluster, its servers, the replicas.
func (c Cluster) String() string {
	if c.Name == "" {
		return fmt.Sprintf("JetStream on a single server, stores with %d replica(s)", c.Replicas)
	}
	return fmt.Sprintf("JetStream cluster %s, servers %s, stores with %d replicas", c.Name, strings.Join(c.Servers, " "), c.Replicas)
}

// Cluster returns what the engine is connected to (after Start).
func (e *Engine) Cluster() Cluster {
	c := Cluster{Replicas: e.Replicas()}
	if e.nc != nil {
		c.Name = e.nc.ConnectedClusterName()
		c.Servers = e.nc.Servers()
	}
	return c
}

// chooseReplicas settles the replica count once connected: the configured
// one, or (0, auto) ClusterReplicas when JetStream can place a stream of
// that many replicas (a cluster of at least that many JetStream servers, all
// up) or when existing streams already have more than 1 (a server is down
// while this one starts), else 1. A normal user cannot list a cluster's JetStream peers, so the
// count is probed: a memory stream of ClusterReplicas replicas is created
// and deleted.
func (e *Engine) chooseReplicas(ctx context.Context) error {
	if e.cfg.Replicas > 0 {
		if e.cfg.URL != "" {
			return e.checkReplicas(ctx, e.cfg.Replicas)
		}
		return nil
	}
	e.cfg.Replicas = 1
	if e.nc.ConnectedClusterName() == "" {
		return nil
	}
	js, err := jetstream.New(e.nc) // unguarded: a refused probe is no store problem
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	name := "FERRY_REPLICAS_PROBE_" + nats.NewInbox()[len(nats.InboxPrefix):]
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{"$FERRY.probe." + name}, Storage: jetstream.MemoryStorage,
		Replicas: ClusterReplicas, MaxMsgs: 1,
	})
	if err != nil {
		// A server of the cluster may be down or rejoining: stores that
		// already have more replicas say what the cluster is meant for.
		if n := existingReplicas(ctx, js); n > 1 {
			e.cfg.Replicas = n
			e.cfg.Logger.Warn("JetStream cluster cannot place a stream of 3 replicas now (a server down?); new stores get as many as the existing ones",
				"cluster", e.nc.ConnectedClusterName(), "replicas", n, "err", err)
			return nil
		}
		e.cfg.Logger.Warn("JetStream cluster cannot place a stream of 3 replicas (fewer than 3 JetStream servers up); new stores get 1 replica",
			"cluster", e.nc.ConnectedClusterName(), "err", err)
		return nil
	}
	if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		e.cfg.Logger.Warn("delete the replicas probe stream", "stream", name, "err", err)
	}
	e.cfg.Replicas = ClusterReplicas
	return nil
}

// replicasFor returns the replica count to declare a store (its stream
// named stream) with: want (0 means the engine's), raised to the store's
// current count when that is higher, so a store is never shrunk by a node
// that probed fewer servers. current is the store's count, 0 when it does
// not exist yet.
func (e *Engine) replicasFor(ctx context.Context, stream string, want int) (n, current int) {
	if want == 0 {
		want = e.Replicas()
	}
	st, err := e.js.Stream(ctx, stream)
	if err != nil {
		return want, 0
	}
	current = st.CachedInfo().Config.Replicas
	return max(want, current), current
}

// declare runs create with the store's replica count; a store below it is
// raised, and if JetStream refuses to raise it the store is kept as it is
// and the shortfall logged.
func (e *Engine) declare(ctx context.Context, kind, name, stream string, want int, create func(replicas int) error) error {
	n, current := e.replicasFor(ctx, stream, want)
	err := create(n)
	if err == nil {
		if current > 0 && current < n {
			e.cfg.Logger.Info("store replicas raised", "kind", kind, "name", name, "from", current, "to", n)
		}
		return nil
	}
	if current > 0 && current < n {
		e.cfg.Logger.Warn("store has fewer replicas than wanted and could not be raised", "kind", kind, "name", name,
			"replicas", current, "want", n, "err", err)
		if err2 := create(current); err2 == nil {
			return nil
		}
	}
	return err
}

// existingReplicas is the highest replica count (at most ClusterReplicas)
// of the account's streams; 0 when there are none or they cannot be listed.
func existingReplicas(ctx context.Context, js jetstream.JetStream) int {
	n := 0
	l := js.ListStreams(ctx)
	for info := range l.Info() {
		n = max(n, min(info.Config.Replicas, ClusterReplicas))
	}
	if l.Err() != nil {
		return 0
	}
	return n
}
