package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-run/ferry/internal/natscluster"
	"github.com/ferry-run/ferry/natsjs"
)

// BenchmarkClusterAsync measures, with 1, 2 and 3 Ferry nodes on one
// 3-server JetStream cluster (stores with 3 replicas): async accept (Event
// invokes durably queued per second, sent over HTTP keep-alive by 16
// clients spread over the nodes, the function paused) and end-to-end drain
// (the queued events run by a warm Node.js function on every node, per
// second from resume to the last run). b.N is the number of events; run it
// with a fixed count, e.g.
//
//	go test -run '^$' -bench ClusterAsync -benchtime 2000x ./cmd/ferry
func BenchmarkClusterAsync(b *testing.B) {
	cl := natscluster.Start(b, 3)
	creds := cl.CredentialsFile()
	var run atomic.Int64
	for _, nodes := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			ctx := context.Background()
			var ms []*Main
			for i := range nodes {
				ms = append(ms, setupWith(b, Config{NATSURL: cl.URL(i), NATSAuth: natsjs.AuthConfig{CredentialsFile: creds},
					NodeName: fmt.Sprintf("bench-%d", i), ClockScale: 0.001}))
			}
			fn := fmt.Sprintf("sink%d", run.Add(1))
			createFunction(b, lambdaClient(ms[0]), nodeFn(fn))
			for _, m := range ms {
				for {
					if _, err := m.Functions.GetFunction(ctx, fn); err == nil {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			if err := ms[0].Async.Pause(ctx, fn); err != nil {
				b.Fatal(err)
			}
			// Warm one instance per node, so the drain measures runs, not starts.
			for _, m := range ms {
				if code, body, err := post(keepAliveClient(), invokeURL(m, fn), []byte(`{"id":"warm","amount":1}`), false); err != nil || code != 200 {
					b.Fatalf("warm-up invoke: %d %s %v", code, body, err)
				}
			}
			invocations := func() int64 {
				var n int64
				for _, m := range ms {
					n += m.Async.Stats().Get(fn).Invocations
				}
				return n
			}
			base := invocations()

			c := keepAliveClient()
			body := []byte(`{"id":"bench","amount":1}`)
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					url := invokeURL(ms[w%len(ms)], fn)
					for next.Add(1) <= int64(b.N) {
						if code, _, err := post(c, url, body, true); err != nil || code != 202 {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			accept := time.Since(start)
			if failed.Load() > 0 {
				b.Fatalf("%d invokes not accepted", failed.Load())
			}
			start = time.Now()
			if err := ms[0].Async.Resume(ctx, fn); err != nil {
				b.Fatal(err)
			}
			for invocations()-base < int64(b.N) {
				if time.Since(start) > 5*time.Minute {
					b.Fatalf("%d of %d events ran in 5 minutes", invocations()-base, b.N)
				}
				time.Sleep(5 * time.Millisecond)
			}
			drain := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/accept.Seconds(), "accepted/s")
			b.ReportMetric(float64(b.N)/drain.Seconds(), "drained/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
