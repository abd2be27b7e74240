package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFerryProcess is not a test: run with FERRY_TEST_PROCESS set (by
// ferryProcess) it is the ferry command, with those arguments, in a process
// of its own.
func TestFerryProcess(t *testing.T) {
	args := os.Getenv("FERRY_TEST_PROCESS")
	if args == "" {
		return
	}
	os.Args = append([]string{"ferry"}, strings.Split(args, "\x1f")...)
	main()
	os.Exit(0)
}

// ferryProcess returns the ferry command line as a process (this test
// binary, re-executed), in its own process group, killed when the test ends.
func ferryProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFerryProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FERRY_TEST_PROCESS="+strings.Join(args, "\x1f"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	})
	return cmd
}

func TestSecondMainOnDataDirFails(t *testing.T) {
	t.Parallel()
	first := setupWith(t, Config{})
	dir := first.Config.DataDir

	second := NewMain(Config{DataDir: dir, APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0"})
	start := time.Now()
	err := second.Run(context.Background())
	if err == nil {
		second.Close(context.Background())
		t.Fatal("a second server started on a data dir in use")
	}
	want := fmt.Sprintf("data dir %s is in use by ferry (pid %d)", dir, os.Getpid())
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("second server: %v, want %q", err, want)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("second server took %v to fail", d)
	}
	if second.Engine != nil || second.apiLn != nil || second.gatewayLn != nil || len(second.started) != 0 {
		t.Fatal("the refused server opened the engine or a port")
	}

	// Once the first one closes, the data dir is free again.
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	third := NewMain(Config{DataDir: dir, APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0"})
	if err := third.Run(context.Background()); err != nil {
		t.Fatalf("after the first server closed: %v", err)
	}
	third.Close(context.Background())
}

func TestSecondProcessOnDataDirFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	holder := ferryProcess(t, "server", "--data", dir, "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0", "--log-level", "error",
		"--nats-listen", "127.0.0.1:0")
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	holder.Stderr = os.Stderr
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	// The banner says where the NATS port's credentials are.
	banner := "(clients present the credentials in " + filepath.Join(dir, "nats-credentials") + ")"
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ferry: NATS on nats://127.0.0.1:") && strings.HasSuffix(sc.Text(), banner) {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the first ferry server exited during start, or its banner does not say where the NATS credentials are")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the first ferry server did not start")
	}
	want := fmt.Sprintf("data dir %s is in use by ferry (pid %d)", dir, holder.Process.Pid)

	second := ferryProcess(t, "server", "--data", dir, "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0")
	var stderr bytes.Buffer
	second.Stderr = &stderr
	start := time.Now()
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- second.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-second.Process.Pid, syscall.SIGKILL)
		<-exited
		t.Fatalf("the second ferry server kept running on a data dir in use\n%s", stderr.String())
	}
	if err == nil {
		t.Fatalf("the second ferry server exited 0 on a data dir in use\n%s", stderr.String())
	}
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("second ferry server: %v", err)
	}
	if !strings.Contains(stderr.String(), want) {
		t.Fatalf("second ferry server said %q, want %q", stderr.String(), want)
	}
	t.Logf("second process refused in %v", time.Since(start))

	// An in-process server is refused the same way, naming the process.
	m := NewMain(Config{DataDir: dir, APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0"})
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), want) {
		m.Close(context.Background())
		t.Fatalf("in-process server: %v, want %q", err, want)
	}

	// The kernel drops the lock with the process, however it ends.
	_ = syscall.Kill(-holder.Process.Pid, syscall.SIGKILL)
	_ = holder.Wait()
	after := NewMain(Config{DataDir: dir, APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0"})
	if err := after.Run(context.Background()); err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	after.Close(context.Background())
}

func TestTakenPortStartsNothing(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"api", Config{APIAddr: taken.Addr().String(), GatewayAddr: "127.0.0.1:0"}, "API address " + taken.Addr().String()},
		{"gateway", Config{APIAddr: "127.0.0.1:0", GatewayAddr: taken.Addr().String()}, "gateway address " + taken.Addr().String()},
		{"nats", Config{APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0", NATSListen: taken.Addr().String()}, "NATS address " + taken.Addr().String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.cfg.DataDir = dir
			m := NewMain(tc.cfg)
			err := m.Run(context.Background())
			if err == nil {
				m.Close(context.Background())
				t.Fatal("started on a taken port")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "address already in use") {
				t.Fatalf("error %q, want it to name %s", err, tc.want)
			}
			if m.Engine != nil {
				t.Fatal("the engine was made before the port was found taken")
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != lockFileName {
					t.Errorf("the refused server left %s in the data dir", e.Name())
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "jetstream")); !os.IsNotExist(err) {
				t.Fatalf("the store was opened: %v", err)
			}
			// The lock and the other port were given back.
			l, err := lockDataDir(dir)
			if err != nil {
				t.Fatalf("lock after a refused start: %v", err)
			}
			l.release()
			if m.apiLn != nil && tc.name != "api" {
				ln, err := net.Listen("tcp", m.apiLn.Addr().String())
				if err != nil {
					t.Fatalf("the API port was kept: %v", err)
				}
				ln.Close()
			}
		})
	}
}
