package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ferry-run/ferry"
)

// lockFileName is the file in the data dir a running server holds an
// exclusive flock on; it contains the server's pid.
const lockFileName = "ferry.lock"

// dataLock is the exclusive lock on a data dir. The kernel releases it when
// the process ends, however it ends.
type dataLock struct {
	f *os.File
}

// lockDataDir takes the data dir's lock without waiting; when another
// process holds it, the error names that process's pid.
func lockDataDir(dir string) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ferry.Errorf(ferry.ECONFLICT, "data dir %s is in use by ferry (pid %s)", dir, holderPID(f))
		}
		return nil, fmt.Errorf("lock data dir %s: %w", dir, err)
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt(pid, 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock data dir %s: %w", dir, err)
	}
	return &dataLock{f: f}, nil
}

// holderPID reads the pid the lock's holder wrote, waiting briefly for a
// holder that has the lock but has not written it yet.
func holderPID(f *os.File) string {
	for range 20 {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		if pid := strings.TrimSpace(string(b[:n])); pid != "" {
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "unknown"
}

// release clears the pid and drops the lock. Idempotent.
func (l *dataLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = l.f.Close()
	l.f = nil
}

// claim takes what must be Ferry's alone before anything opens the store or
// starts a worker: the data dir's lock, then the API and gateway ports (and
// a check that the NATS port is free). A second server on the same data
// dir, or on a taken port, fails here having touched nothing.
func (m *Main) claim() error {
	cfg := m.Config
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	m.lock = lock
	if m.apiLn, err = net.Listen("tcp", cfg.APIAddr); err != nil {
		m.unclaim()
		return fmt.Errorf("ferry: API address %s: %w", cfg.APIAddr, err)
	}
	if m.gatewayLn, err = net.Listen("tcp", cfg.GatewayAddr); err != nil {
		m.unclaim()
		return fmt.Errorf("ferry: gateway address %s: %w", cfg.GatewayAddr, err)
	}
	if cfg.NATSListen != "" && cfg.NATSURL == "" {
		// The embedded server listens itself, after opening the store;
		// a taken port is found here first.
		if _, port, err := net.SplitHostPort(cfg.NATSListen); err == nil && port != "0" {
			ln, err := net.Listen("tcp", cfg.NATSListen)
			if err != nil {
				m.unclaim()
				return fmt.Errorf("ferry: NATS address %s: %w", cfg.NATSListen, err)
			}
			ln.Close()
		}
	}
	return nil
}

// unclaim closes the ports no server took over and releases the data dir.
// Idempotent; called by Close after every part has stopped.
func (m *Main) unclaim() {
	for _, ln := range []net.Listener{m.apiLn, m.gatewayLn} {
		if ln != nil {
			_ = ln.Close() // already closed when its server shut down
		}
	}
	m.lock.release()
}
