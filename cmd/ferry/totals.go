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
	"github.com/ferry-run/ferry/natsjs"
)

// totalsBucket keeps the async counters (Invocations, Errors, Throttles,
// dropped events, destination deliveries) across restarts.
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
	stats    *async.Stats
	interval time.Duration
	log      *slog.Logger

	kv    jetstream.KeyValue
	saved map[string]savedTotals // last written, by function
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newTotals(engine *natsjs.Engine, stats *async.Stats, interval time.Duration, log *slog.Logger) *totals {
	if interval <= 0 {
		interval = defaultTotalsInterval
	}
	return &totals{engine: engine, stats: stats, interval: interval, log: log, saved: map[string]savedTotals{}}
}

// totalsKey is a KV-safe key for a function name.
func totalsKey(function string) string {
	return "fn." + base64.RawURLEncoding.EncodeToString([]byte(function))
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
	for key := range keys.Keys() {
		name, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(key, "fn."))
		if err != nil {
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
		if _, err := t.kv.Put(ctx, totalsKey(fn), b); err != nil {
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
