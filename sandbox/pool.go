// Package sandbox owns function instances: per-function pools of child
// processes speaking the Lambda Runtime API, their state machine (Starting,
// Initializing, Idle, Busy, Dead), concurrency limits and throttling, cold
// starts, timeouts, crash handling, hot reload on configuration change, idle
// reaping, and the START/END/REPORT log framing of each invocation.
package sandbox

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ferry-run/ferry"
)

// Defaults for Options.
const (
	DefaultIdleTimeout  = 5 * time.Minute
	DefaultMaxInstances = 32
	DefaultNodeBinary   = "node"
	DefaultPythonBinary = "python3"
)

// initTimeout bounds a runtime's initialisation, as Lambda's 10 s init phase.
const initTimeout = 10 * time.Second

// Options configure a Pool.
type Options struct {
	Realm         ferry.Realm // for the invoked function ARN and AWS_REGION
	NodeBootstrap string      // path of Ferry's Node.js bootstrap entry script; required only for nodejs* runtimes
	NodeBinary    string      // default "node"
	// PythonBootstrap is the path of Ferry's Python bootstrap script; required
	// only for python3.* runtimes. PythonBinary defaults to "python3".
	PythonBootstrap string
	PythonBinary    string
	IdleTimeout     time.Duration // reap instances idle this long; default 5 min
	MaxInstances    int           // per function when it has no reserved concurrency; default 32
	Logger          *slog.Logger
	// OnLog, when set, receives every log line of every instance as it is
	// read (requestID is "" outside an invocation), including Ferry's START,
	// END and REPORT lines. It is called synchronously (from the instance's
	// output reader, or the invoking goroutine for Ferry's own lines) and must
	// not block; line is only valid during the call.
	OnLog func(function, requestID string, line []byte)
	// APIEndpoint, when set, is Ferry's AWS API URL (http://host:port):
	// every instance gets it as AWS_ENDPOINT_URL and the per-service
	// variants the AWS SDKs read, so a function's SDK clients call Ferry.
	APIEndpoint string
	// Credentials, when set, gives the access key an instance of function
	// signs its API calls with; unset means the placeholder key "test".
	Credentials func(function string) (id, secret string)
	// NodeSDK, when set, is a folder whose node_modules holds the AWS SDK
	// for JavaScript v3 that Node.js functions find when they do not bundle
	// their own.
	NodeSDK string
	// Saturated, when set, replaces the /proc/stat reading of whether the
	// machine's CPUs are saturated (spawngate.go); tests set it.
	Saturated func() bool
	// SpawnWait is how long an invocation that would start one instance
	// too many waits for a running one to be handed over (default 250 ms).
	SpawnWait time.Duration
}

// Pool runs function instances.
type Pool struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	fns     map[string]*fnState
	running bool
	stopped bool
	stopCh  chan struct{}
	wg      sync.WaitGroup // janitor, CPU meter and instance watchers
	cpu     cpuMeter
}

// fnState is one function's instances.
type fnState struct {
	latest config
	idle   []*instance // most recently used last
	all    map[*instance]struct{}
	busy   int // invocations holding or starting an instance, or waiting for one
	// starting counts the invocations starting an instance of their own.
	starting int
	// waiters are invocations waiting for a running instance to be handed
	// over (spawngate.go), longest waiting first.
	waiters []chan *instance
}

// New returns a pool; Start starts it.
func New(opts Options) *Pool {
	if opts.Realm.Region == "" {
		opts.Realm.Region = ferry.DefaultRegion
	}
	if opts.Realm.Account == "" {
		opts.Realm.Account = ferry.DefaultAccount
	}
	if opts.NodeBinary == "" {
		opts.NodeBinary = DefaultNodeBinary
	}
	if opts.PythonBinary == "" {
		opts.PythonBinary = DefaultPythonBinary
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxInstances <= 0 {
		opts.MaxInstances = DefaultMaxInstances
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pool{opts: opts, log: log, fns: map[string]*fnState{}, stopCh: make(chan struct{})}
}

// Start starts the idle reaper. Idempotent; a stopped pool cannot restart.
func (p *Pool) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return ferry.Errorf(ferry.EUNAVAILABLE, "sandbox: pool is stopped")
	}
	if p.running {
		return nil
	}
	p.running = true
	p.wg.Add(1)
	go p.janitor()
	if p.opts.Saturated == nil {
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.cpu.run(p.stopCh) }()
	}
	return nil
}

// Stop refuses new invocations, kills every instance's process group and
// waits for their goroutines, or for ctx. Idempotent.
func (p *Pool) Stop(ctx context.Context) error {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		p.running = false
		close(p.stopCh)
	}
	var all []*instance
	for _, fs := range p.fns {
		for in := range fs.all {
			all = append(all, in)
		}
		fs.idle = nil
	}
	p.mu.Unlock()
	for _, in := range all {
		in.kill()
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sandbox: stop: %w", ctx.Err())
	}
}

// Stats returns the number of busy (including starting) and idle instances of function.
func (p *Pool) Stats(function string) (busy, idle int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fs := p.fns[function]
	if fs == nil {
		return 0, 0
	}
	return fs.busy, len(fs.idle)
}

// janitor reaps instances idle longer than IdleTimeout.
func (p *Pool) janitor() {
	defer p.wg.Done()
	period := min(max(p.opts.IdleTimeout/4, 10*time.Millisecond), 30*time.Second)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-p.stopCh:
			return
		case now := <-t.C:
			for _, in := range p.expired(now) {
				p.log.Debug("reaping idle instance", "function", in.cfg.name)
				in.kill()
			}
		}
	}
}

// expired removes and returns the instances idle since before now - IdleTimeout.
func (p *Pool) expired(now time.Time) []*instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*instance
	for _, fs := range p.fns {
		keep := fs.idle[:0]
		for _, in := range fs.idle {
			in.mu.Lock()
			old := now.Sub(in.lastUsed) >= p.opts.IdleTimeout
			in.mu.Unlock()
			if old {
				out = append(out, in)
			} else {
				keep = append(keep, in)
			}
		}
		clear(fs.idle[len(keep):])
		fs.idle = keep
	}
	return out
}

// forget removes a dead instance from its function's lists.
func (p *Pool) forget(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fs := in.fs
	delete(fs.all, in)
	for i, x := range fs.idle {
		if x == in {
			fs.idle = append(fs.idle[:i], fs.idle[i+1:]...)
			break
		}
	}
	if len(fs.all) == 0 && fs.busy == 0 && p.fns[in.cfg.name] == fs {
		delete(p.fns, in.cfg.name)
	}
}
