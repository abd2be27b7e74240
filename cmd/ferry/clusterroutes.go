package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/gateway"
)

// routesBucket keeps the gateway's route table, so every node of a cluster
// serves the routes applied on any of them (and a restarted node serves
// the last ones applied).
const (
	routesBucket = "ferry_routes"
	routesKey    = "table"
)

// sharedRoutes stores the route table in the engine and applies the table
// any node stores to this node's gateway. Its watch goroutine is joined on
// Stop.
type sharedRoutes struct {
	m *Main

	mu     sync.Mutex
	kv     jetstream.KeyValue
	rev    uint64 // latest revision applied or written
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *sharedRoutes) Start(ctx context.Context) error {
	kv, err := r.m.Engine.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: routesBucket, History: 1})
	if err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	w, err := kv.Watch(wctx, routesKey)
	if err != nil {
		cancel()
		return fmt.Errorf("routes: watch: %w", err)
	}
	for u := range w.Updates() {
		if u == nil {
			break
		}
		r.apply(u)
	}
	r.mu.Lock()
	r.kv, r.cancel, r.done = kv, cancel, make(chan struct{})
	r.mu.Unlock()
	go func() {
		defer close(r.done)
		defer w.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case u, ok := <-w.Updates():
				if !ok {
					return
				}
				if u != nil {
					r.apply(u)
				}
			}
		}
	}()
	return nil
}

func (r *sharedRoutes) Stop(context.Context) error {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// apply sets a stored table newer than the last one seen on the gateway.
func (r *sharedRoutes) apply(u jetstream.KeyValueEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u.Operation() != jetstream.KeyValuePut || u.Revision() <= r.rev {
		return
	}
	r.rev = u.Revision()
	var routes []gateway.Route
	if err := json.Unmarshal(u.Value(), &routes); err != nil {
		r.m.Config.Logger.Error("routes: unreadable stored route table", "err", err)
		return
	}
	if err := r.m.Gateway.SetRoutes(routes); err != nil {
		r.m.Config.Logger.Error("routes: stored route table refused", "err", err)
		return
	}
	r.m.mu.Lock()
	r.m.routeTable = routes
	r.m.mu.Unlock()
}

// publish stores the table this node just set, for every other node.
func (r *sharedRoutes) publish(routes []gateway.Route) error {
	r.mu.Lock()
	kv := r.kv
	r.mu.Unlock()
	if kv == nil {
		return nil
	}
	b, err := json.Marshal(routes)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rev, err := kv.Put(ctx, routesKey, b)
	if err != nil {
		return fmt.Errorf("store the route table: %w", err)
	}
	r.mu.Lock()
	r.rev = max(r.rev, rev)
	r.mu.Unlock()
	return nil
}
