package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

// BenchmarkInvokeWarmGo measures a synchronous invoke of a warm aws-lambda-go
// function through the Runtime API, reporting the latency percentiles.
func BenchmarkInvokeWarmGo(b *testing.B) {
	bb := setup(b, Options{OnLog: func(string, string, []byte) {}})
	fn := goFn("bench")
	req := &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"echo","value":"x"}`)}
	ctx := context.Background()
	if _, err := bb.pool.Invoke(ctx, fn, req); err != nil { // cold start outside the timing
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := bb.pool.Invoke(ctx, fn, req)
		lat = append(lat, time.Since(start))
		if err != nil || res.Failed() || res.InitDuration != 0 {
			b.Fatalf("invoke: %v %+v", err, res)
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkInvokeWarmFakeEcho is BenchmarkInvokeWarmGo with the minimal echo
// runtime of BenchmarkLoopbackFloor, so the two differ only by Ferry.
func BenchmarkInvokeWarmFakeEcho(b *testing.B) {
	bb := setup(b, Options{OnLog: func(string, string, []byte) {}})
	fn := fakeFnB(b, "echo")
	req := &ferry.InvokeRequest{Payload: json.RawMessage(`{"op":"echo","value":"x"}`)}
	ctx := context.Background()
	if _, err := bb.pool.Invoke(ctx, fn, req); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, 1<<16)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := bb.pool.Invoke(ctx, fn, req)
		lat = append(lat, time.Since(start))
		if err != nil || res.Failed() {
			b.Fatalf("invoke: %v %+v", err, res)
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkLoopbackFloor is the floor under a warm invoke: a bare net/http
// server handing one event to the same echo runtime process and taking its
// response, with none of Ferry's bookkeeping.
func BenchmarkLoopbackFloor(b *testing.B) {
	events, answers := make(chan []byte), make(chan []byte)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ev := <-events:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", "id")
			w.Write(ev)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		answers <- body
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	served := make(chan struct{})
	go func() { srv.Serve(ln); close(served) }()
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), fakeRuntimeEnv+"=echo", "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		srv.Close()
		<-served
	}()
	payload := []byte(`{"op":"echo","value":"x"}`)
	lat := make([]time.Duration, 0, 1<<16)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		events <- payload
		<-answers
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func fakeFnB(b *testing.B, mode string) *ferry.Function {
	dir := b.TempDir()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	script := "#!/bin/sh\nexec " + strconv.Quote(self) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	return &ferry.Function{Name: "fake-" + mode, Runtime: "provided", CodeDir: dir, Timeout: 5 * time.Second,
		Env: map[string]string{fakeRuntimeEnv: mode}}
}
