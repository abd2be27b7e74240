package supervisor

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"syscall"
)

// maxLine is the longest line delivered whole; longer output is split.
const maxLine = 256 << 10

// syncChunks bounds one Sync (64 reads of 32 KiB): a process writing without
// pause cannot hold its caller.
const syncChunks = 64

// lineReader reads a non-blocking pipe and splits it into lines. Every read
// happens under mu, from the background loop or from sync, so a sync that
// drains the pipe to EAGAIN has delivered everything written before it.
type lineReader struct {
	f    *os.File
	sink func([]byte)
	done chan struct{}

	mu      sync.Mutex
	buf     []byte
	pending []byte
	cut     bool // pending continues a line already delivered in part
	eof     bool
}

func newLineReader(f *os.File, sink func([]byte)) *lineReader {
	lr := &lineReader{f: f, sink: sink, done: make(chan struct{}), buf: make([]byte, 32<<10)}
	go lr.loop()
	return lr
}

func (lr *lineReader) loop() {
	defer close(lr.done)
	defer lr.f.Close()
	rc, err := lr.f.SyscallConn()
	if err != nil {
		return
	}
	// rc.Read parks on the poller whenever the callback returns false. The
	// lock is taken per chunk so Sync is never starved by a chatty process.
	_ = rc.Read(func(fd uintptr) bool {
		for {
			lr.mu.Lock()
			eof, empty := lr.drain(int(fd), 1)
			lr.mu.Unlock()
			if eof {
				return true
			}
			if empty {
				return false
			}
		}
	})
	lr.mu.Lock()
	lr.eof = true
	lr.flushPending()
	lr.mu.Unlock()
}

// drain reads up to maxChunks buffers; eof reports a closed pipe, empty an
// exhausted one. Caller holds mu.
func (lr *lineReader) drain(fd int, maxChunks int) (eof, empty bool) {
	if lr.eof {
		return true, true
	}
	for range maxChunks {
		n, err := syscall.Read(fd, lr.buf)
		if n > 0 {
			lr.split(lr.buf[:n])
			continue
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.EAGAIN) {
			return false, true
		}
		lr.eof = true // n == 0 (all writers closed) or a hard error
		return true, true
	}
	return false, false
}

func (lr *lineReader) split(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lr.pending = append(lr.pending, b...)
			if len(lr.pending) >= maxLine {
				full := len(lr.pending) / maxLine * maxLine
				lr.emit(lr.pending[:full])
				lr.pending = append(lr.pending[:0], lr.pending[full:]...)
				lr.cut = true
			}
			return
		}
		line := b[:i]
		if len(lr.pending) > 0 {
			lr.pending = append(lr.pending, line...)
			line = lr.pending
		}
		if len(line) > 0 || !lr.cut { // no empty tail after a line cut at maxLine
			lr.emit(line)
		}
		lr.pending = lr.pending[:0]
		lr.cut = false
		b = b[i+1:]
	}
}

func (lr *lineReader) flushPending() {
	if len(lr.pending) > 0 {
		lr.emit(lr.pending)
		lr.pending = lr.pending[:0]
	}
	lr.cut = false
}

// emit delivers line, split into pieces of at most maxLine bytes.
func (lr *lineReader) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if lr.sink == nil {
		return
	}
	for len(line) > maxLine {
		lr.sink(line[:maxLine])
		line = line[maxLine:]
	}
	lr.sink(line)
}

func (lr *lineReader) sync() {
	rc, err := lr.f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		lr.mu.Lock()
		lr.drain(int(fd), syncChunks)
		lr.mu.Unlock()
	})
}

// close unblocks the loop when a writer that left the group keeps the pipe open.
func (lr *lineReader) close() { lr.f.Close() }
