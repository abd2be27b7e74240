package main

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/stack"
)

// loadPayments applies examples/payments to a fresh server.
func loadPayments(t *testing.T) (*Main, *stack.Stack) {
	t.Helper()
	return loadPaymentsFrom(t, "../../examples/payments")
}

// loadPaymentsFrom applies the payments example in dir to a fresh server.
func loadPaymentsFrom(t *testing.T, dir string) (*Main, *stack.Stack) {
	t.Helper()
	st, warnings, err := stack.Load(dir, stack.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Logf("warning: %s", w)
	}
	// AWS's clock: processPayment's 60 s maximum event age must not expire
	// while the first instances start.
	m := setup(t, 1)
	if err := m.Apply(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return m, st
}

var (
	notified = regexp.MustCompile(`notifying customer: payment (p\d+) of \d+ is paid`)
	alerted  = regexp.MustCompile(`alerting payments team: payment (p\d+) failed \(RetriesExhausted\): payment p\d+ declined`)
)

// outcomes reads which consumer saw each payment, from the functions' logs.
func outcomes(m *Main, st *stack.Stack) (customer, team map[string]int) {
	customer, team = map[string]int{}, map[string]int{}
	nc, _ := st.Function("notifyCustomer")
	nt, _ := st.Function("notifyPaymentsTeam")
	for _, l := range m.Logs.Recent(nc.Name, 0) {
		if g := notified.FindStringSubmatch(l.Text); g != nil {
			customer[g[1]]++
		}
	}
	for _, l := range m.Logs.Recent(nt.Name, 0) {
		if g := alerted.FindStringSubmatch(l.Text); g != nil {
			team[g[1]]++
		}
	}
	return customer, team
}

// TestPaymentsFlow: topic -> processPayment (async, destinations) ->
// success queue -> notifyCustomer, failure queue -> notifyPaymentsTeam;
// every payment lands on exactly one side.
func TestPaymentsFlow(t *testing.T) {
	t.Parallel()
	m, st := loadPayments(t)
	checkPaymentsFlow(t, m, st)
}

// TestPaymentsFlowPython: the same flow with examples/payments-python's
// Python handlers.
func TestPaymentsFlowPython(t *testing.T) {
	t.Parallel()
	m, st := loadPaymentsFrom(t, "../../examples/payments-python")
	checkPaymentsFlow(t, m, st)
}

func checkPaymentsFlow(t *testing.T, m *Main, st *stack.Stack) {
	t.Helper()
	const n = 20
	declined := func(i int) bool { return i%4 == 0 }
	for i := range n {
		amount := 10 + i
		if declined(i) {
			amount = 5000 + i
		}
		msg := fmt.Sprintf(`{"id":"p%d","amount":%d}`, i, amount)
		if _, err := m.Topics.Publish(context.Background(), "payments", ferry.Notification{Message: msg}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		customer, team := outcomes(m, st)
		if len(customer)+len(team) >= n {
			for i := range n {
				id := fmt.Sprintf("p%d", i)
				c, tm := customer[id], team[id]
				if declined(i) && (c != 0 || tm != 1) || !declined(i) && (c != 1 || tm != 0) {
					t.Fatalf("payment %s: notifyCustomer %d times, notifyPaymentsTeam %d times (declined %v)", id, c, tm, declined(i))
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: customer %v, team %v", customer, team)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
