package history_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/history"
)

func TestListNewestFirstWithFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setup(t, history.Options{})
	put := func(inv *ferry.Invocation) {
		t.Helper()
		if err := s.PutInvocation(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		inv := &ferry.Invocation{RequestID: fmt.Sprintf("r%d", i), Function: []string{"a", "b"}[i%2], TraceID: "T" + fmt.Sprint(i%3)}
		put(inv)
	}
	// r0 finishes with a failure, r1 with a success (a newer version of each key).
	put(&ferry.Invocation{RequestID: "r0", Function: "a", TraceID: "T0", Condition: ferry.ConditionRetriesExhausted, Done: true})
	put(&ferry.Invocation{RequestID: "r1", Function: "b", TraceID: "T1", Condition: ferry.ConditionSuccess, Done: true})

	ids := func(f history.Filter) string {
		t.Helper()
		got, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, inv := range got {
			out += inv.RequestID + " "
		}
		return out
	}
	for _, tc := range []struct {
		f    history.Filter
		want string
	}{
		{history.Filter{}, "r1 r0 r5 r4 r3 r2 "},
		{history.Filter{Limit: 2}, "r1 r0 "},
		{history.Filter{Function: "a"}, "r0 r4 r2 "},
		{history.Filter{Status: history.StatusFailed}, "r0 "},
		{history.Filter{Status: history.StatusSucceeded}, "r1 "},
		{history.Filter{Status: history.StatusPending, Function: "b"}, "r5 r3 "},
		{history.Filter{TraceID: "T0"}, "r0 r3 "},
	} {
		if got := ids(tc.f); got != tc.want {
			t.Errorf("List(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	if _, err := s.List(ctx, history.Filter{Status: "weird"}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("bad status: %v", err)
	}
}
