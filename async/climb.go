package async

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Concurrency defaults.
const (
	// DefaultConcurrency is AWS's default account concurrency: how many
	// async invocations run at once across every function.
	DefaultConcurrency = 1000
	// climbWindow is how long the climber measures one level.
	climbWindow = 500 * time.Millisecond
	// climbHold is how many windows a level that could not be improved
	// on is kept before the climber probes again.
	climbHold = 8
)

// machineConcurrency is the most async invocations of one function this
// machine runs at once by default: eight per CPU. Each needs a function
// instance (a process), and the climber keeps far fewer when more do not
// add throughput.
func machineConcurrency() int { return 8 * runtime.NumCPU() }

// climber sizes a function's running invocations between 1 and max: it
// starts at four per CPU (an invocation spends much of its time on the
// store's round trips, during which it holds no function instance) and
// changes the level only while that adds throughput. Each window in which the level was the limit (events
// waited for a slot) it compares completions per second with the previous
// level's: a rise that gained at least 5% is kept and followed by another;
// one that did not is undone and the level held for climbHold windows,
// after which it probes again, alternately up and down (a lower level that
// loses less than 3% is kept: fewer instances for the same work).
type climber struct {
	max  int
	done atomic.Int64 // completions

	mu        sync.Mutex
	level     int
	start     time.Time // of the window
	startDone int64
	limited   bool    // the level held events back in this window
	lastRate  float64 // of the level before the probe; 0: no probe running
	prevLevel int
	hold      int
	down      bool // the next probe goes down
}

func newClimber(limit int) *climber {
	return &climber{max: limit, level: min(limit, 4*max(1, runtime.NumCPU())), start: time.Now()}
}

// Level is the number of invocations that may run now.
func (c *climber) Level() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.level
}

// Limited notes that an event waited because Level were running.
func (c *climber) Limited() {
	c.mu.Lock()
	c.limited = true
	c.mu.Unlock()
}

// Done counts a finished invocation.
func (c *climber) Done() { c.done.Add(1) }

// Tick closes the window when it is over and picks the next level.
func (c *climber) Tick(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := now.Sub(c.start)
	if el < climbWindow {
		return
	}
	done := c.done.Load()
	rate := float64(done-c.startDone) / el.Seconds()
	limited := c.limited
	c.start, c.startDone, c.limited = now, done, false
	if !limited {
		// No demand beyond the level: nothing to learn.
		c.lastRate = 0
		return
	}
	switch {
	case c.lastRate > 0 && c.level > c.prevLevel: // an upward probe
		if rate >= c.lastRate*1.05 {
			c.probe(rate, true)
			return
		}
		c.level, c.lastRate, c.hold = c.prevLevel, 0, climbHold
	case c.lastRate > 0 && c.level < c.prevLevel: // a downward probe
		if rate < c.lastRate*0.97 {
			c.level = c.prevLevel
		}
		c.lastRate, c.hold = 0, climbHold
	case c.hold > 0:
		c.hold--
	default:
		c.probe(rate, !c.down)
		c.down = !c.down
	}
}

// probe moves the level by a quarter (at least one) up or down, keeping
// rate to compare the new level with.
func (c *climber) probe(rate float64, up bool) {
	step := max(1, c.level/4)
	next := c.level + step
	if !up {
		next = c.level - step
	}
	next = min(max(next, 1), c.max)
	if next == c.level {
		c.lastRate = 0
		return
	}
	c.prevLevel, c.level, c.lastRate = c.level, next, rate
}
