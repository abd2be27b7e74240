package natsjs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry/natsjs"
)

func TestMirrorLoadsThenFollows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	kv, err := e.EnsureKV(ctx, jetstream.KeyValueConfig{Bucket: "m"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a.1", "a.2", "b.1"} {
		if _, err := kv.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	initial := 0
	changed := make(chan struct{}, 10)
	m, err := natsjs.WatchKV(ctx, kv, []string{"a.*"}, func(en jetstream.KeyValueEntry, init bool) error {
		mu.Lock()
		defer mu.Unlock()
		if init {
			initial++
		}
		if en.Operation() == jetstream.KeyValuePut {
			seen[en.Key()] = string(en.Value())
		} else {
			delete(seen, en.Key())
		}
		if !init {
			changed <- struct{}{}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if initial != 2 || len(seen) != 2 || seen["a.1"] != "a.1" {
		t.Fatalf("initial load: %d entries, %v", initial, seen)
	}
	mu.Unlock()
	if err := kv.Delete(ctx, "a.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "b.2", nil); err != nil { // outside the filter
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "a.3", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case <-changed:
		case <-time.After(5 * time.Second):
			t.Fatal("a change was not applied")
		}
	}
	mu.Lock()
	if _, ok := seen["a.1"]; ok || seen["a.3"] != "x" || len(seen) != 2 {
		t.Fatalf("after changes: %v", seen)
	}
	mu.Unlock()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "a.4", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
		t.Fatal("an entry was applied after Stop")
	case <-time.After(100 * time.Millisecond):
	}

	// A load error ends WatchKV with it and leaves nothing running.
	bad := errors.New("bad entry")
	if _, err := natsjs.WatchKV(ctx, kv, nil, func(jetstream.KeyValueEntry, bool) error { return bad }); !errors.Is(err, bad) {
		t.Fatalf("load error = %v", err)
	}
}
