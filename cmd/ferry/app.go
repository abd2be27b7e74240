package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	eventsapi "github.com/ferry-run/ferry/awsapi/events"
	lambdaapi "github.com/ferry-run/ferry/awsapi/lambda"
	snsapi "github.com/ferry-run/ferry/awsapi/sns"
	sqsapi "github.com/ferry-run/ferry/awsapi/sqs"
	"github.com/ferry-run/ferry/bus"
	"github.com/ferry-run/ferry/catalog"
	"github.com/ferry-run/ferry/control"
	"github.com/ferry-run/ferry/destination"
	"github.com/ferry-run/ferry/gateway"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/logtail"
	"github.com/ferry-run/ferry/metrics"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/nodeboot"
	"github.com/ferry-run/ferry/otlp"
	"github.com/ferry-run/ferry/pyboot"
	"github.com/ferry-run/ferry/queue"
	"github.com/ferry-run/ferry/resmeta"
	"github.com/ferry-run/ferry/sandbox"
	"github.com/ferry-run/ferry/schedule"
	"github.com/ferry-run/ferry/topic"
	"github.com/ferry-run/ferry/trigger"
	"github.com/ferry-run/ferry/web"
)

// Config is everything a Ferry server needs to start.
type Config struct {
	DataDir string
	// APIAddr serves the AWS APIs (Lambda, SQS, SNS, EventBridge), the
	// dashboard (/_ferry/), /metrics, /healthz and /readyz.
	APIAddr string
	// GatewayAddr serves the HTTP gateway's routes.
	GatewayAddr string
	// Auth makes the API port require SigV4-signed requests (always on when
	// APIAddr is not a loopback address); AccessKeys maps access key ids to
	// secrets.
	Auth       bool
	AccessKeys map[string]string
	// AllowOrigins are web origins (http://localhost:5173) whose pages may
	// call the API port; pages of any other site are refused.
	AllowOrigins []string
	// ClockScale multiplies AWS's async durations (retry delays, backoff,
	// max event age, destination retries); 1 is AWS's clock.
	ClockScale float64
	Realm      ferry.Realm
	NodeBinary string
	// PythonBinary runs python3.* functions (default $FERRY_PYTHON, else python3).
	PythonBinary string
	// IdleTimeout reaps function instances idle this long.
	IdleTimeout time.Duration
	// OTLPEndpoint, when set, receives every finished invocation as an
	// OpenTelemetry span (OTLP/HTTP JSON, e.g. http://127.0.0.1:4318).
	OTLPEndpoint string
	// HistoryRetention is how long invocation histories are kept
	// (default 24 h).
	HistoryRetention time.Duration
	// HistoryMax bounds the invocation history's size (default: a tenth
	// of the store's free space, between 16 MiB and 1 GiB).
	HistoryMax int64
	// ShutdownTimeout bounds Close in the server commands (default 10 s).
	ShutdownTimeout time.Duration
	// AsyncAckWait is how long an async event held by a stopped worker
	// waits before it runs again (default 30 s).
	AsyncAckWait time.Duration
	// SyncAlways fsyncs every JetStream write (slower; survives power loss).
	SyncAlways bool
	// Concurrency is the account's async concurrency: how many async
	// invocations run at once across every function (default 1000, AWS's;
	// one function runs at most what the machine can, see async.Options).
	Concurrency int
	// Pprof serves Go's profiles at /debug/pprof/ on the API port, to
	// callers with the dashboard token (pprof.go).
	Pprof bool
	// NATSListen opens the embedded NATS server's client port (off by
	// default); NATSURL uses an external NATS cluster instead.
	NATSListen string
	NATSURL    string
	// Limits bound the API and gateway listeners: timeouts and how many
	// connections are open at once (defaults in ferry.ServerLimits).
	Limits ferry.ServerLimits
	// NATSConfig is nats-server configuration text for the embedded
	// engine (e.g. a store limit).
	NATSConfig string
	// Replicas of every store Ferry creates (0: auto, see natsjs.Config).
	Replicas int
	// NodeName names this server in a cluster; default see nodeName.
	NodeName string
	Logger   *slog.Logger
	// OnLog receives every function log line as it is written.
	OnLog func(function, requestID string, line []byte)

	// NATSAuth is the NATS port's credentials and TLS (see natsjs.AuthConfig).
	NATSAuth natsjs.AuthConfig
	// JWKSFiles maps a JWT authorizer's name or issuer URL to a JWKS file
	// that holds its keys (instead of the issuer's discovery document).
	JWKSFiles map[string]string
}

// lifecycle is a long-lived part of the server.
type lifecycle struct {
	name  string
	start func(context.Context) error
	stop  func(context.Context) error
}

// Main is one running Ferry server: the embedded engine and every service,
// wired together. It is the only place that knows all the parts.
type Main struct {
	Config Config

	Engine    *natsjs.Engine
	Functions *catalog.Store
	History   *history.Store
	Queues    *queue.Service
	Topics    *topic.Service
	Buses     *bus.Service
	Pool      *sandbox.Pool
	Async     *async.Engine
	Triggers  *trigger.Service
	Schedules *schedule.Service
	Meta      *resmeta.Store
	Lambda    *lambdaapi.API
	Events    *eventsapi.API
	SQS       *sqsapi.API
	SNS       *snsapi.API
	Gateway   *gateway.Gateway
	Dashboard *web.Dashboard
	Control   *control.API
	OTLP      *otlp.Exporter
	Metrics   *metrics.Registry
	Logs      *logtail.Book

	mu         sync.Mutex
	routeTable []gateway.Route
	totals     *totals
	shared     *sharedRoutes
	api        *http.Server
	apiLn      net.Listener
	started    []lifecycle
	// lock and gatewayLn are taken by claim before anything starts.
	lock      *dataLock
	gatewayLn net.Listener
	fnKeys    *functionKeys // each function's own API key (with auth on)
}

// NewMain returns an unstarted server for cfg.
func NewMain(cfg Config) *Main {
	if cfg.ClockScale <= 0 {
		cfg.ClockScale = 1
	}
	if cfg.Realm == (ferry.Realm{}) {
		cfg.Realm = ferry.DefaultRealm
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.APIAddr == "" {
		cfg.APIAddr = ferry.DefaultAPIAddr
	}
	if cfg.GatewayAddr == "" {
		cfg.GatewayAddr = gateway.DefaultAddr
	}
	return &Main{Config: cfg}
}

// Run starts every part in dependency order; on failure it stops what it
// started and returns the error.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	if cfg.DataDir == "" {
		return errors.New("ferry: a data directory is required")
	}
	if err := cfg.checkAuthConfig(); err != nil {
		return err
	}
	if err := cfg.Limits.Validate(); err != nil {
		return err
	}
	if err := cfg.checkNATSConfig(); err != nil {
		return err
	}
	if err := m.claim(); err != nil {
		return err
	}
	running := false
	defer func() {
		if !running {
			m.unclaim()
		}
	}()
	secret, err := receiptSecret(cfg.DataDir)
	if err != nil {
		return err
	}
	if cfg.NodeName, err = nodeName(cfg.DataDir, cfg.NodeName); err != nil {
		return err
	}
	m.Config.NodeName = cfg.NodeName
	bootstrap, err := nodeboot.Install(filepath.Join(cfg.DataDir, "runtime"))
	if err != nil {
		return err
	}
	pyBootstrap, err := pyboot.Install(filepath.Join(cfg.DataDir, "runtime"))
	if err != nil {
		return err
	}
	pyBinary := pythonBinary(cfg.PythonBinary, cfg.Logger)
	log := cfg.Logger
	scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) * cfg.ClockScale) }

	m.Engine = natsjs.New(natsjs.Config{
		DataDir: cfg.DataDir, SyncAlways: cfg.SyncAlways, Listen: cfg.NATSListen, URL: cfg.NATSURL, Auth: cfg.NATSAuth, Logger: log,
		ServerConfig: cfg.NATSConfig, Replicas: cfg.Replicas,
	})
	m.Functions = catalog.New(m.Engine, log)
	m.History = history.New(m.Engine, history.Options{Retention: cfg.HistoryRetention, MaxBytes: cfg.HistoryMax})
	m.Queues = queue.New(m.Engine, queue.Options{Realm: cfg.Realm, Logger: log, Secret: secret, Fault: faultHook()})
	m.Logs = logtail.New(1000)
	onLog := m.Logs.Add
	if cfg.OnLog != nil {
		onLog = func(function, requestID string, line []byte) {
			m.Logs.Add(function, requestID, line)
			cfg.OnLog(function, requestID, line)
		}
	}
	m.Pool = sandbox.New(sandbox.Options{
		Realm: cfg.Realm, NodeBootstrap: bootstrap, NodeBinary: cfg.NodeBinary,
		PythonBootstrap: pyBootstrap, PythonBinary: pyBinary,
		IdleTimeout: cfg.IdleTimeout, Logger: log, OnLog: onLog,
		APIEndpoint: m.functionAPIURL(), Credentials: m.functionCredentials(secret), NodeSDK: installedNodeSDK(),
	})
	m.Metrics = metrics.New(m.metricsSource())
	var invocations ferry.InvocationStore = m.History
	if cfg.OTLPEndpoint != "" {
		m.OTLP = otlp.New(otlp.Options{Endpoint: cfg.OTLPEndpoint, Logger: log})
		invocations = otlp.Store{InvocationStore: m.History, Exporter: m.OTLP}
	}
	m.Async = async.New(m.Engine, async.Options{
		Functions: m.Functions, History: invocations, Runner: localCodeRunner{m},
		ClockScale: cfg.ClockScale, AckWait: cfg.AsyncAckWait, Observer: m.Metrics, Logger: log, Fault: faultHook(),
		Concurrency: cfg.Concurrency,
	})
	m.Topics = topic.New(m.Engine, topic.Options{
		Realm: cfg.Realm, Logger: log, RetryBase: scaled(time.Second), PublicURL: "http://" + cfg.APIAddr,
		Targets: topic.Targets{Functions: m.Async, Queues: m.Queues},
	})
	m.Buses = bus.New(m.Engine, bus.Options{
		Realm: cfg.Realm, Logger: log, RetryBase: scaled(time.Second),
		Targets: bus.Targets{Functions: m.Async, Queues: m.Queues, Topics: m.Topics},
	})
	m.Async.SetRouter(destination.New(cfg.Realm, destination.Targets{
		Queues: m.Queues, Topics: m.Topics, Buses: m.Buses, Functions: m.Async,
	}))
	m.Functions.OnChange(m.Async.FunctionChanged)
	m.Triggers = trigger.New(m.Engine, trigger.Options{
		Realm: cfg.Realm, Queues: m.Queues, Functions: m.Functions, Invoker: m.Async, Logger: log,
	})
	m.Schedules = schedule.New(m.Engine, schedule.Options{Realm: cfg.Realm, Async: m.Async, Events: m.Buses, Logger: log, Scale: cfg.ClockScale, Node: cfg.NodeName})
	m.Meta = resmeta.New(m.Engine, log)
	m.Lambda = lambdaapi.New(lambdaapi.Config{
		Meta:  m.Meta,
		Realm: cfg.Realm, Functions: m.Functions, Invoker: m.Async, Async: m.Async,
		CodeDir: filepath.Join(cfg.DataDir, "code"), Logger: log,
		Code:                lambdaapi.NewObjectCodeStore(m.Engine),
		Versions:            lambdaapi.NewKVVersionStore(m.Engine),
		EventSourceMappings: m.Triggers,
	})
	m.SNS = snsapi.New(snsapi.Config{Realm: cfg.Realm, Meta: m.Meta, Topics: m.Topics, Logger: log})
	m.Gateway = gateway.New(gateway.Options{
		Addr: cfg.GatewayAddr, Listener: m.gatewayLn, Realm: cfg.Realm, Invoker: m.Async, Async: m.Async,
		Topics: m.Topics, Queues: m.Queues, Logger: log, Limits: cfg.Limits,
	})
	m.Dashboard = web.New(dashboardSource{m}, log)
	m.Control = m.newControl()
	m.SQS = sqsapi.New(sqsapi.Config{Realm: cfg.Realm, Meta: m.Meta, Queues: m.Queues, Logger: log})
	m.Events = eventsapi.New(eventsapi.Config{Realm: cfg.Realm, Meta: m.Meta, Schedules: ruleSchedules{m.Schedules}, Buses: m.Buses, Logger: log})

	m.shared = &sharedRoutes{m: m}
	m.totals = newTotals(m.Engine, cfg.NodeName, m.Async.Stats(), 0, log)
	parts := []lifecycle{
		{"engine", m.Engine.Start, m.Engine.Stop},
		{"metric totals", m.totals.Start, m.totals.Stop},
		{"functions", m.Functions.Start, m.Functions.Stop},
		{"function code", m.Lambda.Restore, func(context.Context) error { return nil }},
		{"history", m.History.Start, m.History.Stop},
		{"queues", m.Queues.Start, m.Queues.Stop},
		{"sandbox", m.Pool.Start, m.Pool.Stop},
		{"async", m.Async.Start, m.Async.Stop},
		{"topics", m.Topics.Start, m.Topics.Stop},
		{"buses", m.Buses.Start, m.Buses.Stop},
		{"async workers", m.Async.StartWorkers, func(context.Context) error { return nil }},
		{"triggers", m.Triggers.Start, m.Triggers.Stop},
		{"schedules", m.Schedules.Start, m.Schedules.Stop},
		{"gateway", m.Gateway.Start, m.Gateway.Stop},
		{"shared routes", m.shared.Start, m.shared.Stop},
		{"api", m.startAPI, m.stopAPI},
	}
	if m.OTLP != nil {
		parts = append([]lifecycle{{"otlp", m.OTLP.Start, m.OTLP.Stop}}, parts...)
	}
	for _, p := range parts {
		if err := p.start(ctx); err != nil {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			m.Close(stopCtx)
			return fmt.Errorf("ferry: start %s: %w", p.name, err)
		}
		m.started = append(m.started, p)
	}
	running = true
	return nil
}

// Close stops every started part in reverse order: front doors first, then
// the async workers (running invocations finish until shortly before ctx
// ends), the function instances, the services and finally the engine; the
// parts after the async engine keep the rest of ctx to kill instances and
// close the store cleanly.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	inFlightCtx, cancel := beforeEngine(ctx)
	defer cancel()
	stopCtx := inFlightCtx
	for i := len(m.started) - 1; i >= 0; i-- {
		p := m.started[i]
		if err := p.stop(stopCtx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", p.name, err))
		}
		if p.name == "async" {
			stopCtx = ctx
		}
	}
	m.started = nil
	m.unclaim()
	return errors.Join(errs...)
}

// setRoutes replaces the gateway's routes.
func (m *Main) setRoutes(routes []gateway.Route) error {
	if err := m.Gateway.SetRoutes(routes); err != nil {
		return err
	}
	m.mu.Lock()
	m.routeTable = routes
	m.mu.Unlock()
	if m.shared != nil {
		return m.shared.publish(routes)
	}
	return nil
}

// routes returns the gateway's current routes.
func (m *Main) routes() []gateway.Route {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.routeTable
}

// APIURL is the base URL of the AWS APIs once running.
func (m *Main) APIURL() string { return "http://" + m.apiLn.Addr().String() }

func (m *Main) startAPI(context.Context) error {
	ln := m.apiLn // bound by claim
	m.api = m.Config.Limits.Server(m.guardAPI())
	ln = m.Config.Limits.Listener(ln)
	go func() {
		if err := m.api.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Config.Logger.Error("api server", "err", err)
		}
	}()
	return nil
}

func (m *Main) stopAPI(ctx context.Context) error {
	return m.api.Shutdown(ctx)
}

// receiptSecret is the queue receipt-handle key, kept in the data dir so
// handles stay valid across restarts.
func receiptSecret(dir string) ([]byte, error) {
	p := filepath.Join(dir, "receipt.key")
	if b, err := os.ReadFile(p); err == nil && len(b) == 32 {
		return b, nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, os.WriteFile(p, b, 0o600)
}
