package natsjs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Health: how Ferry notices that the engine cannot take writes and how it
// comes back without a restart.
//
//   - The connection reconnects forever (MaxReconnects(-1)); Healthy fails
//     while it is closed or has been disconnected for longer than
//     DisconnectGrace.
//   - nats-server turns JetStream off when a store write fails for lack of
//     space. The embedded engine then polls the free space of the store's
//     filesystem and turns JetStream back on (recovering every stream and
//     consumer from disk) once at least MinFreeToRecover bytes are free.
//   - A write refused for lack of resources (the store's limit or the disk)
//     marks the store full; Ready then proves the store writable with a
//     small probe write before it answers ready again.

// DisconnectGrace is how long the engine connection may be disconnected
// (reconnecting) before Healthy reports it.
const DisconnectGrace = 2 * time.Second

// MinFreeToRecover is the free space the store's filesystem needs before a
// JetStream turned off for lack of space is turned back on.
const MinFreeToRecover = 8 << 20

// recoverPoll is how often the embedded engine checks whether JetStream is
// on, and whether space came back when it is off.
const recoverPoll = 250 * time.Millisecond

// probeStream holds the single small message Ready writes to prove the
// store writable again after it was full.
const (
	probeStream  = "FERRY_PROBE"
	probeSubject = "ferry.probe"
)

// health is the engine's view of its own condition.
type health struct {
	mu           sync.Mutex
	stopping     bool
	closed       bool
	disconnected time.Time // zero while connected
	broken       string    // why the embedded store cannot write, "" when it can
	full         error     // last write refused for lack of space, nil once a write succeeds

	opts *server.Options // the embedded server's, to turn JetStream back on
	// epoch ends when the store is found unable to write, so writes
	// already waiting for an answer give up at once; a new one starts
	// when it writes again.
	epoch       context.Context
	epochCancel context.CancelFunc
	onRecover   []func()
	stop        chan struct{}
	done        chan struct{}
}

// connOptions are the options of every engine connection: reconnect
// forever and say so in the log.
func (e *Engine) connOptions() []nats.Option {
	log := e.cfg.Logger
	return []nats.Option{
		nats.Name("ferry"),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			e.h.mu.Lock()
			stopping := e.h.stopping
			if e.h.disconnected.IsZero() {
				e.h.disconnected = time.Now()
			}
			e.h.mu.Unlock()
			if !stopping {
				log.Warn("engine: connection lost, reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			e.h.mu.Lock()
			e.h.disconnected = time.Time{}
			e.h.mu.Unlock()
			log.Info("engine: reconnected", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			e.h.mu.Lock()
			e.h.closed = true
			stopping := e.h.stopping
			e.h.mu.Unlock()
			if !stopping {
				log.Error("engine: connection closed; Ferry cannot reach its store until it is restarted", "err", nc.LastError())
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Warn("engine: connection error", "subject", sub.Subject, "err", err)
				return
			}
			log.Warn("engine: connection error", "err", err)
		}),
	}
}

// Healthy reports whether the engine connection is usable: nil unless it
// is closed or has been disconnected for longer than DisconnectGrace.
func (e *Engine) Healthy() error {
	e.h.mu.Lock()
	defer e.h.mu.Unlock()
	switch {
	case e.nc == nil:
		return errors.New("engine not started")
	case e.h.closed || e.nc.IsClosed():
		return errors.New("engine connection closed")
	case !e.h.disconnected.IsZero() && time.Since(e.h.disconnected) > DisconnectGrace:
		return fmt.Errorf("engine connection lost %s ago, reconnecting", time.Since(e.h.disconnected).Round(time.Millisecond))
	}
	return nil
}

// Ready reports whether the engine can take writes: the connection is
// healthy, JetStream is on and answers, and the store is not full (after a
// write was refused for lack of space, a probe write must succeed). On a
// cluster a probe write is always made, so Ready fails while the node
// cannot reach a JetStream quorum.
func (e *Engine) Ready(ctx context.Context) error {
	if err := e.Healthy(); err != nil {
		return err
	}
	e.h.mu.Lock()
	broken, full := e.h.broken, e.h.full
	e.h.mu.Unlock()
	if broken != "" {
		return fmt.Errorf("the store cannot write (%s); it comes back when space is freed", broken)
	}
	if e.srv != nil && !e.srv.JetStreamEnabled() {
		return errors.New("JetStream is turned off")
	}
	if _, err := e.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("JetStream not answering: %w", err)
	}
	if free, err := e.StoreFree(); err == nil && free == 0 {
		return errors.New("store full: no space left for the store")
	}
	if full != nil {
		if err := e.probe(ctx); err != nil {
			return fmt.Errorf("store full: %w", err)
		}
	}
	if e.nc.ConnectedClusterName() != "" {
		// JetStream answers account questions without a quorum: a write
		// to the replicated probe stream proves one.
		if err := e.probe(ctx); err != nil {
			return fmt.Errorf("no JetStream quorum (a write to a replicated stream was not stored): %w", err)
		}
	}
	return nil
}

// probe writes one small message to the probe stream; success clears the
// store-full mark.
func (e *Engine) probe(ctx context.Context) error {
	_, err := e.js.Publish(ctx, probeSubject, nil)
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		if _, err = e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: probeStream, Subjects: []string{probeSubject}, MaxMsgsPerSubject: 1,
			Storage: jetstream.FileStorage, Replicas: e.Replicas(),
		}); err == nil {
			_, err = e.js.Publish(ctx, probeSubject, nil)
		}
	}
	if err != nil {
		return err
	}
	e.h.mu.Lock()
	e.h.full = nil
	e.h.mu.Unlock()
	return nil
}

// noteWrite records the outcome of a write for Ready.
func (e *Engine) noteWrite(err error) {
	full := isStoreFull(err)
	if err != nil && !full {
		return
	}
	e.h.mu.Lock()
	defer e.h.mu.Unlock()
	if full {
		if e.h.full == nil {
			e.cfg.Logger.Error("engine: the store is full; writes are refused until space is freed", "err", err)
		}
		e.h.full = err
		return
	}
	e.h.full = nil
}

// startWatch starts the embedded server's JetStream watch.
func (e *Engine) startWatch(opts *server.Options) {
	e.h.opts = opts
	e.h.epoch, e.h.epochCancel = context.WithCancel(context.Background())
	e.h.stop, e.h.done = make(chan struct{}), make(chan struct{})
	go e.watch(e.h.stop, e.h.done)
}

// stopWatch stops the watch and marks the engine stopping, so the closing
// connection is not reported as a failure.
func (e *Engine) stopWatch() {
	e.h.mu.Lock()
	e.h.stopping = true
	e.h.mu.Unlock()
	if e.h.stop != nil {
		close(e.h.stop)
		<-e.h.done
		e.h.epochCancel()
	}
}

// watch notices a store that cannot write and brings it back once space
// is free again. nats-server reacts to a failed store write in one of two
// ways: it turns JetStream off, or it stops the stream that failed (the
// stream keeps the write error and answers no more publishes). Either way
// the cure is the same: turn JetStream off and on again, which recovers
// every stream and consumer from the store.
func (e *Engine) watch(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(recoverPoll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		problem := e.storeProblem()
		e.h.mu.Lock()
		was := e.h.broken
		e.h.broken = problem
		switch {
		case problem != "" && was == "":
			e.h.epochCancel()
		case problem == "" && was != "":
			e.h.epoch, e.h.epochCancel = context.WithCancel(context.Background())
		}
		e.h.mu.Unlock()
		switch {
		case problem == "" && was != "":
			e.cfg.Logger.Info("engine: the store takes writes again")
			continue
		case problem == "":
			continue
		case was == "":
			e.cfg.Logger.Error("engine: the store cannot write; writes are refused until space is freed", "problem", problem)
		}
		if e.srv.JetStreamConfig() != nil && !e.srv.JetStreamEnabled() {
			continue // JetStream is still shutting down
		}
		free, err := freeBytes(e.storeDir())
		if err != nil || free < MinFreeToRecover {
			continue
		}
		e.cfg.Logger.Info("engine: space is free again; restarting JetStream", "free", free)
		if err := e.restartJetStream(); err != nil {
			e.cfg.Logger.Warn("engine: restarting JetStream failed; will retry", "err", err)
			continue
		}
		e.h.mu.Lock()
		fs := e.h.onRecover
		e.h.mu.Unlock()
		for _, f := range fs {
			f()
		}
	}
}

// storeProblem describes why the embedded store cannot write, "" when it can.
func (e *Engine) storeProblem() string {
	if !e.srv.JetStreamEnabled() {
		return "JetStream is turned off"
	}
	if h := e.srv.Healthz(nil); h.Error != "" && strings.Contains(h.Error, "write error") {
		return h.Error
	}
	return ""
}

// OnRecover registers f to run (on the engine's watch goroutine, so
// briefly) each time the embedded engine restarted JetStream after the
// store could not write. Pull requests waiting on consumers then are lost
// (they end only at their expiry): a service renews them in f.
func (e *Engine) OnRecover(f func()) {
	e.h.mu.Lock()
	defer e.h.mu.Unlock()
	e.h.onRecover = append(e.h.onRecover, f)
}

// restartJetStream turns JetStream on again with the options it started
// with; the streams and consumers are recovered from the store.
func (e *Engine) restartJetStream() error {
	opts := e.h.opts
	if e.srv.JetStreamEnabled() {
		if err := e.srv.ShutdownJetStream(); err != nil {
			return err
		}
	}
	err := e.srv.EnableJetStream(&server.JetStreamConfig{
		StoreDir: opts.StoreDir, SyncInterval: opts.SyncInterval, SyncAlways: opts.SyncAlways,
		MaxMemory: opts.JetStreamMaxMemory, MaxStore: opts.JetStreamMaxStore,
		Domain: opts.JetStreamDomain, Strict: !opts.NoJetStreamStrict, CompressOK: true,
		UniqueTag: opts.JetStreamUniqueTag,
	})
	if err != nil {
		_ = e.srv.ShutdownJetStream()
	}
	return err
}

// storeDir is the directory holding the JetStream store.
func (e *Engine) storeDir() string { return e.h.opts.StoreDir }

// freeBytes is the space available to an unprivileged writer on the
// filesystem holding dir.
func freeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// StoreFree is the room left for the embedded store: the free space of its
// filesystem, or less when JetStream's own store limit leaves less. It
// fails for an external engine, whose disks Ferry cannot see.
func (e *Engine) StoreFree() (uint64, error) {
	if e.srv == nil {
		return 0, errors.New("the store is on an external NATS cluster")
	}
	free, err := freeBytes(e.storeDir())
	if err != nil {
		return 0, err
	}
	info, err := e.srv.Jsz(nil)
	if err != nil {
		return 0, err
	}
	if limit := info.Config.MaxStore; limit > 0 {
		left := uint64(0)
		if uint64(limit) > info.Store {
			left = uint64(limit) - info.Store
		}
		free = min(free, left)
	}
	return free, nil
}
