package natsjs

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// defaultAckWait bounds PublishAcked when ctx has no deadline, as
// JetStream's synchronous publish does.
const defaultAckWait = 5 * time.Second

// PublishAcked stores msg and returns once JetStream acknowledged it (or
// refused it, or ctx ended). Unlike a synchronous publish it does not hold
// the connection for one round trip per message: concurrent callers'
// messages go out together and the store writes them as one group, and
// each caller is answered when its own acknowledgement arrives. Nothing is
// reported stored before JetStream says so. Errors are those of a
// synchronous publish (EUNAVAILABLE when the store cannot take it).
func (e *Engine) PublishAcked(ctx context.Context, msg *nats.Msg) (*jetstream.PubAck, error) {
	if err := e.broken(); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultAckWait)
		defer cancel()
	}
	ctx, done := e.watched(ctx)
	defer done()
	f, err := e.js.PublishMsgAsync(msg)
	if err != nil {
		return nil, e.check(err)
	}
	select {
	case ack := <-f.Ok():
		return ack, e.check(nil)
	case err := <-f.Err():
		return nil, e.check(err)
	case <-ctx.Done():
		return nil, e.check(ctx.Err())
	}
}
