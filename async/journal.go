package async

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// JournalBucket is the key-value bucket of the engine's journal: one entry
// per async request id holding how far the event got (attempts, throttles,
// the decided outcome, deliveries, done). The engine reads it on every
// redelivery and never goes on past a point it failed to journal; the
// invocation history is written from it afterwards and only read by people.
const JournalBucket = "ferry_async_journal"

// Journal defaults.
const (
	// DefaultJournalRetention keeps an entry well past the longest an event
	// can live (6 h maximum event age, plus retries and delivery rounds),
	// so a redelivery always finds what its earlier deliveries did; only a
	// server down for longer than that finds an entry expired.
	DefaultJournalRetention = 24 * time.Hour
)

// openJournal creates or opens the journal bucket.
func (e *Engine) openJournal(ctx context.Context) error {
	maxBytes := e.opts.JournalMaxBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	kv, err := e.engine.EnsureKV(ctx, jetstream.KeyValueConfig{
		Bucket: JournalBucket, History: 1, TTL: e.opts.JournalRetention, MaxBytes: maxBytes,
	})
	if err != nil {
		return fmt.Errorf("async: journal: %w", err)
	}
	e.journal = kv
	return nil
}

// load returns the journal entry of a request id: ENOTFOUND when the event
// has not been journaled yet.
func (e *Engine) load(ctx context.Context, requestID string) (*ferry.Invocation, error) {
	inv := new(ferry.Invocation)
	err := natsjs.GetJSON(ctx, e.journal, requestID, inv)
	if natsjs.IsNotFound(err) {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "no journal entry for %s", requestID)
	}
	if err != nil {
		return nil, fmt.Errorf("read journal entry: %w", err)
	}
	return inv, nil
}

// record journals inv and then hands its history to the history writer.
// The journal write must succeed for the engine to go on; the history is a
// read model, so a failure there (a full or failing history) is logged and
// changes nothing about the event's retries or deliveries.
func (e *Engine) record(ctx context.Context, inv *ferry.Invocation) error {
	if err := e.journalEntry(ctx, inv); err != nil {
		return err
	}
	h := *inv // finish goes on appending to inv; the writer keeps this view
	e.saveLater(ctx, &h)
	return nil
}

// journalEntry journals inv without writing its history.
func (e *Engine) journalEntry(ctx context.Context, inv *ferry.Invocation) error {
	entry := *inv
	entry.Request = nil // the event message carries it
	if entry.Done {
		// A finished entry only answers "done?" on a late redelivery and
		// "already accepted?" for a derived request id.
		entry.Response, entry.Attempts = nil, withoutLogs(entry.Attempts)
	}
	b, err := json.Marshal(&entry)
	if err != nil {
		return err
	}
	if _, err := e.journal.Put(ctx, inv.RequestID, b); err != nil {
		e.stats.add(inv.Function, func(c *Counters) { c.JournalWriteFailures++ })
		return fmt.Errorf("journal %s: %w", inv.RequestID, err)
	}
	return nil
}

func withoutLogs(as []ferry.Attempt) []ferry.Attempt {
	out := make([]ferry.Attempt, len(as))
	for i, a := range as {
		a.Logs = ""
		out[i] = a
	}
	return out
}

// journalFailed puts an event whose progress could not be journaled back,
// with a growing delay, instead of going on without a durable step.
func (e *Engine) journalFailed(msg jetstream.Msg, md *jetstream.MsgMetadata, inv *ferry.Invocation, err error) {
	delay := e.scaled(backoff(int(md.NumDelivered)))
	e.log.Error("async: journal write failed, event put back", "requestId", inv.RequestID, "function", inv.Function, "retryIn", delay, "err", err)
	_ = msg.NakWithDelay(delay)
}
