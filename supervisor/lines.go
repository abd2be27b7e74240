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
	// rc.Read parks on the poller whenever the callback returns false.
	_ = rc.Read(func(fd uintptr) bool {
		lr.mu.Lock()
		defer lr.mu.Unlock()
		return lr.drain(int(fd))
	})
	lr.mu.Lock()
	lr.eof = true
	lr.flushPending()
	lr.mu.Unlock()
}

// drain reads until the pipe is empty (false) or closed (true). Caller holds mu.
func (lr *lineReader) drain(fd int) bool {
	if lr.eof {
		return true
	}
	for {
		n, err := syscall.Read(fd, lr.buf)
		if n > 0 {
			lr.split(lr.buf[:n])
			continue
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.EAGAIN) {
			return false
		}
		lr.eof = true // n == 0 (all writers closed) or a hard error
		return true
	}
}

func (lr *lineReader) split(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lr.pending = append(lr.pending, b...)
			if len(lr.pending) >= maxLine {
				lr.flushPending()
			}
			return
		}
		line := b[:i]
		if len(lr.pending) > 0 {
			lr.pending = append(lr.pending, line...)
			line = lr.pending
		}
		lr.emit(line)
		lr.pending = lr.pending[:0]
		b = b[i+1:]
	}
}

func (lr *lineReader) flushPending() {
	if len(lr.pending) > 0 {
		lr.emit(lr.pending)
		lr.pending = lr.pending[:0]
	}
}

func (lr *lineReader) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if lr.sink != nil {
		lr.sink(line)
	}
}

func (lr *lineReader) sync() {
	rc, err := lr.f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		lr.mu.Lock()
		lr.drain(int(fd))
		lr.mu.Unlock()
	})
}

// close unblocks the loop when a writer that left the group keeps the pipe open.
func (lr *lineReader) close() { lr.f.Close() }
