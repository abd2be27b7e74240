package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/rapi"
	"github.com/ferry-run/ferry/supervisor"
)

// Error types Ferry reports for instances it could not start.
const errTypeEntrypoint = "Runtime.InvalidEntrypoint"

// exitWait bounds how long a killed instance's exit is awaited for its last logs.
const exitWait = 2 * time.Second

// Invoke runs req on a warm instance of fn or a new one. fn is authoritative:
// idle instances built from another configuration are retired. A function
// failure is a Result with FunctionError set. Errors: EINVALID for an
// unsupported runtime, ETHROTTLED when the function's concurrency is in use,
// EUNAVAILABLE when the pool is not running or ctx ended (joined with ctx.Err()).
func (p *Pool) Invoke(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest) (*ferry.Result, error) {
	if fn == nil {
		return nil, ferry.Errorf(ferry.EINVALID, "sandbox: invoke without a function")
	}
	if req == nil {
		req = &ferry.InvokeRequest{}
	}
	cmd, err := p.commandFor(fn)
	if err != nil {
		return nil, err
	}
	limit := p.opts.MaxInstances
	if fn.ReservedConcurrency != nil {
		limit = *fn.ReservedConcurrency
	}
	id := req.RequestID
	if id == "" {
		id = uuid.NewString()
	}

	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "sandbox: not running")
	}
	fs := p.fns[fn.Name]
	if fs == nil {
		fs = &fnState{latest: configOf(fn), all: map[*instance]struct{}{}}
		p.fns[fn.Name] = fs
	}
	var retired []*instance
	if !fs.latest.matches(fn) {
		fs.latest = configOf(fn)
		keep := fs.idle[:0]
		for _, in := range fs.idle {
			if in.cfg.equal(&fs.latest) {
				keep = append(keep, in)
			} else {
				retired = append(retired, in)
			}
		}
		clear(fs.idle[len(keep):])
		fs.idle = keep
	}
	if fs.busy >= limit {
		p.mu.Unlock()
		killAll(retired)
		return nil, ferry.Errorf(ferry.ETHROTTLED, "function %q: Rate Exceeded (concurrency limit %d reached)", fn.Name, limit)
	}
	fs.busy++
	var in *instance
	if n := len(fs.idle); n > 0 {
		in = fs.idle[n-1]
		fs.idle[n-1] = nil
		fs.idle = fs.idle[:n-1]
	} else if fs.busy-1-len(fs.waiters) >= softCap() && (fs.starting >= softCap() || p.saturated()) {
		// Every CPU is busy, or as many instances as CPUs are starting
		// (a burst): a running instance, handed over, serves this sooner
		// than a new process would.
		in = p.awaitHandoff(fs, ctx.Done())
	}
	cold := in == nil
	if cold {
		fs.starting++
	}
	p.mu.Unlock()
	started := func() {
		if cold {
			cold = false
			p.mu.Lock()
			fs.starting--
			p.mu.Unlock()
		}
	}
	defer started()
	killAll(retired)

	res := &ferry.Result{RequestID: id, ExecutedVersion: ferry.LatestVersion}
	healthy := false
	defer func() { p.release(fs, in, healthy) }()
	gone := 0
	for {
		if in == nil {
			in, err = p.spawn(fs, fn, cmd)
			if err != nil {
				var fe *ferry.Error
				if errors.As(err, &fe) {
					return nil, err
				}
				return entrypointFailure(res, id, err), nil
			}
			ok, err := in.awaitInit(ctx, res)
			started()
			if err != nil || !ok {
				return resultOrNil(res, err)
			}
		}
		healthy, err = in.run(ctx, fn, req, id, res)
		if errors.Is(err, errGone) && gone < maxGone { // the instance died before taking the event: start another
			gone++
			in = nil
			continue
		}
		if errors.Is(err, errGone) {
			return nil, ferry.Errorf(ferry.EUNAVAILABLE, "function %q: %d instances in a row exited before taking the event", fn.Name, gone+1)
		}
		return resultOrNil(res, err)
	}
}

// errGone reports an instance that died before taking an event.
var errGone = errors.New("sandbox: instance exited while idle")

// maxGone bounds how many instances in a row may die before taking one
// event before the invocation fails as a system error.
const maxGone = 3

func resultOrNil(res *ferry.Result, err error) (*ferry.Result, error) {
	if err != nil {
		return nil, err
	}
	return res, nil
}

func killAll(ins []*instance) {
	for _, in := range ins {
		in.kill()
	}
}

// release returns in to the idle list, or kills it.
func (p *Pool) release(fs *fnState, in *instance, healthy bool) {
	p.mu.Lock()
	fs.busy--
	if in == nil {
		p.mu.Unlock()
		return
	}
	if healthy && p.running && in.cfg.equal(&fs.latest) {
		in.mu.Lock()
		err := in.transitionLocked(Idle)
		in.lastUsed = time.Now()
		in.cur = nil
		in.mu.Unlock()
		if err == nil {
			if !fs.handoff(in) {
				fs.idle = append(fs.idle, in)
			}
			p.mu.Unlock()
			return
		}
	}
	fs.handoff(nil) // a waiter starts its own instead
	p.mu.Unlock()
	in.kill()
}

// spawn starts a new instance of fn; it counts against fs.busy already.
func (p *Pool) spawn(fs *fnState, fn *ferry.Function, cmd command) (*instance, error) {
	if err := checkCode(fn, cmd.taskRoot); err != nil {
		return nil, err
	}
	in := &instance{
		pool: p, fs: fs, cfg: configOf(fn), arn: p.opts.Realm.FunctionARN(fn.Name),
		events: make(chan *rapi.Invocation), outcomes: make(chan outcome, 1),
		initDone: make(chan struct{}), dead: make(chan struct{}), state: Starting,
		logs: logBook{fn: fn.Name, onLog: p.opts.OnLog},
	}
	in.srv = rapi.New(in, p.log)
	if err := in.srv.Start(context.Background()); err != nil {
		return nil, ferry.Wrap(ferry.EINTERNAL, err, "function %q: runtime API", fn.Name)
	}
	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		_ = in.srv.Stop(context.Background())
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "sandbox: not running")
	}
	fs.all[in] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()

	in.start = time.Now()
	_ = in.transition(Initializing)
	proc, err := supervisor.Start(supervisor.Spec{
		Path: cmd.path, Args: cmd.args, Dir: cmd.taskRoot,
		Env:    p.environ(fn, cmd, in.srv.Addr(), in.start),
		Output: in.logs.line,
	})
	if err != nil {
		_ = in.transition(Dead)
		_ = in.srv.Stop(context.Background())
		p.mu.Lock()
		delete(fs.all, in)
		p.mu.Unlock()
		p.wg.Done()
		return nil, err
	}
	in.mu.Lock()
	in.proc = proc
	killed := in.killed
	in.mu.Unlock()
	if killed {
		_ = proc.Kill()
	}
	go in.watch()
	return in, nil
}

func entrypointFailure(res *ferry.Result, id string, err error) *ferry.Result {
	msg := fmt.Sprintf("RequestId: %s Error: Couldn't start the runtime: %v", id, err)
	return failure(res, errTypeEntrypoint, msg, nil)
}

// failure fills res as an Unhandled function error. payload nil means
// {errorMessage, errorType} from msg and typ.
func failure(res *ferry.Result, typ, msg string, payload []byte) *ferry.Result {
	if payload == nil {
		payload, _ = json.Marshal(ferry.ErrorPayload{ErrorMessage: msg, ErrorType: typ})
	}
	res.FunctionError = ferry.FunctionErrorUnhandled
	res.ErrorType, res.ErrorMessage, res.Payload = typ, msg, payload
	return res
}

// awaitInit waits for the runtime's first GET /next. On failure it fills res
// and kills the instance; ok reports success.
func (in *instance) awaitInit(ctx context.Context, res *ferry.Result) (ok bool, err error) {
	t := time.NewTimer(initTimeout)
	defer t.Stop()
	timedOut := false
	select {
	case <-in.initDone:
	case <-in.exited():
	case <-t.C:
		timedOut = true
	case <-ctx.Done():
		in.kill()
		return false, errors.Join(ferry.Errorf(ferry.EUNAVAILABLE, "function %q: invocation %s abandoned during init", in.cfg.name, res.RequestID), ctx.Err())
	}
	res.InitDuration = time.Since(in.start)
	in.mu.Lock()
	state, initErr := in.state, in.initErr
	in.mu.Unlock()
	if state == Idle && initErr == nil {
		return true, nil
	}
	in.kill()
	in.waitExit()
	if in.pool.isStopping() {
		return false, ferry.Errorf(ferry.EUNAVAILABLE, "sandbox: stopping")
	}
	in.logs.begin(res.RequestID)
	switch {
	case initErr != nil:
		failure(res, initErr.ErrorType, initErr.ErrorMessage, initErr.JSON())
	case timedOut:
		failure(res, ferry.ErrTypeTimeout, fmt.Sprintf("RequestId: %s Error: Runtime init timed out after %.2f seconds", res.RequestID, initTimeout.Seconds()), nil)
	default:
		failure(res, ferry.ErrTypeInit, fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", res.RequestID, exitReason(in.proc.ExitError())), nil)
	}
	in.logs.frame(res.ErrorMessage)
	res.Logs = in.logs.end(res, in.cfg.memory, in.peakRSS(true), "error\tError Type: "+res.ErrorType)
	return false, nil
}

func (in *instance) waitExit() {
	select {
	case <-in.exited():
	case <-time.After(exitWait):
	}
}

func (p *Pool) isStopping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

func exitReason(err error) string {
	if err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Error()
	}
	return err.Error()
}

// run hands req to the idle instance and waits for its answer, the timeout,
// the process's exit or ctx. healthy reports whether the instance may be reused.
func (in *instance) run(ctx context.Context, fn *ferry.Function, req *ferry.InvokeRequest, id string, res *ferry.Result) (healthy bool, err error) {
	timeout := in.cfg.timeout
	payload := []byte(req.Payload)
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	start := time.Now()
	inv := &rapi.Invocation{
		RequestID: id, Payload: payload, Deadline: start.Add(timeout), FunctionARN: in.arn,
		TraceID: req.TraceID, ClientContext: decodeClientContext(req.ClientContext),
	}
	if inv.TraceID == "" {
		inv.TraceID = newTraceID(start)
	}
	in.mu.Lock()
	if in.state == Dead {
		in.mu.Unlock()
		return false, errGone
	}
	if err := in.transitionLocked(Busy); err != nil {
		in.mu.Unlock()
		return false, err
	}
	in.cur, in.delivered, in.answered = inv, false, false
	in.mu.Unlock()
	in.proc.Sync() // output written before this invocation precedes its START
	in.logs.begin(id)
	var oom atomic.Bool
	stopWatch := in.watchMemory(int64(in.cfg.memory)<<20, func() { oom.Store(true); in.kill() })

	t := time.NewTimer(timeout)
	defer t.Stop()
	var out outcome
	answered, exited, timedOut := false, false, false
	select {
	case in.events <- inv:
		select {
		case out = <-in.outcomes:
			answered = true
		case <-in.exited():
			exited = true
		case <-t.C:
			timedOut = true
		case <-ctx.Done():
		}
	case <-in.exited():
		// The instance died before taking the event: a runtime that exits
		// after reporting a panic, as aws-lambda-go does. The event never
		// reached it, so it goes to a fresh instance.
		stopWatch()
		in.kill()
		return false, errGone
	case <-t.C:
		timedOut = true
	case <-ctx.Done():
	}
	stopWatch()
	if exited { // an answer posted just before exiting (a panic) wins
		select {
		case out = <-in.outcomes:
			answered, exited = true, false
		default:
		}
	}
	res.Duration = time.Since(start)
	if !answered && !exited && !timedOut { // ctx ended
		in.kill()
		return false, errors.Join(ferry.Errorf(ferry.EUNAVAILABLE, "function %q: invocation %s abandoned", fn.Name, id), ctx.Err())
	}
	status := ""
	switch {
	case answered && out.failed:
		in.proc.Sync()
		failure(res, out.err.ErrorType, out.err.ErrorMessage, out.err.JSON())
	case answered:
		in.proc.Sync()
		res.Payload = out.body
	case timedOut:
		in.kill()
		in.waitExit()
		res.Duration = timeout
		msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, timeout.Seconds())
		failure(res, ferry.ErrTypeTimeout, msg, nil)
		in.logs.frame(time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + id + " Task timed out after " + fmt.Sprintf("%.2f seconds", timeout.Seconds()))
		status = "timeout"
	default: // exited
		in.kill()
		errType := ferry.ErrTypeExit
		if oom.Load() {
			errType = ferry.ErrTypeOutOfMemory
		}
		msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", id, exitReason(in.proc.ExitError()))
		failure(res, errType, msg, nil)
		in.logs.frame(msg)
		in.logs.frame(errType)
		status = "error\tError Type: " + errType
	}
	if !answered && in.pool.isStopping() {
		return false, ferry.Errorf(ferry.EUNAVAILABLE, "sandbox: stopping")
	}
	res.Logs = in.logs.end(res, in.cfg.memory, in.peakRSS(!answered), status)
	return answered, nil
}

// decodeClientContext turns the base64 X-Amz-Client-Context into the JSON the
// runtime receives; a value that is not base64 is passed as is.
func decodeClientContext(s string) string {
	if s == "" {
		return ""
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return string(b)
	}
	return s
}

// newTraceID returns an X-Ray style trace header for an invocation without one.
func newTraceID(now time.Time) string { return ferry.NewTraceID(now) + ";Sampled=0" }
