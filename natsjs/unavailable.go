package natsjs

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

// JetStream API error codes that mean the store has no room.
const (
	errCodeInsufficientResources = 10023 // server or account store limit reached
	errCodeMemoryExceeded        = 10028
	errCodeStorageExceeded       = 10047
	errCodeStoreFailed           = 10077 // a store write failed (e.g. no space left on device)
)

// IsUnavailable reports whether err means the engine cannot take the write
// now (store full, JetStream off or not answering, connection closed or
// reconnecting), as opposed to a problem with the request itself.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if isStoreFull(err) {
		return true
	}
	var api *jetstream.APIError
	if errors.As(err, &api) && api.Code == 503 {
		return true
	}
	return errors.Is(err, errStoreCannotWrite) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrConnectionDraining) ||
		errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrDisconnected)
}

// isStoreFull reports whether err is a write refused for lack of space.
func isStoreFull(err error) bool {
	var api *jetstream.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode {
	case errCodeInsufficientResources, errCodeMemoryExceeded, errCodeStorageExceeded, errCodeStoreFailed:
		return true
	}
	return false
}

// unavailableError is an engine error that means "try again later". It
// keeps the engine's error (errors.Is and errors.As still see it) and reads
// as a ferry EUNAVAILABLE error, so each protocol answers with its
// service-unavailable error (503).
type unavailableError struct{ err error }

func (u *unavailableError) Error() string {
	if isStoreFull(u.err) {
		return "the store is full; try again later: " + u.err.Error()
	}
	return "the store is unavailable; try again later: " + u.err.Error()
}

func (u *unavailableError) Unwrap() error { return u.err }

// As lets ferry.ErrorCode see the error as EUNAVAILABLE.
func (u *unavailableError) As(target any) bool {
	if p, ok := target.(**ferry.Error); ok {
		*p = ferry.Errorf(ferry.EUNAVAILABLE, "%s", u.Error())
		return true
	}
	return false
}

// guardedJS is the JetStream context services get: publishes that fail
// because the engine cannot take them come back as EUNAVAILABLE errors,
// and their outcome tells Ready whether the store is full.
type guardedJS struct {
	jetstream.JetStream
	e *Engine
}

func (g guardedJS) Publish(ctx context.Context, subject string, data []byte, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if err := g.e.broken(); err != nil {
		return nil, err
	}
	ctx, done := g.e.watched(ctx)
	defer done()
	ack, err := g.JetStream.Publish(ctx, subject, data, opts...)
	return ack, g.e.check(err)
}

func (g guardedJS) PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if err := g.e.broken(); err != nil {
		return nil, err
	}
	ctx, done := g.e.watched(ctx)
	defer done()
	ack, err := g.JetStream.PublishMsg(ctx, msg, opts...)
	return ack, g.e.check(err)
}

// watched returns ctx, ended early when the store is found unable to
// write (a write the store will never answer then fails at once).
func (e *Engine) watched(ctx context.Context) (context.Context, func()) {
	e.h.mu.Lock()
	epoch := e.h.epoch
	e.h.mu.Unlock()
	if epoch == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(epoch, cancel)
	return ctx, func() { stop(); cancel() }
}

// check notes a write's outcome and marks errors that mean "unavailable".
func (e *Engine) check(err error) error {
	if err != nil {
		if b := e.broken(); b != nil {
			return b
		}
	}
	e.noteWrite(err)
	if IsUnavailable(err) {
		return &unavailableError{err: err}
	}
	return err
}

// errStoreCannotWrite is what a publish meets while the embedded store is
// known not to write (until the watch brings it back).
var errStoreCannotWrite = errors.New("the store cannot write")

// broken fails a write at once while the store is known not to write,
// instead of letting it wait for an answer that will not come.
func (e *Engine) broken() error {
	e.h.mu.Lock()
	b := e.h.broken
	e.h.mu.Unlock()
	if b == "" {
		return nil
	}
	return &unavailableError{err: fmt.Errorf("%w: %s", errStoreCannotWrite, b)}
}
