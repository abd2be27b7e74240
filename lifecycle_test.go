package ferry

import (
	"context"
	"testing"
	"time"
)

func TestGateOwnsGoroutinesAndRefusesAfterClose(t *testing.T) {
	var g Gate
	if first, err := g.Begin("svc"); !first || err != nil {
		t.Fatalf("first Begin = %v %v", first, err)
	}
	if first, err := g.Begin("svc"); first || err != nil {
		t.Fatalf("second Begin = %v %v, want a no-op", first, err)
	}
	ran := make(chan struct{})
	if !g.Go(func() { <-g.Stopping(); close(ran) }) {
		t.Fatal("Go refused on an open gate")
	}
	if !g.Close() || g.Close() {
		t.Fatal("Close reports the first close only")
	}
	if err := g.Wait(context.Background(), "svc"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	default:
		t.Fatal("Wait returned before the goroutine ended")
	}
	if g.Go(func() { t.Error("a goroutine ran after Close") }) {
		t.Fatal("Go accepted after Close")
	}
	if _, err := g.Begin("svc"); ErrorCode(err) != EUNAVAILABLE {
		t.Fatalf("Begin after Close = %v, want EUNAVAILABLE", err)
	}
}

func TestGateHoldsForeignWork(t *testing.T) {
	var g Gate
	release, ok := g.Hold()
	if !ok {
		t.Fatal("Hold refused on an open gate")
	}
	g.Close()
	if _, ok := g.Hold(); ok {
		t.Fatal("Hold accepted after Close")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.Wait(ctx, "svc"); err == nil {
		t.Fatal("Wait did not wait for the held work")
	}
	release()
	release() // idempotent
	if err := g.Wait(context.Background(), "svc"); err != nil {
		t.Fatal(err)
	}
}

func TestGateWaitGivesUpWithCtx(t *testing.T) {
	var g Gate
	release := make(chan struct{})
	g.Go(func() { <-release })
	g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.Wait(ctx, "svc"); err == nil {
		t.Fatal("Wait returned nil while a goroutine still ran")
	}
	close(release)
	if err := g.Wait(context.Background(), "svc"); err != nil {
		t.Fatal(err)
	}
}
