// Package supervisor owns child processes for function instances: it starts a
// process in its own process group with a parent-death signal, captures its
// stdout and stderr line by line into a caller's sink, kills the whole group,
// reaps it, and reads its peak resident memory.
//
// The parent-death signal (Pdeathsig) fires when the OS thread that started the
// child exits, so each child is started and reaped from its own locked OS
// thread: a kill -9 of the server kills its function processes, and nothing
// else does.
package supervisor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/ferry-run/ferry"
)

// Spec describes a process to start.
type Spec struct {
	Path string   // executable; looked up in PATH when it has no slash
	Args []string // arguments after the program name
	Env  []string // the complete environment, "KEY=value"
	Dir  string   // working directory
	// Output receives each line the process writes to stdout or stderr,
	// without the trailing newline, in the order read. It is called from one
	// goroutine at a time; line is only valid during the call. May be nil.
	Output func(line []byte)
}

// Process is a started child process and its process group.
type Process struct {
	cmd      *exec.Cmd
	pid      int
	out      *lineReader
	done     chan struct{} // closed when the process has been reaped and its output drained
	outReady chan struct{} // closed once out is set
	err      error         // the exit error, set before done is closed
	maxRSS   int64         // bytes, from rusage, set before done is closed
}

// drainGrace bounds how long Wait waits for output after the group is killed
// (a descendant that left the group may still hold the pipe open).
const drainGrace = 2 * time.Second

// Start starts the process described by s.
func Start(s Spec) (*Process, error) {
	if s.Path == "" {
		return nil, ferry.Errorf(ferry.EINVALID, "supervisor: no program to start")
	}
	r, w, err := pipe()
	if err != nil {
		return nil, fmt.Errorf("supervisor: output pipe: %w", err)
	}
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Env = s.Env
	cmd.Dir = s.Dir
	cmd.Stdin = nil
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &Process{cmd: cmd, done: make(chan struct{}), outReady: make(chan struct{})}
	started := make(chan error, 1)
	go p.run(started)
	err = <-started
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("supervisor: start %s: %w", s.Path, err)
	}
	p.pid = cmd.Process.Pid
	p.out = newLineReader(r, s.Output)
	close(p.outReady)
	return p, nil
}

// run starts the process and reaps it on one locked OS thread: Pdeathsig is
// tied to the thread that forked, so that thread must outlive the child (a
// thread the runtime retires could otherwise kill it).
func (p *Process) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	p.wait()
}

// pipe returns a non-blocking read end (for the poller) and a blocking write end
// (for the child).
func pipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	if err := syscall.SetNonblock(fds[0], true); err != nil {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "output-r"), os.NewFile(uintptr(fds[1]), "output-w"), nil
}

func (p *Process) wait() {
	err := p.cmd.Wait()
	<-p.outReady
	// Take the rest of the group down with the leader.
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		p.maxRSS = ru.Maxrss * 1024
	}
	p.err = err
	select {
	case <-p.out.done:
	case <-time.After(drainGrace):
		p.out.close()
		<-p.out.done
	}
	close(p.done)
}

// Pid returns the process id, which is also its process group id.
func (p *Process) Pid() int { return p.pid }

// Done is closed once the process has exited, been reaped and its output drained.
func (p *Process) Done() <-chan struct{} { return p.done }

// Kill sends SIGKILL to the whole process group. It does not wait.
func (p *Process) Kill() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	err := syscall.Kill(-p.pid, syscall.SIGKILL)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("supervisor: kill group %d: %w", p.pid, err)
	}
	return nil
}

// Wait waits for the process to exit and its output to drain, and returns its
// exit error (nil for exit status 0; an *exec.ExitError otherwise).
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// ExitError returns the exit error once Done is closed, and nil before.
func (p *Process) ExitError() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Sync delivers to the sink every line the process wrote before Sync was
// called (up to 2 MiB of backlog). A line still missing its newline stays
// buffered.
func (p *Process) Sync() { p.out.sync() }

// PeakRSS returns the peak resident set size in bytes: VmHWM while the process
// runs, the kernel's maxrss after it has been reaped.
func (p *Process) PeakRSS() (int64, error) {
	select {
	case <-p.done:
		return p.maxRSS, nil
	default:
	}
	n, err := readVmHWM(p.pid)
	if err != nil {
		select {
		case <-p.done:
			return p.maxRSS, nil
		default:
		}
		return 0, err
	}
	return n, nil
}
