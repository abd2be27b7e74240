package sandbox

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/ferry-run/ferry"
)

// instancesFor runs conc invokers of a warm-able echo function, each
// invoking n times, and returns how many distinct instances served them.
func instancesFor(t *testing.T, saturated bool, conc, n int) int {
	b := setup(t, Options{Saturated: func() bool { return saturated }})
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
				res, err := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"echo"}`)})
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

// TestSaturatedMachineReusesInstances: with every CPU busy, 12 concurrent
// invokers are served by about one instance per CPU, handed over as each
// invocation ends, where an idle machine starts an instance for each.
func TestSaturatedMachineReusesInstances(t *testing.T) {
	t.Parallel()
	const conc = 12
	busy := instancesFor(t, true, conc, 15)
	if busy > 2*softCap() {
		t.Errorf("saturated machine: %d instances for %d invokers, want about %d (one per CPU)", busy, conc, softCap())
	}
	free := instancesFor(t, false, conc, 3)
	if free <= busy {
		t.Errorf("idle machine: %d instances, saturated %d: the pool did not grow where CPU was free", free, busy)
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
