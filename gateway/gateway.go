// Package gateway owns Ferry's HTTP gateway: the API Gateway front door that
// turns HTTP requests into function invocations and service-proxy messages.
//
// A route is either a function route, which invokes a function with an API
// Gateway REST proxy event (Kind "http", payload format 1.0) or an HTTP API
// event (Kind "httpApi", payload format 2.0 unless PayloadVersion is "1.0"),
// or a service proxy (the serverless-apigateway-service-proxy plugin), which
// renders a request mapping template to an SNS Publish or SQS SendMessage
// call and writes straight to a topic or queue.
//
// Routes are validated and compiled by SetRoutes and swapped atomically, so a
// running gateway can be reconfigured without dropping requests. Matching
// follows API Gateway: literal path parts beat {param} parts, which beat a
// greedy {proxy+}; an exact method beats ANY; the HTTP API $default route
// catches what nothing else matches.
//
// Where Ferry differs from AWS: routes are served at the root (no /{stage}
// prefix in the URL; the stage only appears in the event); the gateway adds
// Access-Control-Allow-Origin to responses of a CORS-enabled route when the
// response does not set it; a request carrying X-Amz-Invocation-Type: Event on
// a function route invokes the function asynchronously (202, empty body), so
// its destinations apply.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/ferry-run/ferry"
)

// DefaultAddr is where the gateway listens unless told otherwise.
const DefaultAddr = "127.0.0.1:3000"

// Options configure a Gateway.
type Options struct {
	Addr    string // listen address; default DefaultAddr
	Stage   string // stage name shown in events; default "dev"
	Realm   ferry.Realm
	Invoker ferry.Invoker      // function routes (synchronous)
	Async   ferry.AsyncInvoker // function routes called with X-Amz-Invocation-Type: Event
	Topics  ferry.TopicPublisher
	Queues  ferry.QueueSender
	Logger  *slog.Logger
	// MaxBody caps a request body; default 10 MiB (API Gateway's limit).
	MaxBody int64
	// Limits bound the listener: timeouts and open connections.
	Limits ferry.ServerLimits
	// Listener, when set, is an already bound listener Start serves on
	// instead of listening on Addr (so a taken port is found before
	// anything starts); Stop closes it.
	Listener net.Listener
}

// Gateway is the HTTP gateway.
type Gateway struct {
	opts  Options
	log   *slog.Logger
	table atomic.Pointer[table]

	mu   sync.Mutex
	srv  *http.Server
	ln   net.Listener
	gate ferry.Gate // the Serve goroutine

	// served counts the requests each route took, by Route.String().
	served sync.Map // string -> *atomic.Int64
	// issuers caches JWT authorizer keys by issuer URL.
	issuers sync.Map // string -> *issuerKeys
}

// Served reports how many requests route r has taken.
func (g *Gateway) Served(r Route) int64 {
	if n, ok := g.served.Load(r.String()); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

func (g *Gateway) countServed(r Route) {
	n, ok := g.served.Load(r.String())
	if !ok {
		n, _ = g.served.LoadOrStore(r.String(), new(atomic.Int64))
	}
	n.(*atomic.Int64).Add(1)
}

// New returns a gateway with no routes; every request is answered as an
// unknown route until SetRoutes is called.
func New(opts Options) *Gateway {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Stage == "" {
		opts.Stage = "dev"
	}
	if opts.Realm == (ferry.Realm{}) {
		opts.Realm = ferry.DefaultRealm
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 10 << 20
	}
	g := &Gateway{opts: opts, log: opts.Logger}
	g.table.Store(&table{})
	return g
}

// SetRoutes validates routes and, when all are valid, replaces the routing
// table at once (requests in flight finish on the old table). The error names
// every invalid route and every conflicting pair. Errors carry ferry.EINVALID.
func (g *Gateway) SetRoutes(routes []Route) error {
	t, err := g.compile(routes)
	if err != nil {
		return err
	}
	g.table.Store(t)
	return nil
}

// Handler returns the gateway's HTTP handler (usable without Start).
func (g *Gateway) Handler() http.Handler { return http.HandlerFunc(g.serve) }

// Start listens on Options.Addr and serves until Stop. Idempotent; a
// stopped gateway does not start again.
func (g *Gateway) Start(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if first, err := g.gate.Begin("gateway"); !first {
		return err
	}
	ln := g.opts.Listener
	if ln == nil {
		var lc net.ListenConfig
		var err error
		if ln, err = lc.Listen(ctx, "tcp", g.opts.Addr); err != nil {
			return ferry.Wrap(ferry.EUNAVAILABLE, err, "gateway: listen on %s", g.opts.Addr)
		}
	}
	ln = g.opts.Limits.Listener(ln)
	srv := g.opts.Limits.Server(g.Handler())
	srv.ErrorLog = slog.NewLogLogger(g.log.Handler(), slog.LevelWarn)
	g.srv, g.ln = srv, ln
	g.gate.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("gateway server", "err", err)
		}
	})
	g.log.Info("gateway listening", "addr", ln.Addr().String())
	return nil
}

// Stop stops accepting requests and waits for those in flight until ctx
// ends, then closes their connections. Idempotent.
func (g *Gateway) Stop(ctx context.Context) error {
	g.mu.Lock()
	srv := g.srv
	g.mu.Unlock()
	if !g.gate.Close() || srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		srv.Close()
	}
	_ = g.gate.Wait(context.Background(), "gateway") // Serve returns once the server is closed
	return err
}

// URL is the gateway's base URL once started ("" before).
func (g *Gateway) URL() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln == nil {
		return ""
	}
	return "http://" + g.ln.Addr().String()
}
