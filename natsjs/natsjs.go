// Package natsjs owns Ferry's durable engine: an embedded NATS server with
// JetStream (file storage in the data dir), or a connection to an external
// NATS cluster, and the helpers every service uses to declare streams,
// consumers and key-value buckets on it.
package natsjs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config says how to run or reach the engine.
type Config struct {
	// DataDir holds the JetStream file store (DataDir/jetstream).
	DataDir string
	// Listen, when set (host:port), opens a client port; by default the
	// embedded server listens on nothing and Ferry connects in-process.
	Listen string
	// ServerConfig is nats-server configuration text (cluster routes,
	// server name, ...) applied before Ferry's own settings; used for
	// embedded cluster nodes.
	ServerConfig string
	// URL connects to an external NATS cluster instead of embedding a server.
	URL string
	// SyncAlways fsyncs every write (strict durability, slower).
	SyncAlways bool
	// SyncInterval is the store's flush interval (default nats-server's 2 min
	// fsync; writes reach the OS page cache at once and survive kill -9).
	SyncInterval time.Duration
	// Replicas of every stream, bucket and object store; 0 (auto) is
	// ClusterReplicas on a cluster that can place them, else 1.
	Replicas int
	Logger   *slog.Logger

	// Auth is how clients authenticate and the client port is protected.
	Auth AuthConfig
}

// Engine is a running (or reachable) JetStream.
type Engine struct {
	cfg  Config
	srv  *server.Server
	nc   *nats.Conn
	js   jetstream.JetStream
	once sync.Once
	// credsPath is the credentials file of the embedded server's clients.
	credsPath string
	h         health
}

// MaxPayload is the engine's message size limit; AWS limits are enforced above it.
const MaxPayload = 4 << 20

// New returns an engine that is not started.
func New(cfg Config) *Engine {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{cfg: cfg}
}

// Start starts the embedded server (unless URL is set) and connects.
func (e *Engine) Start(ctx context.Context) error {
	if e.cfg.URL != "" {
		auth, err := e.cfg.Auth.clientOptions()
		if err != nil {
			return err
		}
		nc, err := nats.Connect(e.cfg.URL, append(auth, e.connOptions()...)...)
		if err != nil {
			return connectError(e.cfg.URL, err)
		}
		if err := e.attach(nc); err != nil {
			return err
		}
		if err := e.checkExternal(ctx); err != nil {
			e.Stop(context.Background())
			return err
		}
		if err := e.chooseReplicas(ctx); err != nil {
			e.Stop(context.Background())
			return err
		}
		return nil
	}
	opts := &server.Options{}
	if e.cfg.ServerConfig != "" {
		if err := opts.ProcessConfigString(e.cfg.ServerConfig); err != nil {
			return fmt.Errorf("embedded NATS config: %w", err)
		}
	}
	if e.cfg.DataDir == "" {
		return errors.New("natsjs: DataDir is required")
	}
	store := filepath.Join(e.cfg.DataDir, "jetstream")
	if err := os.MkdirAll(store, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	opts.JetStream = true
	opts.StoreDir = store
	opts.NoSigs = true
	opts.MaxPayload = MaxPayload
	opts.SyncAlways = e.cfg.SyncAlways
	if e.cfg.SyncInterval > 0 {
		opts.SyncInterval = e.cfg.SyncInterval
	}
	if e.cfg.Listen != "" {
		host, port, err := splitHostPort(e.cfg.Listen)
		if err != nil {
			return err
		}
		if port == 0 {
			port = server.RANDOM_PORT
		}
		opts.Host, opts.Port = host, port
	} else {
		opts.DontListen = true
	}
	creds, err := e.secure(opts)
	if err != nil {
		return err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("embedded NATS: %w", err)
	}
	srv.SetLoggerV2(serverLog{e.cfg.Logger}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return errors.New("embedded NATS did not become ready in 30s")
	}
	e.srv = srv
	nc, err := nats.Connect("", append(e.connOptions(), nats.InProcessServer(inProcess{srv, e.cfg.Logger}), nats.ReconnectWait(100*time.Millisecond), nats.UserInfo(creds.User, creds.Password))...)
	if err != nil {
		srv.Shutdown()
		return fmt.Errorf("connect to embedded NATS: %w", err)
	}
	if err := e.attach(nc); err != nil {
		srv.Shutdown()
		return err
	}
	// Wait until JetStream answers (stream recovery after restart).
	for {
		if _, err := e.js.AccountInfo(ctx); err == nil {
			e.startWatch(opts)
			return e.chooseReplicas(ctx)
		} else if ctx.Err() != nil {
			e.Stop(context.Background())
			return fmt.Errorf("JetStream not ready: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *Engine) attach(nc *nats.Conn) error {
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("jetstream: %w", err)
	}
	e.nc, e.js = nc, guardedJS{js, e}
	return nil
}

// Stop closes the connection and shuts the embedded server down. Idempotent.
func (e *Engine) Stop(ctx context.Context) error {
	e.once.Do(func() {
		e.stopWatch()
		if e.nc != nil {
			_ = e.nc.Drain()
			e.nc.Close()
		}
		if e.srv != nil {
			// Shutdown flushes the store; on a stuck disk it may not
			// return, so it is waited for only until ctx ends.
			done := make(chan struct{})
			go func() { e.srv.Shutdown(); e.srv.WaitForShutdown(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
			}
		}
	})
	return nil
}

// Conn is the NATS connection.
func (e *Engine) Conn() *nats.Conn { return e.nc }

// JetStream is the JetStream context.
func (e *Engine) JetStream() jetstream.JetStream { return e.js }

// Replicas is the replica count to use for streams (settled by Start).
func (e *Engine) Replicas() int { return max(e.cfg.Replicas, 1) }

// ClientURL is the URL of the embedded server's client port, "" when it listens on none.
func (e *Engine) ClientURL() string {
	if e.srv == nil || e.cfg.Listen == "" {
		return ""
	}
	return e.srv.ClientURL()
}
