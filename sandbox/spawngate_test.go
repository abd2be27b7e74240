package sandbox

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

// instancesFor runs conc invokers of a warm-able echo function, each
// invoking n times, and returns how many distinct instances served them.
func instancesFor(t *testing.T, saturated bool, wait time.Duration, conc, n int, payload string) int {
	b := setup(t, Options{Saturated: func() bool { return saturated }, SpawnWait: wait})
	fn := goFn("gate")
	var (
		mu   sync.Mutex
		pids = map[int]bool{}
		wg   sync.WaitGroup
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				res, err := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{Payload: json.RawMessage(payload)})
				if err != nil || res.Failed() {
					t.Errorf("invoke: %v %+v", err, res)
					return
				}
				pid := decode(t, res).Pid
				mu.Lock()
				pids[pid] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(pids)
}

// handOverWait is a generous hand-over wait: how many instances start
// must not depend on how fast a cold start is on a loaded machine.
const handOverWait = 20 * time.Second

// TestSaturatedMachineReusesInstances: with every CPU busy, 12 concurrent
// invokers are served by about one instance per CPU, handed over as each
// invocation ends; a function that waits (sleeps) on a machine with idle
// CPU still gets an instance for each concurrent invocation.
func TestSaturatedMachineReusesInstances(t *testing.T) {
	t.Parallel()
	const conc = 12
	busy := instancesFor(t, true, handOverWait, conc, 15, `{"op":"echo"}`)
	if busy > 2*softCap() {
		t.Errorf("saturated machine: %d instances for %d invokers, want about %d (one per CPU)", busy, conc, softCap())
	}
	const sleepers = 6
	if free := instancesFor(t, false, 0, sleepers, 1, `{"op":"sleep","ms":600}`); free != sleepers {
		t.Errorf("idle machine: %d instances for %d concurrent sleeping invocations, want one each", free, sleepers)
	}
}

// TestBurstStartsOneInstancePerCPU: a burst of concurrent invocations on
// an idle machine starts about one instance per CPU and hands them over,
// instead of one process per invocation.
func TestBurstStartsOneInstancePerCPU(t *testing.T) {
	t.Parallel()
	if got := instancesFor(t, false, handOverWait, 12, 1, `{"op":"echo"}`); got > 2*softCap() {
		t.Errorf("burst of 12: %d instances, want about %d", got, softCap())
	}
}

func TestReadProcStat(t *testing.T) {
	t.Parallel()
	idle, all, ok := readProcStat()
	if !ok || all == 0 || idle > all {
		t.Fatalf("readProcStat = %d, %d, %v", idle, all, ok)
	}
	var m cpuMeter
	m.sample()
	if m.lastAll == 0 {
		t.Fatal("the meter kept no sample")
	}
}
