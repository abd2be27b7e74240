package queue

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

func TestOldestMessageAge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Stop(ctx)
	s := New(e, Options{})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(ctx)
	if _, err := s.CreateQueue(ctx, "q", nil); err != nil {
		t.Fatal(err)
	}
	if age, err := s.OldestMessageAge(ctx, "q"); err != nil || age != 0 {
		t.Fatalf("empty queue: %v %v", age, err)
	}
	if _, err := s.SendMessage(ctx, "q", ferry.OutgoingMessage{Body: "x"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	age, err := s.OldestMessageAge(ctx, "q")
	if err != nil || age < 50*time.Millisecond || age > 10*time.Second {
		t.Fatalf("age = %v %v, want about 50 ms", age, err)
	}
	if _, err := s.OldestMessageAge(ctx, "nope"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("unknown queue: %v", err)
	}
}
