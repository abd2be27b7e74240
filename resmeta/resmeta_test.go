package resmeta_test

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/resmeta"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStore: tags merge and are removed, concurrent taggers lose nothing,
// policies are returned exactly and logged once as accepted, not enforced,
// and Forget clears both; a second store on the same engine sees it all.
func TestStore(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	var logs syncBuffer
	s := resmeta.New(e, slog.New(slog.NewTextHandler(&logs, nil)))
	const arn = "arn:aws:sqs:us-east-1:000000000000:q"
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Tag(ctx, arn, map[string]string{"k" + string(rune('a'+i)): "v"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := s.Untag(ctx, arn, []string{"ka", "nope"}); err != nil {
		t.Fatal(err)
	}
	tags, err := resmeta.New(e, nil).Tags(ctx, arn)
	if err != nil || len(tags) != 7 || tags["ka"] != "" || tags["kh"] != "v" {
		t.Fatalf("tags = %v, %v; want kb..kh", tags, err)
	}
	many := map[string]string{}
	for i := range ferry.MaxTags {
		many[strings.Repeat("x", i+1)] = "v"
	}
	if err := s.Tag(ctx, arn, many); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("tagging past %d tags: %v", ferry.MaxTags, err)
	}
	const policy = `{"Version": "2012-10-17", "Statement": []}`
	for range 2 {
		if err := s.SetPolicy(ctx, arn, policy); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Policy(ctx, arn); err != nil || got != policy {
		t.Fatalf("Policy = %q, %v; want it exactly", got, err)
	}
	if n := strings.Count(logs.String(), "accepted, not enforced"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logs.String())
	}
	if err := s.Forget(ctx, arn); err != nil {
		t.Fatal(err)
	}
	tags, _ = s.Tags(ctx, arn)
	p, _ := s.Policy(ctx, arn)
	if len(tags) != 0 || p != "" {
		t.Fatalf("after Forget: tags %v, policy %q", tags, p)
	}
	mem := ferry.NewMemoryMeta()
	_ = mem.Tag(ctx, arn, map[string]string{"a": "1"})
	if got, _ := mem.Tags(ctx, arn); !maps.Equal(got, map[string]string{"a": "1"}) {
		t.Fatalf("MemoryMeta tags = %v", got)
	}
}
