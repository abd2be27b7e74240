package sandbox

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// A function's pool grows past one instance per CPU only while a new
// instance can add throughput: when the machine's CPUs are saturated, an
// invocation that finds no idle instance waits (at most spawnWait) for a
// running one to finish and takes it, instead of starting one more process
// to compete for the same CPUs. Instances that wait on I/O leave CPU idle,
// so their pool grows as before.
const (
	spawnWait      = 250 * time.Millisecond
	cpuSample      = 100 * time.Millisecond
	saturatedBelow = 0.10 // idle CPU share under which the machine is saturated
)

// softCap is how many instances a function gets without waiting first.
func softCap() int { return max(1, runtime.NumCPU()) }

// cpuMeter samples /proc/stat and tells whether the CPUs were saturated in
// the last sample. Where /proc/stat cannot be read it never reports
// saturation (pools grow as they did before).
type cpuMeter struct {
	saturated         atomic.Bool
	lastIdle, lastAll uint64
}

// run samples until stop closes.
func (m *cpuMeter) run(stop <-chan struct{}) {
	t := time.NewTicker(cpuSample)
	defer t.Stop()
	m.sample()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			m.sample()
		}
	}
}

func (m *cpuMeter) sample() {
	idle, all, ok := readProcStat()
	if !ok {
		return
	}
	if m.lastAll != 0 && all > m.lastAll {
		share := float64(idle-m.lastIdle) / float64(all-m.lastAll)
		m.saturated.Store(share < saturatedBelow)
	}
	m.lastIdle, m.lastAll = idle, all
}

// readProcStat returns the idle (idle + iowait) and total CPU jiffies.
func readProcStat() (idle, all uint64, ok bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0, false
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, 0, false
	}
	for i, s := range fields[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		all += v
		if i == 3 || i == 4 {
			idle += v
		}
	}
	return idle, all, true
}

// saturated reports whether a new instance would compete for busy CPUs.
func (p *Pool) saturated() bool {
	if p.opts.Saturated != nil {
		return p.opts.Saturated()
	}
	return p.cpu.saturated.Load()
}

// awaitHandoff waits for a finishing invocation of fs to hand over its
// instance. It returns nil (spawn one) after spawnWait, when the handed
// instance could not be reused, or when ctx ends. The caller holds p.mu;
// it is released while waiting and held again on return.
func (p *Pool) awaitHandoff(fs *fnState, done <-chan struct{}) *instance {
	ch := make(chan *instance, 1)
	fs.waiters = append(fs.waiters, ch)
	p.mu.Unlock()
	wait := p.opts.SpawnWait
	if wait <= 0 {
		wait = spawnWait
	}
	t := time.NewTimer(wait)
	var in *instance
	select {
	case in = <-ch:
	case <-t.C:
	case <-done:
	case <-p.stopCh:
	}
	t.Stop()
	p.mu.Lock()
	for i, w := range fs.waiters {
		if w == ch {
			fs.waiters = append(fs.waiters[:i], fs.waiters[i+1:]...)
			break
		}
	}
	if in == nil {
		select {
		case in = <-ch: // handed over just as the wait ended
		default:
		}
	}
	return in
}

// handoff gives in (nil: "start your own") to the longest waiting
// invocation of fs, if any; the caller holds p.mu.
func (fs *fnState) handoff(in *instance) bool {
	if len(fs.waiters) == 0 {
		return false
	}
	ch := fs.waiters[0]
	fs.waiters = fs.waiters[1:]
	ch <- in
	return true
}
