package supervisor

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// parentEnv makes the test binary act as a server that starts a child and waits.
const parentEnv = "SUPERVISOR_TEST_PARENT"

func TestMain(m *testing.M) {
	if os.Getenv(parentEnv) != "" {
		p, err := Start(Spec{Path: "sleep", Args: []string{"300"}, Env: []string{"PATH=/usr/bin:/bin"}})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(p.Pid())
		select {}
	}
	goleak.VerifyTestMain(m)
}

func TestServerKilledKillsChildren(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	server := exec.Command(self)
	server.Env = append(os.Environ(), parentEnv+"=1")
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("server said %q", line)
	}
	if deadOrZombie(child) {
		t.Fatalf("child %d not running", child)
	}
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	server.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for !deadOrZombie(child) {
		if time.Now().After(deadline) {
			syscall.Kill(child, syscall.SIGKILL)
			t.Fatalf("child %d survived kill -9 of its server", child)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) add(b []byte) {
	l.mu.Lock()
	l.l = append(l.l, string(b))
	l.mu.Unlock()
}

func (l *lines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

func setup(t *testing.T, script string) (*Process, *lines) {
	t.Helper()
	out := &lines{}
	p, err := Start(Spec{Path: "/bin/sh", Args: []string{"-c", script}, Dir: t.TempDir(), Env: []string{"GREETING=hi", "PATH=/usr/bin:/bin"}, Output: out.add})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill(); p.Wait() })
	return p, out
}

func TestOutputAndExitStatus(t *testing.T) {
	t.Parallel()
	p, out := setup(t, `echo "$GREETING"; echo err >&2; printf 'no newline'; exit 3`)
	err := p.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("Wait() = %v, want exit status 3", err)
	}
	got := strings.Join(out.get(), "|")
	if want := "hi|err|no newline"; got != want {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestKillTakesTheGroup(t *testing.T) {
	t.Parallel()
	p, out := setup(t, `sleep 300 & echo $!; wait`)
	deadline := time.Now().Add(10 * time.Second)
	for len(out.get()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no child pid printed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	child, err := strconv.Atoi(out.get()[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait() = %v, want signal: killed", err)
	}
	// The grandchild was in the group: it must be gone or a zombie awaiting
	// its new parent's reaping.
	for {
		if deadOrZombie(child) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still alive after group kill", child)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSyncDeliversWrittenLines(t *testing.T) {
	t.Parallel()
	// The script writes a line, then signals via a file; after seeing the
	// file, Sync must have delivered the line.
	dir := t.TempDir()
	p, out := setup(t, `echo first; touch `+dir+`/flag; exec sleep 300`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(dir + "/flag"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("flag never written")
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.Sync()
	if got := out.get(); len(got) != 1 || got[0] != "first" {
		t.Errorf("after Sync lines = %q, want [first]", got)
	}
	rss, err := p.PeakRSS()
	if err != nil || rss <= 0 {
		t.Errorf("PeakRSS() = %d, %v; want > 0", rss, err)
	}
}

func TestParseVmHWM(t *testing.T) {
	t.Parallel()
	got, err := parseVmHWM([]byte("Name:\tx\nVmPeak:\t 100 kB\nVmHWM:\t    2048 kB\n"))
	if err != nil || got != 2048*1024 {
		t.Errorf("parseVmHWM = %d, %v; want %d", got, err, 2048*1024)
	}
	if _, err := parseVmHWM([]byte("Name:\tx\n")); err == nil {
		t.Error("parseVmHWM without VmHWM: want error")
	}
}

func TestStartMissingProgram(t *testing.T) {
	t.Parallel()
	if _, err := Start(Spec{Path: "/nonexistent/bootstrap"}); err == nil {
		t.Fatal("Start of a missing program: want error")
	}
}

func deadOrZombie(pid int) bool {
	if errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// Format: pid (comm) state ...
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func TestLargeOutputArrivesWhole(t *testing.T) {
	t.Parallel()
	p, out := setup(t, `yes 0123456789 | head -n 300000; head -c 300000 /dev/zero | tr '\0' x; echo; head -c 524288 /dev/zero | tr '\0' y; echo; echo end`)
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	got := out.get()
	if len(got) != 300005 {
		t.Fatalf("got %d lines, want 300005 (300000 short, two long ones split at %d bytes, end)", len(got), maxLine)
	}
	if got[300004] != "end" || len(got[300002]) != maxLine || len(got[300003]) != maxLine {
		t.Errorf("a line of exactly 2*maxLine: parts %d, %d, then %q", len(got[300002]), len(got[300003]), got[300004])
	}
	if got[0] != "0123456789" || len(got[300000]) != maxLine || len(got[300001]) != 300000-maxLine {
		t.Errorf("unexpected split: first %q, long parts %d and %d bytes", got[0], len(got[300000]), len(got[300001]))
	}
}
