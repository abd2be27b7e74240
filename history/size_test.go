package history_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/history"
	"github.com/ferry-run/ferry/internal/smalldisk"
	"github.com/ferry-run/ferry/natsjs"
)

func TestMaxBytesFor(t *testing.T) {
	t.Parallel()
	const mib, gib = 1 << 20, 1 << 30
	for _, c := range []struct {
		free uint64
		want int64
	}{
		{0, 16 * mib},
		{64 * mib, 16 * mib},
		{500 * mib, 50 * mib},
		{5 * gib, gib / 2},
		{80 * gib, gib},
	} {
		if got := history.MaxBytesFor(c.free); got != c.want {
			t.Errorf("MaxBytesFor(%d) = %d, want %d", c.free, got, c.want)
		}
	}
}

// TestDefaultSizeFitsSmallStore starts the history on a 64 MiB store, where
// a fixed 1 GiB bucket cannot be reserved.
func TestDefaultSizeFitsSmallStore(t *testing.T) {
	t.Parallel()
	for _, disk := range []*smalldisk.Disk{smalldisk.New(t, 64<<20), smalldisk.NewLimited(t, 64<<20)} {
		t.Run(disk.Kind, func(t *testing.T) {
			ctx := context.Background()
			e := natsjs.New(natsjs.Config{DataDir: disk.Dir, ServerConfig: disk.ServerConfig})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer e.Stop(ctx)
			if err := history.New(e, history.Options{MaxBytes: history.DefaultMaxBytes}).Start(ctx); err == nil {
				t.Error("a 1 GiB history started on a 64 MiB store; the test shows nothing")
			}
			s := history.New(e, history.Options{})
			if err := s.Start(ctx); err != nil {
				t.Fatalf("default history on a 64 MiB store: %v", err)
			}
			if got := s.MaxBytes(); got != history.MinMaxBytes {
				t.Errorf("MaxBytes = %d, want %d", got, history.MinMaxBytes)
			}
		})
	}
}

// TestFullHistoryDropsOldest writes more than the history holds: every
// write succeeds and the oldest records make room.
func TestFullHistoryDropsOldest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setup(t, history.Options{MaxBytes: 256 << 10})
	big := strings.Repeat("x", 16<<10)
	for i := range 40 {
		inv := &ferry.Invocation{RequestID: fmt.Sprintf("r%02d", i), Function: "f", Request: []byte(fmt.Sprintf("%q", big))}
		if err := s.PutInvocation(ctx, inv); err != nil {
			t.Fatalf("write %d into a full history: %v", i, err)
		}
	}
	if _, err := s.GetInvocation(ctx, "r00"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("oldest record: err = %v, want it dropped", err)
	}
	if _, err := s.GetInvocation(ctx, "r39"); err != nil {
		t.Errorf("newest record: %v", err)
	}
}
