package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/metrics"
	"github.com/ferry-run/ferry/natsjs"
)

// totalsBucket keeps the async counters (Invocations, Errors, Throttles,
// dropped events, destination deliveries) across restarts, each node's
// under its own keys (node.<node>.fn.<function>): a node counts on from its
// own totals, and the cluster's totals are every node's summed.
const totalsBucket = "ferry_metric_totals"

// defaultTotalsInterval is how often the totals are written; a crash loses
// at most this much counting.
const defaultTotalsInterval = 5 * time.Second

// savedTotals is one function's totals as stored.
type savedTotals struct {
	Counters   async.Counters   `json:"counters"`
	Deliveries []async.Delivery `json:"deliveries,omitempty"`
}

// totals writes the async engine's counters to a KV bucket every interval
// and on stop, and loads them back into the counters on start, so /metrics
// and the dashboard count on from where the last run stopped.
type totals struct {
	engine   *natsjs.Engine
	node     string
	stats    *async.Stats
	interval time.Duration
	log      *slog.Logger

	kv    jetstream.KeyValue
	saved map[string]savedTotals // last written, by function
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newTotals(engine *natsjs.Engine, node string, stats *async.Stats, interval time.Duration, log *slog.Logger) *totals {
	if interval <= 0 {
		interval = defaultTotalsInterval
	}
	return &totals{engine: engine, node: node, stats: stats, interval: interval, log: log, saved: map[string]savedTotals{}}
}

// nodePrefix is the key prefix of a node's totals.
func nodePrefix(node string) string {
	return "node." + base64.RawURLEncoding.EncodeToString([]byte(node)) + "."
}

// totalsKey is a KV-safe key for a node's totals of a function.
func (t *totals) totalsKey(function string) string {
	return nodePrefix(t.node) + "fn." + base64.RawURLEncoding.EncodeToString([]byte(function))
}

// keyFunction returns the function of a totals key and whether the key is
// one of node's ("" node: of any node).
func keyFunction(key, node string) (string, bool) {
	if !strings.HasPrefix(key, "node.") {
		return "", false
	}
	if node != "" && !strings.HasPrefix(key, nodePrefix(node)) {
		return "", false
	}
	i := strings.LastIndex(key, ".fn.")
	if i < 0 {
		return "", false
	}
	name, err := base64.RawURLEncoding.DecodeString(key[i+len(".fn."):])
	if err != nil {
		return "", false
	}
	return string(name), true
}

// Start loads the saved totals into the counters and starts saving.
func (t *totals) Start(ctx context.Context) error {
	kv, err := t.engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: totalsBucket, History: 1})
	if err != nil {
		return err
	}
	t.kv = kv
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("metric totals: %w", err)
	}
	counters := map[string]async.Counters{}
	var deliveries []async.Delivery
	var own, legacy []string
	for key := range keys.Keys() {
		if _, ok := keyFunction(key, t.node); ok {
			own = append(own, key)
		} else if strings.HasPrefix(key, "fn.") {
			legacy = append(legacy, key)
		}
	}
	// Totals written before they were kept per node are taken over by the
	// first node that starts without totals of its own.
	load := own
	if len(own) == 0 {
		load = legacy
	}
	for _, key := range load {
		var name []byte
		if fn, ok := keyFunction(key, t.node); ok {
			name = []byte(fn)
		} else if name, err = base64.RawURLEncoding.DecodeString(strings.TrimPrefix(key, "fn.")); err != nil {
			continue
		}
		e, err := kv.Get(ctx, key)
		if err != nil {
			if natsjs.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("metric totals: %w", err)
		}
		var s savedTotals
		if err := json.Unmarshal(e.Value(), &s); err != nil {
			t.log.Warn("metric totals: unreadable entry, starting it from zero", "function", string(name), "err", err)
			continue
		}
		counters[string(name)] = s.Counters
		deliveries = append(deliveries, s.Deliveries...)
		t.saved[string(name)] = s
	}
	t.stats.Restore(counters, deliveries)
	if len(own) == 0 {
		for _, key := range legacy {
			if _, ok := t.saved[t.legacyName(key)]; ok {
				_ = kv.Delete(ctx, key)
			}
		}
		t.saved = map[string]savedTotals{} // written under this node's keys at the next save
	}
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	go t.loop()
	return nil
}

func (t *totals) loop() {
	defer close(t.done)
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), t.interval)
			if err := t.save(ctx); err != nil {
				t.log.Warn("metric totals: save", "err", err)
			}
			cancel()
		}
	}
}

// save writes every function's totals that changed since the last write.
// Only the loop and Stop (after the loop ends) call it.
func (t *totals) save(ctx context.Context) error {
	counters, deliveries := t.stats.Snapshot()
	now := map[string]savedTotals{}
	for fn, c := range counters {
		now[fn] = savedTotals{Counters: c}
	}
	for _, d := range deliveries {
		s := now[d.Function]
		s.Deliveries = append(s.Deliveries, d)
		now[d.Function] = s
	}
	var errs []error
	for fn, s := range now {
		if sameTotals(s, t.saved[fn]) {
			continue
		}
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if _, err := t.kv.Put(ctx, t.totalsKey(fn), b); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", fn, err))
			continue
		}
		t.saved[fn] = s
	}
	return errors.Join(errs...)
}

// sameTotals reports whether a and b hold the same counts.
func sameTotals(a, b savedTotals) bool {
	if a.Counters != b.Counters || len(a.Deliveries) != len(b.Deliveries) {
		return false
	}
	counts := make(map[async.Delivery]bool, len(a.Deliveries))
	for _, d := range a.Deliveries {
		counts[d] = true
	}
	for _, d := range b.Deliveries {
		if !counts[d] {
			return false
		}
	}
	return true
}

// Stop ends the save loop and writes the final totals. Idempotent.
func (t *totals) Stop(ctx context.Context) error {
	var err error
	t.once.Do(func() {
		if t.stop == nil {
			return
		}
		close(t.stop)
		<-t.done
		err = t.save(ctx)
	})
	return err
}

// legacyName is the function of a key written before totals were per node.
func (t *totals) legacyName(key string) string {
	b, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(key, "fn."))
	return string(b)
}

// cluster returns the cluster's totals per function: this node's live
// counters plus every other node's last saved ones (at most one save
// interval old).
func (t *totals) cluster(ctx context.Context) map[string]async.Counters {
	out, _ := t.stats.Snapshot()
	if t.kv == nil {
		return out
	}
	keys, err := t.kv.ListKeys(ctx)
	if err != nil {
		return out
	}
	mine := nodePrefix(t.node)
	for key := range keys.Keys() {
		fn, ok := keyFunction(key, "")
		if !ok || strings.HasPrefix(key, mine) {
			continue
		}
		var s savedTotals
		if err := natsjs.GetJSON(ctx, t.kv, key, &s); err != nil {
			continue
		}
		c := out[fn]
		c.AsyncEventsReceived += s.Counters.AsyncEventsReceived
		c.AsyncEventsDropped += s.Counters.AsyncEventsDropped
		c.Invocations += s.Counters.Invocations
		c.Errors += s.Counters.Errors
		c.Throttles += s.Counters.Throttles
		c.DestinationDeliveryFailures += s.Counters.DestinationDeliveryFailures
		c.DeadLetterErrors += s.Counters.DeadLetterErrors
		c.RecursiveInvocationsDropped += s.Counters.RecursiveInvocationsDropped
		c.JournalWriteFailures += s.Counters.JournalWriteFailures
		out[fn] = c
	}
	return out
}

// clusterTotals are the cluster's counters per function, for /metrics.
func (m *Main) clusterTotals(ctx context.Context) map[string]metrics.FunctionCounters {
	if m.totals == nil {
		return nil
	}
	out := map[string]metrics.FunctionCounters{}
	for fn, c := range m.totals.cluster(ctx) {
		out[fn] = metrics.FunctionCounters{
			Invocations: c.Invocations, Errors: c.Errors, Throttles: c.Throttles,
			AsyncEventsReceived: c.AsyncEventsReceived, AsyncEventsDropped: c.AsyncEventsDropped,
			DestinationDeliveryFailures: c.DestinationDeliveryFailures, DeadLetterErrors: c.DeadLetterErrors,
			RecursiveInvocationsDropped: c.RecursiveInvocationsDropped,
		}
	}
	return out
}
