package sandbox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/rapi"
	"github.com/ferry-run/ferry/supervisor"
)

// instance is one function process and its Runtime API server. It implements
// rapi.Runtime: the Runtime API requests drive its state machine.
type instance struct {
	pool  *Pool
	fs    *fnState
	cfg   config
	arn   string
	srv   *rapi.Server
	start time.Time // spawn time, for Init Duration

	events   chan *rapi.Invocation // hand-off to a waiting GET /next
	outcomes chan outcome          // cap 1: the answer to the current invocation
	initDone chan struct{}         // closed by the first /next or by /init/error
	dead     chan struct{}         // closed once the process is reaped and the server stopped

	mu        sync.Mutex
	state     State
	proc      *supervisor.Process
	killed    bool // kill requested (applied when proc is set)
	cur       *rapi.Invocation
	delivered bool // cur was handed to the runtime
	answered  bool // cur was answered
	waiting   bool // a GET /next is pending
	initErr   *rapi.ErrorBody
	lastUsed  time.Time

	rss   int64     // last peak RSS read, bytes
	rssAt time.Time // when it was read

	logs logBook
}

// rssMaxAge bounds how stale the peak RSS in a healthy invocation's REPORT may
// be: reading /proc/<pid>/status costs about 30 µs, a tenth of a warm invoke.
const rssMaxAge = 100 * time.Millisecond

// peakRSS returns the process's peak RSS, re-reading it when fresh is set or
// the cached value is older than rssMaxAge. Only the invoking goroutine calls it.
func (in *instance) peakRSS(fresh bool) int64 {
	now := time.Now()
	if fresh || in.rssAt.IsZero() || now.Sub(in.rssAt) > rssMaxAge {
		if v, err := in.proc.PeakRSS(); err == nil {
			in.rss = max(in.rss, v)
			in.rssAt = now
		}
	}
	return in.rss
}

type outcome struct {
	body   []byte
	failed bool
	err    rapi.ErrorBody // when failed
}

// transitionLocked moves to state to, or reports a refused transition. Caller holds mu.
func (in *instance) transitionLocked(to State) error {
	if !canTransition(in.state, to) {
		return ferry.Errorf(ferry.EINTERNAL, "instance of %q: transition %s -> %s is not allowed", in.cfg.name, in.state, to)
	}
	in.state = to
	return nil
}

func (in *instance) transition(to State) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.transitionLocked(to)
}

// kill marks the instance dead and kills its process group.
func (in *instance) kill() {
	in.mu.Lock()
	in.state = Dead
	in.killed = true
	p := in.proc
	in.mu.Unlock()
	if p != nil {
		if err := p.Kill(); err != nil {
			in.pool.log.Warn("kill function instance", "function", in.cfg.name, "err", err)
		}
	}
}

// exited returns a channel closed when the process has exited.
func (in *instance) exited() <-chan struct{} { return in.proc.Done() }

// watch waits for the process to end, then stops the server and forgets the instance.
func (in *instance) watch() {
	defer in.pool.wg.Done()
	<-in.proc.Done()
	in.mu.Lock()
	in.state = Dead
	in.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := in.srv.Stop(ctx); err != nil {
		in.pool.log.Warn("stop runtime api", "function", in.cfg.name, "err", err)
	}
	cancel()
	in.pool.forget(in)
	close(in.dead)
}

// --- rapi.Runtime ---

var _ rapi.Runtime = (*instance)(nil)

// Next implements GET /invocation/next.
func (in *instance) Next(ctx context.Context) (*rapi.Invocation, error) {
	in.mu.Lock()
	if in.waiting {
		in.mu.Unlock()
		return nil, rapi.ErrInvalidState("a request for the next invocation is already pending")
	}
	switch in.state {
	case Initializing:
		_ = in.transitionLocked(Idle)
		close(in.initDone)
	case Idle:
	case Busy:
		if in.delivered && !in.answered {
			id := in.cur.RequestID
			in.mu.Unlock()
			return nil, rapi.ErrInvalidState(fmt.Sprintf("invocation %s has not been answered", id))
		}
	default:
		st := in.state
		in.mu.Unlock()
		return nil, rapi.ErrInvalidState("instance is " + st.String())
	}
	in.waiting = true
	in.mu.Unlock()
	select {
	case inv := <-in.events:
		in.mu.Lock()
		in.waiting, in.delivered, in.answered = false, true, false
		in.mu.Unlock()
		return inv, nil
	case <-ctx.Done():
		in.mu.Lock()
		in.waiting = false
		in.mu.Unlock()
		return nil, ctx.Err()
	}
}

// answer validates a response or error for requestID and marks it answered.
func (in *instance) answer(requestID string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != Busy || !in.delivered {
		return rapi.ErrInvalidState(fmt.Sprintf("no invocation in progress (instance is %s)", in.state))
	}
	if requestID != in.cur.RequestID {
		return rapi.ErrInvalidRequestID(requestID)
	}
	if in.answered {
		return rapi.ErrInvalidState(fmt.Sprintf("invocation %s was already answered", requestID))
	}
	in.answered = true
	return nil
}

// Respond implements POST /invocation/{id}/response.
func (in *instance) Respond(requestID string, body []byte) error {
	if err := in.answer(requestID); err != nil {
		return err
	}
	in.outcomes <- outcome{body: body}
	return nil
}

// Fail implements POST /invocation/{id}/error.
func (in *instance) Fail(requestID, errorType string, body []byte) error {
	if err := in.answer(requestID); err != nil {
		return err
	}
	in.outcomes <- outcome{failed: true, err: rapi.NormalizeError(errorType, body)}
	return nil
}

// InitFail implements POST /init/error.
func (in *instance) InitFail(errorType string, body []byte) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != Initializing {
		return rapi.ErrInvalidState("init error outside initialisation (instance is " + in.state.String() + ")")
	}
	eb := rapi.NormalizeError(errorType, body)
	in.initErr = &eb
	_ = in.transitionLocked(Dead)
	close(in.initDone)
	return nil
}
