package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferry-run/ferry"
)

// benchOptions configure `ferry bench`.
type benchOptions struct {
	Rounds      int
	Duration    time.Duration // of each load run
	Conns       int
	DrainEvents int
	// Client "process" runs the load generator in a separate process,
	// "goroutines" in this one.
	Client     string
	NodeBinary string
	SyncAlways bool
	// Exe is the binary re-executed as the client process and the Go
	// function (default: this executable).
	Exe string
	// Only limits the run to some of accept, sync and drain (empty: all).
	Only []string
	// CPUProfile, when set, receives a CPU profile of the server's process
	// over the measurements.
	CPUProfile string
	Out        io.Writer
	// Progress receives a line as each measurement starts.
	Progress io.Writer
}

func (o *benchOptions) runs(part string) bool {
	return len(o.Only) == 0 || slices.Contains(o.Only, part)
}

func (o *benchOptions) check() error {
	switch {
	case o.Rounds < 1:
		return ferry.Errorf(ferry.EINVALID, "--rounds must be >= 1, got %d", o.Rounds)
	case o.Duration <= 0:
		return ferry.Errorf(ferry.EINVALID, "--duration must be > 0, got %v", o.Duration)
	case o.Conns < 1:
		return ferry.Errorf(ferry.EINVALID, "--conns must be >= 1, got %d", o.Conns)
	case o.DrainEvents < 1:
		return ferry.Errorf(ferry.EINVALID, "--drain-events must be >= 1, got %d", o.DrainEvents)
	case o.Client != "process" && o.Client != "goroutines":
		return ferry.Errorf(ferry.EINVALID, "--client %q: want process or goroutines", o.Client)
	}
	for _, p := range o.Only {
		if p != "accept" && p != "sync" && p != "drain" {
			return ferry.Errorf(ferry.EINVALID, "--only %q: want accept, sync or drain", p)
		}
	}
	return nil
}

func newBenchCommand() *cobra.Command {
	o := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure Ferry against the plain HTTP floor on this machine, same run, and print the ratios",
		Long: `bench starts a throw-away Ferry server in a temporary data directory and measures, in
the same run and for --rounds rounds each (min / median / max):

  - a plain net/http server answering 202 (the floor) and Ferry accepting async invokes
    (Lambda API, InvocationType Event) from --conns keep-alive connections;
  - synchronous invokes of a warm Node.js function at 1 and at --conns connections;
  - the end-to-end drain of --drain-events queued events into their records on a
    queue, for a trivial Go function and a trivial Node.js function.

The load comes from a separate client process (--client process, the default) over real
TCP keep-alive connections. The output is a Markdown table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out, o.Progress = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runBench(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds of every measurement")
	fs.DurationVar(&o.Duration, "duration", 2*time.Second, "length of each HTTP load run")
	fs.IntVar(&o.Conns, "conns", 16, "keep-alive connections of the HTTP load")
	fs.IntVar(&o.DrainEvents, "drain-events", 5000, "events queued for each drain round")
	fs.StringVar(&o.Client, "client", "process", "where the HTTP load runs: process (a separate process) or goroutines (this one)")
	fs.StringVar(&o.NodeBinary, "node", "node", "Node.js binary")
	fs.BoolVar(&o.SyncAlways, "sync-always", false, "run the server with fsync on every write")
	fs.StringSliceVar(&o.Only, "only", nil, "run only these measurements: accept, sync, drain")
	fs.StringVar(&o.CPUProfile, "cpu-profile", "", "write a CPU profile of the server's process over the measurements to this file")
	return cmd
}

// series is one measurement's rounds.
type series struct {
	name, unit string
	vals       []float64
}

func (b *benchRun) step(format string, args ...any) {
	if b.o.Progress != nil {
		fmt.Fprintf(b.o.Progress, "ferry bench: "+format+"\n", args...)
	}
}

func (s *series) stats() (lo, med, hi float64) {
	v := append([]float64(nil), s.vals...)
	sort.Float64s(v)
	if len(v) == 0 {
		return 0, 0, 0
	}
	return v[0], v[len(v)/2], v[len(v)-1]
}

// benchRun is one `ferry bench` run.
type benchRun struct {
	o     benchOptions
	m     *Main
	load  loadRunner
	codes string // where function code is written
	notes []string
}

func runBench(ctx context.Context, o benchOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.Exe = exe
	}
	dir, err := os.MkdirTemp("", "ferry-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	m := NewMain(Config{
		DataDir: filepath.Join(dir, "data"), APIAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0",
		NodeBinary: o.NodeBinary, SyncAlways: o.SyncAlways,
	})
	if err := m.Run(ctx); err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = m.Close(cctx)
	}()
	b := &benchRun{o: o, m: m, codes: filepath.Join(dir, "code")}
	if o.Client == "process" {
		b.load.exe = o.Exe
	}
	fmt.Fprintf(o.Out, "ferry bench: %d CPUs (GOMAXPROCS %d), load from %s, %d keep-alive connections, %d rounds of %v; %d events per drain round\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), b.load.where(), o.Conns, o.Rounds, o.Duration, o.DrainEvents)
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var accept, syncs, drain []*series
	if o.runs("accept") {
		if accept, err = b.accept(ctx); err != nil {
			return err
		}
	}
	if o.runs("sync") {
		if syncs, err = b.syncNode(ctx); err != nil {
			return err
		}
	}
	if o.runs("drain") {
		if drain, err = b.drain(ctx); err != nil {
			return err
		}
	}
	all := append(append(accept, syncs...), drain...)
	fmt.Fprintln(o.Out, "| what | min | median | max |")
	fmt.Fprintln(o.Out, "|---|---:|---:|---:|")
	for _, s := range all {
		lo, med, hi := s.stats()
		fmt.Fprintf(o.Out, "| %s (%s) | %.0f | %.0f | %.0f |\n", s.name, s.unit, lo, med, hi)
	}
	ratio := func(a, b *series) float64 {
		_, x, _ := a.stats()
		_, y, _ := b.stats()
		if y == 0 {
			return 0
		}
		return x / y
	}
	fmt.Fprintln(o.Out)
	if accept != nil {
		fmt.Fprintf(o.Out, "ratio  Ferry async accept / net/http 202 floor (medians): %.2f\n", ratio(accept[1], accept[0]))
	}
	if syncs != nil {
		fmt.Fprintf(o.Out, "ratio  sync Node invoke, %d conns / 1 conn (medians): %.2f\n", o.Conns, ratio(syncs[1], syncs[0]))
	}
	for _, n := range b.notes {
		fmt.Fprintln(o.Out, n)
	}
	return nil
}

// accept measures the floor (a plain net/http server answering 202) and
// Ferry's async accept, alternating, o.Rounds times each.
func (b *benchRun) accept(ctx context.Context) ([]*series, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	floor := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = floor.Serve(ln) }()
	defer func() { _ = floor.Close(); wg.Wait() }()

	if err := b.putFunction(ctx, "bench-sink", nodeBenchCode, "nodejs20.x", ""); err != nil {
		return nil, err
	}
	// Only acceptance is measured: the function's queue is paused.
	if err := b.m.Async.Pause(ctx, "bench-sink"); err != nil {
		return nil, err
	}
	defer func() { _ = b.m.Functions.DeleteFunction(context.Background(), "bench-sink") }()
	body := `{"id":"bench","amount":1}`
	floorSpec := loadSpec{URL: "http://" + ln.Addr().String() + "/", Body: body, Want: 202, Conns: b.o.Conns, Duration: b.o.Duration,
		Header: map[string]string{"Content-Type": "application/json"}}
	ferrySpec := floorSpec
	ferrySpec.URL = b.m.APIURL() + "/2015-03-31/functions/bench-sink/invocations"
	ferrySpec.Header = map[string]string{"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"}
	fl := &series{name: "net/http answering 202 (the floor)", unit: "req/s"}
	fe := &series{name: "Ferry async accept, Lambda API Event invoke", unit: "202/s"}
	for range b.o.Rounds {
		for _, p := range []struct {
			s    *series
			spec loadSpec
		}{{fl, floorSpec}, {fe, ferrySpec}} {
			b.step("%s", p.s.name)
			r, err := b.load.run(ctx, p.spec)
			if err != nil {
				return nil, err
			}
			if r.Failures > 0 {
				return nil, fmt.Errorf("%s: %d requests failed (first: %s)", p.s.name, r.Failures, r.FirstFailure)
			}
			p.s.vals = append(p.s.vals, r.Rate())
		}
	}
	return []*series{fl, fe}, nil
}

// syncNode measures synchronous invokes of a warm Node.js function at one
// and at o.Conns connections.
func (b *benchRun) syncNode(ctx context.Context) ([]*series, error) {
	if err := b.putFunction(ctx, "bench-node-sync", nodeBenchCode, "nodejs20.x", ""); err != nil {
		return nil, err
	}
	defer func() { _ = b.m.Functions.DeleteFunction(context.Background(), "bench-node-sync") }()
	spec := loadSpec{URL: b.m.APIURL() + "/2015-03-31/functions/bench-node-sync/invocations", Body: `{"id":"bench"}`, Want: 200,
		Header: map[string]string{"Content-Type": "application/json"}, Duration: b.o.Duration}
	one := &series{name: "sync invoke, Node.js fn, 1 connection", unit: "req/s"}
	many := &series{name: fmt.Sprintf("sync invoke, Node.js fn, %d connections", b.o.Conns), unit: "req/s"}
	// Warm up one instance.
	warm := spec
	warm.Conns, warm.Duration = 1, min(b.o.Duration, 500*time.Millisecond)
	if r, err := b.load.run(ctx, warm); err != nil || r.Requests == 0 {
		return nil, fmt.Errorf("warm up the Node.js function: %v %s", err, r.FirstFailure)
	}
	for range b.o.Rounds {
		for _, p := range []struct {
			s     *series
			conns int
		}{{one, 1}, {many, b.o.Conns}} {
			b.step("%s", p.s.name)
			s := spec
			s.Conns = p.conns
			r, err := b.load.run(ctx, s)
			if err != nil {
				return nil, err
			}
			if r.Failures > 0 {
				return nil, fmt.Errorf("%s: %d requests failed (first: %s)", p.s.name, r.Failures, r.FirstFailure)
			}
			p.s.vals = append(p.s.vals, r.Rate())
		}
	}
	busy, idle := b.m.Pool.Stats("bench-node-sync")
	b.notes = append(b.notes, fmt.Sprintf("Node.js instances started for the sync invokes (at most %d connections): %d", b.o.Conns, busy+idle))
	return []*series{one, many}, nil
}

// drain queues o.DrainEvents events for a paused function, resumes it and
// times until every event's record is on the destination queue.
func (b *benchRun) drain(ctx context.Context) ([]*series, error) {
	goCode := "#!/bin/sh\nexec env " + benchRoleEnv + "=function " + shellQuote(b.o.Exe) + "\n"
	fns := []struct {
		name, code, runtime, label string
	}{
		{"bench-go", goCode, "provided.al2023", "async drain, trivial Go fn, queued -> records"},
		{"bench-node", nodeBenchCode, "nodejs20.x", "async drain, trivial Node.js fn, queued -> records"},
	}
	var out []*series
	for _, f := range fns {
		q := f.name + "-records"
		if _, err := b.m.Queues.CreateQueue(ctx, q, nil); err != nil {
			return nil, err
		}
		if err := b.putFunction(ctx, f.name, f.code, f.runtime, b.m.Config.Realm.QueueARN(q)); err != nil {
			return nil, err
		}
		s := &series{name: f.label, unit: "events/s"}
		// A first small round warms the instances and is not counted.
		if _, err := b.drainRound(ctx, f.name, q, min(200, b.o.DrainEvents)); err != nil {
			return nil, err
		}
		for range b.o.Rounds {
			rate, err := b.drainRound(ctx, f.name, q, b.o.DrainEvents)
			if err != nil {
				return nil, err
			}
			s.vals = append(s.vals, rate)
		}
		_ = b.m.Functions.DeleteFunction(ctx, f.name)
		out = append(out, s)
	}
	return out, nil
}

func (b *benchRun) drainRound(ctx context.Context, fn, q string, n int) (float64, error) {
	b.step("drain %d events of %s", n, fn)
	if err := b.m.Async.Pause(ctx, fn); err != nil {
		return 0, err
	}
	if err := b.m.Queues.PurgeQueue(ctx, q); err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				req := &ferry.InvokeRequest{Function: fn, Payload: []byte(`{"id":"bench","n":` + strconv.Itoa(i) + `}`)}
				if err := b.m.Async.InvokeAsync(ctx, req); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, fmt.Errorf("queue events for %s: %w", fn, err)
	}
	start := time.Now()
	if err := b.m.Async.Resume(ctx, fn); err != nil {
		return 0, err
	}
	deadline := start.Add(time.Duration(n)*10*time.Millisecond + 30*time.Second)
	for {
		attrs, err := b.m.Queues.GetQueueAttributes(ctx, q, []string{"ApproximateNumberOfMessages"})
		if err != nil {
			return 0, err
		}
		got, _ := strconv.Atoi(attrs["ApproximateNumberOfMessages"])
		if got >= n {
			return float64(n) / time.Since(start).Seconds(), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("drain of %s: %d of %d records after %v", fn, got, n, time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// putFunction writes code (index.js for Node.js, bootstrap for provided)
// and creates the function with no retries and records as its success and
// failure destination: a drain counts every outcome (an invocation that
// failed on an overloaded machine is counted, not waited for forever).
func (b *benchRun) putFunction(ctx context.Context, name, code, rt, onSuccess string) error {
	dir := filepath.Join(b.codes, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file, handler, mode := "index.js", "index.handler", os.FileMode(0o644)
	if strings.HasPrefix(rt, "provided") {
		file, handler, mode = "bootstrap", "bootstrap", 0o755
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(code), mode); err != nil {
		return err
	}
	zero := 0
	return b.m.Functions.PutFunction(ctx, &ferry.Function{
		Name: name, Runtime: rt, Handler: handler, CodeDir: dir, Timeout: 10 * time.Second,
		Async: ferry.AsyncConfig{MaximumRetryAttempts: &zero, OnSuccess: onSuccess, OnFailure: onSuccess},
	})
}

const nodeBenchCode = "exports.handler = async (event) => ({ ok: true });\n"

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
