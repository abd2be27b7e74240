package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
)

// server is a `ferry server` child process.
type server struct {
	cmd  *exec.Cmd
	data string
	api  string
	nats string
	done chan struct{}
	// fault receives the fault points the server reports reaching.
	fault chan string
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func buildFerry(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ferry")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startServer(t *testing.T, bin, data string, extra ...string) *server {
	t.Helper()
	return startServerEnv(t, bin, data, nil, extra...)
}

// startServerEnv starts a server with env added to its environment.
func startServerEnv(t *testing.T, bin, data string, env []string, extra ...string) *server {
	t.Helper()
	s := &server{data: data, api: freePort(t), nats: freePort(t), done: make(chan struct{}), fault: make(chan string, 1)}
	args := append([]string{"server", "--data", data, "--api", s.api, "--gateway", "127.0.0.1:0", "--nats-listen", s.nats, "--log-level", "error"}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd.Stderr = os.Stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(out)
		once := sync.Once{}
		for sc.Scan() {
			if strings.Contains(sc.Text(), "AWS APIs on") {
				once.Do(func() { close(ready) })
			}
			if p, ok := strings.CutPrefix(sc.Text(), "ferry: fault point "); ok {
				select {
				case s.fault <- strings.TrimSuffix(p, " reached"):
				default:
				}
			}
		}
		_ = s.cmd.Wait()
	}()
	t.Cleanup(func() { s.kill() })
	select {
	case <-ready:
	case <-s.done:
		t.Fatal("ferry server exited during start")
	case <-time.After(60 * time.Second):
		t.Fatal("ferry server did not start")
	}
	return s
}

func (s *server) kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

func (s *server) terminate(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		t.Fatal("ferry server did not stop on SIGTERM")
	}
}

func (s *server) lambda() *lambda.Client {
	return lambda.New(lambda.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://" + s.api), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// streamMsgs reads a stream's message count through the server's NATS port.
func (s *server) streamMsgs(t *testing.T, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	st, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return info.State.Msgs
}

// processesUnder lists live processes whose command line mentions dir.
func processesUnder(dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), dir) {
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && !strings.Contains(string(st), ") Z ") {
				out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
			}
		}
	}
	return out
}

// TestKill9LosesNoEvent accepts 1,200 async events, kills the server with
// SIGKILL while they are queued and running, restarts it, and checks that
// every event's record was delivered exactly once.
func TestKill9LosesNoEvent(t *testing.T) {
	t.Parallel()
	const events = 1200
	bin := buildFerry(t)
	data := t.TempDir()

	// The destination queues are created on the same data dir beforehand.
	pre := NewMain(Config{DataDir: data, APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0"})
	if err := pre.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"done", "failed"} {
		if _, err := pre.Queues.CreateQueue(context.Background(), q, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := pre.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	srv := startServer(t, bin, data, "--clock-scale", "0.01")
	c := srv.lambda()
	createFunction(t, c, goFn(t, "pay"))
	putDestinations(t, c, "pay", 0, ferry.DefaultRealm.QueueARN("done"), ferry.DefaultRealm.QueueARN("failed"))

	failing := func(i int) bool { return i%7 == 0 }
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				payload := fmt.Sprintf(`{"id":"e%04d","amount":%d,"fail":%v,"sleepMs":20}`, i, i, failing(i))
				_, err := c.Invoke(context.Background(), &lambda.InvokeInput{
					FunctionName: aws.String("pay"), InvocationType: "Event", Payload: []byte(payload)})
				if err != nil {
					t.Errorf("invoke %d: %v", i, err)
				}
			}
		}()
	}
	for i := range events {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	nc := natsConnect(t, "nats://"+srv.nats, data)
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(30 * time.Second)
	for srv.streamMsgs(t, js, "FERRYQ_done") < 100 {
		if time.Now().After(deadline) {
			t.Fatal("no records delivered before the kill")
		}
		time.Sleep(5 * time.Millisecond)
	}
	pending := srv.streamMsgs(t, js, async.StreamName)
	nc.Close()
	srv.kill()
	if pending == 0 {
		t.Fatal("every event had finished before the kill; the test proves nothing")
	}
	t.Logf("killed with %d of %d events still queued or running", pending, events)

	deadline = time.Now().Add(5 * time.Second)
	for left := processesUnder(data); len(left) > 0; left = processesUnder(data) {
		if time.Now().After(deadline) {
			t.Fatalf("function processes outlived the killed server: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}

	srv = startServer(t, bin, data, "--clock-scale", "0.01")
	nc = natsConnect(t, "nats://"+srv.nats, data)
	js, _ = jetstream.New(nc)
	deadline = time.Now().Add(90 * time.Second)
	for srv.streamMsgs(t, js, async.StreamName) > 0 || srv.streamMsgs(t, js, "FERRYQ_done")+srv.streamMsgs(t, js, "FERRYQ_failed") < events {
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %d events queued, %d+%d records", srv.streamMsgs(t, js, async.StreamName),
				srv.streamMsgs(t, js, "FERRYQ_done"), srv.streamMsgs(t, js, "FERRYQ_failed"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	nc.Close()
	srv.terminate(t)

	post := NewMain(Config{DataDir: data, APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0"})
	if err := post.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer post.Close(context.Background())
	seen := map[string]int{}
	for _, q := range []string{"done", "failed"} {
		for {
			msgs, err := post.Queues.ReceiveMessages(context.Background(), q, ferry.ReceiveOptions{MaxMessages: 10, WaitTime: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) == 0 {
				break
			}
			for _, m := range msgs {
				rec := record(t, m.Body)
				id, _ := path(rec, "requestPayload", "id").(string)
				cond, _ := path(rec, "requestContext", "condition").(string)
				var i int
				fmt.Sscanf(id, "e%04d", &i)
				wantCond, wantQ := "Success", "done"
				if failing(i) {
					wantCond, wantQ = "RetriesExhausted", "failed"
				}
				if cond != wantCond || q != wantQ {
					t.Fatalf("event %s: %s record on %s, want %s on %s", id, cond, q, wantCond, wantQ)
				}
				seen[id]++
				_ = post.Queues.DeleteMessage(context.Background(), q, m.ReceiptHandle)
			}
		}
	}
	var missing, dup []string
	for i := range events {
		id := fmt.Sprintf("e%04d", i)
		switch n := seen[id]; {
		case n == 0:
			missing = append(missing, id)
		case n > 1:
			dup = append(dup, fmt.Sprintf("%s x%d", id, n))
		}
	}
	if len(missing) > 0 || len(dup) > 0 || len(seen) != events {
		t.Fatalf("%d distinct records; missing %v; duplicated %v", len(seen), missing, dup)
	}
}
