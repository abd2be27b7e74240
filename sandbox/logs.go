package sandbox

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/ferry-run/ferry"
)

// Bounds on captured output kept in memory per instance.
const (
	maxInvocationLog = 1 << 20   // per invocation; beyond it lines are counted, not kept
	maxPendingLog    = 256 << 10 // output between invocations, shown before the next START
)

// logBook collects an instance's output per invocation. Lines written while no
// invocation runs (initialisation, between invocations) are kept and put in
// front of the next invocation's START line, as they appear in a log stream.
type logBook struct {
	fn    string
	onLog func(function, requestID string, line []byte)

	mu      sync.Mutex
	reqID   string
	buf     []byte
	pending []byte
	dropped int
}

// line is the supervisor's output sink.
func (l *logBook) line(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.onLog != nil {
		l.onLog(l.fn, l.reqID, b)
	}
	if l.reqID == "" {
		if len(l.pending)+len(b) < maxPendingLog {
			l.pending = append(append(l.pending, b...), '\n')
		}
		return
	}
	l.appendLocked(b)
}

func (l *logBook) appendLocked(b []byte) {
	if len(l.buf)+len(b) >= maxInvocationLog {
		l.dropped++
		return
	}
	l.buf = append(append(l.buf, b...), '\n')
}

// frame adds a line Ferry writes itself (START, END, REPORT, errors).
func (l *logBook) frame(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.onLog != nil {
		l.onLog(l.fn, l.reqID, []byte(s))
	}
	l.buf = append(append(l.buf, s...), '\n')
}

// begin starts the log of invocation id.
func (l *logBook) begin(id string) {
	l.mu.Lock()
	l.reqID = id
	l.buf = append(l.buf[:0], l.pending...)
	l.pending = l.pending[:0]
	l.dropped = 0
	l.mu.Unlock()
	l.frame("START RequestId: " + id + " Version: " + ferry.LatestVersion)
}

// end closes the log of the current invocation with END and REPORT and returns it.
func (l *logBook) end(res *ferry.Result, memoryMB int, peakRSS int64, status string) []byte {
	l.mu.Lock()
	if l.dropped > 0 {
		l.buf = fmt.Appendf(l.buf, "[ferry: %d log lines dropped, over %d bytes]\n", l.dropped, maxInvocationLog)
	}
	l.mu.Unlock()
	l.frame("END RequestId: " + res.RequestID)
	l.frame(reportLine(res, memoryMB, peakRSS, status))
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]byte(nil), l.buf...)
	l.buf = l.buf[:0]
	l.reqID = ""
	return out
}

func reportLine(res *ferry.Result, memoryMB int, peakRSS int64, status string) string {
	ms := float64(res.Duration) / float64(time.Millisecond)
	billed := max(int64(math.Ceil(ms)), 1)
	used := (peakRSS + (1<<20 - 1)) >> 20
	s := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		res.RequestID, ms, billed, memoryMB, used)
	if res.InitDuration > 0 {
		s += fmt.Sprintf("\tInit Duration: %.2f ms", float64(res.InitDuration)/float64(time.Millisecond))
	}
	if status != "" {
		s += "\tStatus: " + status
	}
	return s
}
