package async

import (
	"runtime"
	"testing"
)

// climb runs c for windows windows against a function whose throughput at
// a level is rate(level), with events always waiting, and returns the level
// it kept most often over the second half (probes come and go).
func climb(c *climber, windows int, rate func(level int) float64) int {
	now := c.start
	seen := map[int]int{}
	for i := range windows {
		c.done.Add(int64(rate(c.Level()) * climbWindow.Seconds()))
		c.Limited()
		now = now.Add(climbWindow)
		c.Tick(now)
		if i >= windows/2 {
			seen[c.Level()]++
		}
	}
	best := 0
	for l, n := range seen {
		if n > seen[best] {
			best = l
		}
	}
	return best
}

func TestClimberGrowsWhileThroughputGrows(t *testing.T) {
	t.Parallel()
	// Waiting on I/O: each instance adds 100 events/s, up to 48.
	c := newClimber(64)
	got := climb(c, 400, func(l int) float64 { return 100 * float64(min(l, 48)) })
	if got < 40 || got > 64 {
		t.Fatalf("level %d, want near 48 (throughput grows up to 48 instances)", got)
	}
}

func TestClimberStaysSmallWhenMoreDoNotHelp(t *testing.T) {
	t.Parallel()
	// CPU-bound on this machine: more instances than CPUs only add
	// contention.
	cpus := max(1, runtime.NumCPU())
	c := newClimber(64)
	got := climb(c, 400, func(l int) float64 {
		if l <= cpus {
			return 1000 * float64(l)
		}
		return 1000*float64(cpus) - 20*float64(l-cpus)
	})
	if got > cpus+max(1, cpus/4) {
		t.Fatalf("level %d, want at most about the %d CPUs (more only add contention)", got, cpus)
	}
	if start := newClimber(64).Level(); start <= cpus {
		t.Fatalf("the climber starts at %d, want above the %d CPUs (it came down from there)", start, cpus)
	}
	if got < 1 {
		t.Fatalf("level %d", got)
	}
}

func TestClimberKeepsLevelWithoutDemand(t *testing.T) {
	t.Parallel()
	c := newClimber(64)
	start := c.Level()
	now := c.start
	for range 50 {
		c.done.Add(10)
		now = now.Add(climbWindow)
		c.Tick(now) // never Limited: the level held nothing back
	}
	if c.Level() != start {
		t.Fatalf("level moved from %d to %d without demand", start, c.Level())
	}
}

func TestClimberNeverPassesItsMax(t *testing.T) {
	t.Parallel()
	c := newClimber(3)
	if got := climb(c, 200, func(l int) float64 { return 100 * float64(l) }); got != 3 {
		t.Fatalf("level %d, want the max 3", got)
	}
}
