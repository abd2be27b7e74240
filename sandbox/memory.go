package sandbox

import (
	"sync"
	"time"
)

// memoryPoll is how often a running invocation's memory is read.
const memoryPoll = 50 * time.Millisecond

// watchMemory enforces the function's memory size during one invocation:
// when the instance's peak resident memory passes limit bytes, exceeded is
// called (which kills the instance, as Lambda does). stop ends the watch
// and waits for it.
func (in *instance) watchMemory(limit int64, exceeded func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(memoryPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if rss, err := in.proc.PeakRSS(); err == nil && rss > limit {
					exceeded()
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}
