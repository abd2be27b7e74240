package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/async"
	"github.com/ferry-run/ferry/internal/natscluster"
)

// clusterPay answers with its parent's pid (which Ferry server ran it) and
// the directory its code ran from.
const clusterPay = `exports.handler = async (event) => ({ id: event.id, node: process.ppid, dir: __dirname });
`

// startClusterNode starts `ferry server` (this test binary re-run) on the
// cluster through natsURL, with its own data dir and API port (kept across
// restarts), and returns once it serves.
func startClusterNode(t *testing.T, data, api, natsURL, creds string) (*server, string) {
	t.Helper()
	s := &server{api: api, done: make(chan struct{}), fault: make(chan string, 1)}
	s.cmd = ferryProcess(t, "server", "--data", data, "--api", api, "--gateway", "127.0.0.1:0",
		"--nats-url", natsURL, "--nats-creds", creds, "--log-level", "error",
		"--clock-scale", "0.01", "--async-ack-wait", "2s", "--shutdown-timeout", "2s")
	s.cmd.Stderr = os.Stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	banner := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(out)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(sc.Text(), "JetStream") {
				select {
				case banner <- strings.Join(lines, "\n"):
				default:
				}
			}
		}
		_ = s.cmd.Wait()
	}()
	t.Cleanup(func() { s.kill() })
	select {
	case b := <-banner:
		return s, b
	case <-s.done:
		t.Fatal("ferry server exited during start")
	case <-time.After(60 * time.Second):
		t.Fatal("ferry server did not start")
	}
	return nil, ""
}

// TestClusterFaults runs two Ferry servers on a three-server JetStream
// cluster (each connected to a different NATS server) under a steady stream
// of async invokes sent through both: one NATS server is shut down hard,
// then one Ferry server is killed with SIGKILL, then each is restarted.
// Every accepted event must end as exactly one record on the destination
// queue.
func TestClusterFaults(t *testing.T) {
	t.Parallel()
	start := time.Now()
	ctx := context.Background()
	cl := natscluster.Start(t, 3)
	creds := cl.CredentialsFile()

	dataA, dataB := t.TempDir(), t.TempDir()
	apiA, apiB := freePort(t), freePort(t)
	a, bannerA := startClusterNode(t, dataA, apiA, cl.URL(0), creds)
	b, _ := startClusterNode(t, dataB, apiB, cl.URL(1), creds)
	dataOf := map[float64]string{float64(a.cmd.Process.Pid): dataA, float64(b.cmd.Process.Pid): dataB}
	if !strings.Contains(bannerA, "JetStream cluster "+cl.Name) || !strings.Contains(bannerA, "stores with 3 replicas") {
		t.Fatalf("start banner does not give the cluster and 3 replicas:\n%s", bannerA)
	}

	// The queue and the function are created once, through A.
	doneURL := a.queueURL(t, "done")
	createFunction(t, a.lambda(), fnSpec{name: "pay", runtime: "nodejs20.x", handler: "index.handler",
		zip: zipFiles(map[string]string{"index.js": clusterPay}, 0o644)})
	putDestinations(t, a.lambda(), "pay", 2, ferry.DefaultRealm.QueueARN("done"), "")
	eventually(t, 10*time.Second, "function and destination visible on B", func() error {
		out, err := b.lambda().GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("pay")})
		if err != nil {
			return err
		}
		if out.DestinationConfig == nil || out.DestinationConfig.OnSuccess == nil {
			return fmt.Errorf("no OnSuccess destination on B")
		}
		return nil
	})

	// Steady async invokes through both nodes; every 202 is counted with
	// its request id.
	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		via      = map[string]int{} // accepted events per API address
		refused  int
	)
	stop := make(chan struct{})
	var senders sync.WaitGroup
	for _, n := range []*server{a, b} {
		for w := range 2 {
			senders.Add(1)
			go func() {
				defer senders.Done()
				c := n.lambda()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					out, err := c.Invoke(rctx, &lambda.InvokeInput{FunctionName: aws.String("pay"), InvocationType: types.InvocationTypeEvent,
						Payload: fmt.Appendf(nil, `{"id":"%s-%d-%d"}`, n.api, w, i)})
					cancel()
					mu.Lock()
					if err == nil && out.StatusCode == 202 {
						if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); ok && id != "" {
							accepted[id] = true
							via[n.api]++
						}
					} else {
						refused++
					}
					mu.Unlock()
					if err != nil {
						time.Sleep(50 * time.Millisecond)
					} else {
						time.Sleep(20 * time.Millisecond)
					}
				}
			}()
		}
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(accepted) }
	perNode := func() (int, int) { mu.Lock(); defer mu.Unlock(); return via[apiA], via[apiB] }
	phase := func(what string, d time.Duration) {
		a0, b0 := perNode()
		time.Sleep(d)
		a1, b1 := perNode()
		t.Logf("%s: %d events accepted through A and %d through B in %v (%d in all)", what, a1-a0, b1-b0, d, count())
	}
	t.Logf("cluster and servers up, function created at %v", time.Since(start).Round(time.Millisecond))
	phase("steady", 2*time.Second)
	cl.Stop(0) // A's NATS server
	phase("NATS server 1 down", 3*time.Second)
	b.kill()
	phase("NATS server 1 and Ferry B down", 2*time.Second)
	cl.Restart(0)
	b, _ = startClusterNode(t, dataB, apiB, cl.URL(1), creds)
	dataOf[float64(b.cmd.Process.Pid)] = dataB
	phase("all restarted", 2*time.Second)
	close(stop)
	senders.Wait()
	t.Logf("senders stopped at %v", time.Since(start).Round(time.Millisecond))
	if count() < 100 {
		t.Fatalf("only %d events accepted; the test proves nothing", count())
	}

	// Wait for the async stream to empty, then take every record.
	nc, err := nats.Connect(cl.URLs(), nats.UserInfo(cl.User, cl.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	eventually(t, 40*time.Second, "async events all finished", func() error {
		st, err := js.Stream(ctx, async.StreamName)
		if err != nil {
			return err
		}
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs > 0 {
			return fmt.Errorf("%d events queued", info.State.Msgs)
		}
		if info.State.Consumers != 1 {
			t.Errorf("async stream has %d consumers, want the one durable shared by both servers", info.State.Consumers)
		}
		if info.Config.Replicas != 3 {
			t.Errorf("async stream has %d replicas, want 3", info.Config.Replicas)
		}
		return nil
	})
	t.Logf("async events finished at %v", time.Since(start).Round(time.Millisecond))
	seen := map[string]int{}
	nodes := map[float64]int{}
	extra := 0
	for _, body := range clusterDrain(t, a, doneURL) {
		rec := record(t, body)
		id, _ := path(rec, "requestContext", "requestId").(string)
		if !accepted[id] {
			extra++ // stored, but its sender saw an error (a node killed mid-answer)
		}
		seen[id]++
		n, _ := path(rec, "responsePayload", "node").(float64)
		nodes[n]++
		// Each server runs the function from its own data dir's copy.
		if dir, _ := path(rec, "responsePayload", "dir").(string); dataOf[n] == "" || !strings.HasPrefix(dir, dataOf[n]+string(os.PathSeparator)) {
			t.Fatalf("record %s: run by pid %v from %q, want a ferry server's own data dir (%v)", id, n, dir, dataOf)
		}
	}
	t.Logf("records drained at %v", time.Since(start).Round(time.Millisecond))
	lost, dup := 0, 0
	for id := range accepted {
		switch seen[id] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	t.Logf("%d accepted, %d lost, %d duplicated (%d refused while servers were down, %d stored without a 202, records run by %d Ferry processes) in %v",
		len(accepted), lost, dup, refused, extra, len(nodes), time.Since(start).Round(time.Millisecond))
	if lost > 0 || dup > 0 {
		t.Fatalf("%d of %d accepted events lost, %d duplicated", lost, len(accepted), dup)
	}
	if len(nodes) < 2 {
		t.Errorf("records were run by %d Ferry process(es) %v; the shared consumer should spread work over both servers", len(nodes), nodes)
	}
}

// clusterDrain receives and deletes every record on a queue until it stays
// empty for a second, and returns their bodies.
func clusterDrain(t *testing.T, s *server, url string) []string {
	t.Helper()
	var bodies []string
	var slow []string
	receives := 0
	for {
		t0 := time.Now()
		msgs := s.receive(t, url, 1)
		receives++
		if d := time.Since(t0); d > 300*time.Millisecond && len(msgs) > 0 {
			slow = append(slow, fmt.Sprintf("receive %d: %d msgs in %v", receives, len(msgs), d.Round(time.Millisecond)))
		}
		if len(msgs) == 0 {
			t.Logf("drained %d records in %d receives; slow: %v", len(bodies), receives, slow)
			return bodies
		}
		for _, m := range msgs {
			bodies = append(bodies, *m.Body)
			t0 := time.Now()
			if _, err := s.sqs().DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(t0); d > 300*time.Millisecond {
				slow = append(slow, fmt.Sprintf("delete after receive %d: %v", receives, d.Round(time.Millisecond)))
			}
		}
	}
}
