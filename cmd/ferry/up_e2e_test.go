package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// upProcess is `ferry up` running as a child process, its output collected.
type upProcess struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	lines   []string
	done    chan struct{}
	gateway string
	api     string
}

func (p *upProcess) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// waitLine waits until a line matches re and returns its submatches.
func (p *upProcess) waitLine(t *testing.T, re *regexp.Regexp, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, l := range p.output() {
			if g := re.FindStringSubmatch(l); g != nil {
				return g
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no line matching %q within %v; output:\n%s", re, within, strings.Join(p.output(), "\n"))
	return nil
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// startUp starts `ferry up dir` with extra flags and a fresh state
// directory (where it keeps the stack's data).
func startUp(t *testing.T, bin, dir string, extra ...string) *upProcess {
	t.Helper()
	return startUpIn(t, bin, dir, t.TempDir(), extra...)
}

// startUpIn starts `ferry up dir` with state as its state directory.
func startUpIn(t *testing.T, bin, dir, state string, extra ...string) *upProcess {
	t.Helper()
	p := &upProcess{done: make(chan struct{}), gateway: freePort(t), api: freePort(t)}
	args := append([]string{"up", dir, "--api", p.api, "--gateway", p.gateway, "--log-level", "error", "--reload-poll", "100ms"}, extra...)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		_ = p.cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

func postPayment(t *testing.T, gateway string, id string, amount int) {
	t.Helper()
	resp, err := http.Post("http://"+gateway+"/payments", "application/json", strings.NewReader(fmt.Sprintf(`{"id":%q,"amount":%d}`, id, amount)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /payments: %s", resp.Status)
	}
}

// TestUpRunsThePaymentsExample runs `ferry up examples/payments` as a real
// process, POSTs payments to the gateway and sees each reach
// notifyCustomer or notifyPaymentsTeam; then edits a handler and sees the
// next invocation use it, without a restart.
func TestUpRunsThePaymentsExample(t *testing.T) {
	t.Parallel()
	bin := buildFerry(t)
	dir := t.TempDir()
	copyDir(t, "../../examples/payments", dir)
	p := startUp(t, bin, dir)
	p.waitLine(t, regexp.MustCompile(`ferry: payments \(serverless.yml, stage dev\) is up`), 60*time.Second)
	p.waitLine(t, regexp.MustCompile(`route +POST http://.*/payments`), time.Second)

	for i := range 6 {
		amount := 100 + i
		if i%3 == 0 {
			amount = 9000
		}
		postPayment(t, p.gateway, fmt.Sprintf("p%d", i), amount)
	}
	for i := range 6 {
		id := fmt.Sprintf("p%d", i)
		if i%3 == 0 {
			p.waitLine(t, regexp.MustCompile(`notifyPaymentsTeam [0-9a-f-]{36} .*alerting payments team: payment `+id+` failed \(RetriesExhausted\): payment `+id+` declined`), 30*time.Second)
		} else {
			p.waitLine(t, regexp.MustCompile(`notifyCustomer [0-9a-f-]{36} .*notifying customer: payment `+id+` of \d+ is paid$`), 30*time.Second)
		}
	}
	for _, l := range p.output() {
		customer, team := strings.Contains(l, "notifying customer"), strings.Contains(l, "alerting payments team")
		for i := range 6 {
			if strings.Contains(l, fmt.Sprintf("payment p%d ", i)) && (customer && i%3 == 0 || team && i%3 != 0) {
				t.Fatalf("payment p%d took the wrong path: %s", i, l)
			}
		}
	}

	// Hot reload: the next payment is handled by the edited code.
	src, err := os.ReadFile(filepath.Join(dir, "handler.js"))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "status: 'paid'", "status: 'paid-v2'", 1)
	if edited == string(src) {
		t.Fatal("handler.js no longer has the line this test edits")
	}
	if err := os.WriteFile(filepath.Join(dir, "handler.js"), []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, regexp.MustCompile(`ferry: reloaded payments-dev-processPayment`), 10*time.Second)
	postPayment(t, p.gateway, "p-after-edit", 50)
	p.waitLine(t, regexp.MustCompile(`notifying customer: payment p-after-edit of 50 is paid-v2`), 30*time.Second)

	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("ferry up did not stop on Ctrl-C")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("ferry up exited %d; output:\n%s", code, strings.Join(p.output(), "\n"))
	}
	p.waitLine(t, regexp.MustCompile(`ferry: stopping \(queued events are kept for the next run\)`), time.Second)
}
