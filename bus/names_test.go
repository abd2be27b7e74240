package bus_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
)

// TestNamesThatCannotBeKeysNeverReachTheEngine: the bus service itself
// refuses names that cannot be keys (the APIs check AWS's limits first;
// this is the last line), and the engine connection stays usable.
func TestNamesThatCannotBeKeysNeverReachTheEngine(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	long := strings.Repeat("r", 4100)
	if _, err := b.svc.DescribeReplay(ctx, long); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("DescribeReplay: err = %v, want invalid", err)
	}
	if _, err := b.svc.DescribeReplay(ctx, "no-such-replay"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("DescribeReplay of a missing replay: err = %v, want not found", err)
	}
	if _, err := b.svc.CreateBus(ctx, long, ""); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("CreateBus: err = %v, want invalid", err)
	}
	if _, err := b.svc.PutRule(ctx, bus.Rule{Bus: "default", Name: long, EventPattern: `{"source":["s"]}`}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("PutRule: err = %v, want invalid", err)
	}
	if b.eng.Conn().IsClosed() {
		t.Fatal("the engine connection was closed")
	}
	if _, err := b.svc.CreateBus(ctx, "after", ""); err != nil {
		t.Fatalf("CreateBus after the refused names: %v", err)
	}
}
