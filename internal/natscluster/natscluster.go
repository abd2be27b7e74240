// Package natscluster gives tests a NATS JetStream cluster on loopback:
// nats-server nodes embedded in the test process, joined by routes, each
// with its own store, client port and the same user and password. Nodes are
// built from configuration text, as a deployed cluster would be, and can be
// shut down hard and started again on the same store and ports.
package natscluster

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a running test cluster.
type Cluster struct {
	Name     string
	User     string
	Password string

	t     testing.TB
	mu    sync.Mutex
	nodes []*node
}

type node struct {
	name, store    string
	client, route  int
	srv            *server.Server
	routes         []string
	user, password string
	cluster        string
}

// Start starts n nodes and waits until JetStream has a meta leader. Every
// node is shut down when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{Name: "ferrytest", User: "ferry", Password: "cluster-secret-" + fmt.Sprint(time.Now().UnixNano()), t: t}
	dir := t.TempDir()
	for i := range n {
		c.nodes = append(c.nodes, &node{
			name: fmt.Sprintf("n%d", i+1), store: filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			client: freePort(t), route: freePort(t), user: c.User, password: c.Password, cluster: c.Name,
		})
	}
	for _, nd := range c.nodes {
		for _, o := range c.nodes {
			if o != nd {
				nd.routes = append(nd.routes, fmt.Sprintf("nats-route://127.0.0.1:%d", o.route))
			}
		}
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.Stop(i)
		}
	})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range c.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.startNode(i) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c.WaitJetStream()
	return c
}

// URL is the client URL of node i.
func (c *Cluster) URL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.nodes[i].client) }

// URLs are every node's client URL, comma separated (a NATS seed list).
func (c *Cluster) URLs() string {
	var u []string
	for i := range c.nodes {
		u = append(u, c.URL(i))
	}
	return strings.Join(u, ",")
}

// CredentialsFile writes user:password to a 0600 file and returns its path.
func (c *Cluster) CredentialsFile() string {
	p := filepath.Join(c.t.TempDir(), "nats-credentials")
	if err := os.WriteFile(p, []byte(c.User+":"+c.Password+"\n"), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

func (nd *node) config() string {
	return fmt.Sprintf(`
server_name: %s
listen: 127.0.0.1:%d
authorization { user: %q, password: %q }
jetstream { store_dir: %q }
max_payload: 4MB
cluster {
  name: %s
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, nd.name, nd.client, nd.user, nd.password, nd.store, nd.cluster, nd.route, strings.Join(nd.routes, ", "))
}

func (c *Cluster) startNode(i int) error {
	nd := c.nodes[i]
	opts := &server.Options{}
	if err := opts.ProcessConfigString(nd.config()); err != nil {
		return fmt.Errorf("node %s config: %w", nd.name, err)
	}
	opts.NoSigs = true
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("node %s: %w", nd.name, err)
	}
	srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("node %s not ready", nd.name)
	}
	c.mu.Lock()
	nd.srv = srv
	c.mu.Unlock()
	return nil
}

// Stop shuts node i down at once (its store is kept). Stopping a stopped
// node does nothing.
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	srv := c.nodes[i].srv
	c.nodes[i].srv = nil
	c.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts a stopped node i again on its store and ports.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if err := c.startNode(i); err != nil {
		c.t.Fatal(err)
	}
}

// WaitJetStream waits until every running node sees a JetStream meta leader.
func (c *Cluster) WaitJetStream() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		c.mu.Lock()
		for _, nd := range c.nodes {
			if nd.srv != nil && (!nd.srv.JetStreamEnabled() || nd.srv.JetStreamIsClustered() && !nd.srv.JetStreamIsCurrent()) {
				ok = false
			}
		}
		c.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatal("JetStream cluster has no meta leader after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
