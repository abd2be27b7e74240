package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	pct := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func invokeURL(m *Main, fn string) string {
	return m.APIURL() + "/2015-03-31/functions/" + fn + "/invocations"
}

func keepAliveClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
}

func post(c *http.Client, url string, body []byte, event bool) (int, []byte, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if event {
		req.Header.Set("X-Amz-Invocation-Type", "Event")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// BenchmarkAsyncAccept: Event invokes accepted (durably queued) per second
// over HTTP with keep-alive, from one client process.
func BenchmarkAsyncAccept(b *testing.B) {
	m := setupBench(b)
	createFunction(b, lambdaClient(m), nodeFn("sink"))
	// Only acceptance is measured: the function's queue is paused.
	if err := m.Async.Pause(context.Background(), "sink"); err != nil {
		b.Fatal(err)
	}
	c := keepAliveClient()
	url := invokeURL(m, "sink")
	body := []byte(`{"id":"bench","amount":1}`)
	var failed atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code, _, err := post(c, url, body, true); err != nil || code != 202 {
				failed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if failed.Load() > 0 {
		b.Fatalf("%d invokes not accepted", failed.Load())
	}
}

// BenchmarkInvokeToRecord: an Event invoke of a warm Node.js function until
// its success record is readable on the destination queue.
func BenchmarkInvokeToRecord(b *testing.B) {
	m := setupBench(b)
	c := lambdaClient(m)
	createFunction(b, c, nodeFn("pay"))
	putDestinations(b, c, "pay", 0, createQueue(b, m, "records"), "")
	hc := keepAliveClient()
	url := invokeURL(m, "pay")
	body := []byte(`{"id":"bench","amount":1}`)
	once := func() time.Duration {
		start := time.Now()
		if code, resp, err := post(hc, url, body, true); err != nil || code != 202 {
			b.Fatalf("invoke: %d %s %v", code, resp, err)
		}
		for {
			msgs, err := m.Queues.ReceiveMessages(context.Background(), "records", ferry.ReceiveOptions{MaxMessages: 1, WaitTime: 5 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			if len(msgs) == 1 {
				d := time.Since(start)
				_ = m.Queues.DeleteMessage(context.Background(), "records", msgs[0].ReceiptHandle)
				return d
			}
		}
	}
	once() // warm the instance
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		lat = append(lat, once())
	}
	reportPercentiles(b, lat)
}

// BenchmarkSyncInvokeGo: RequestResponse invokes of a warm aws-lambda-go
// bootstrap over the Lambda API.
func BenchmarkSyncInvokeGo(b *testing.B) {
	m := setupBench(b)
	createFunction(b, lambdaClient(m), goFn(b, "gopay"))
	hc := keepAliveClient()
	url := invokeURL(m, "gopay")
	body := []byte(`{"id":"bench","amount":1}`)
	if code, resp, err := post(hc, url, body, false); err != nil || code != 200 {
		b.Fatalf("warm-up: %d %s %v", code, resp, err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if code, resp, err := post(hc, url, body, false); err != nil || code != 200 {
			b.Fatalf("invoke: %d %s %v", code, resp, err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

// BenchmarkLoopbackHTTPFloor is the same request/response over a bare
// loopback HTTP server: the floor Ferry's sync invoke overhead is measured
// against.
func BenchmarkLoopbackHTTPFloor(b *testing.B) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(body)
	})}
	ln := listenLoopback(b)
	go srv.Serve(ln)
	defer srv.Close()
	hc := keepAliveClient()
	url := fmt.Sprintf("http://%s/", ln.Addr())
	body := []byte(`{"id":"bench","amount":1}`)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if code, _, err := post(hc, url, body, false); err != nil || code != 200 {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}
