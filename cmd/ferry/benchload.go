package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// benchRoleEnv names the role a re-executed ferry (or test) binary plays for
// `ferry bench`: "client" (a load generator in its own process) or
// "function" (a trivial Go function speaking the Lambda Runtime API).
const benchRoleEnv = "FERRY_BENCH_ROLE"

// runBenchRole plays the role benchRoleEnv names, if any, and reports
// whether it did. main (and the tests' TestMain) call it first.
func runBenchRole() (bool, int) {
	switch os.Getenv(benchRoleEnv) {
	case "client":
		if err := benchClientMain(os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "ferry bench client:", err)
			return true, 1
		}
		return true, 0
	case "function":
		// The function serves until its process is stopped; it returns only on an error.
		err := benchFunctionMain(os.Getenv("AWS_LAMBDA_RUNTIME_API"))
		fmt.Fprintln(os.Stderr, "ferry bench function:", err)
		return true, 1
	}
	return false, 0
}

// loadSpec is one load run: conns keep-alive connections, each sending the
// same POST back to back for duration.
type loadSpec struct {
	URL      string            `json:"url"`
	Header   map[string]string `json:"header"`
	Body     string            `json:"body"`
	Want     int               `json:"want"`
	Conns    int               `json:"conns"`
	Duration time.Duration     `json:"duration"`
}

// loadResult is what a load run measured.
type loadResult struct {
	Requests int64         `json:"requests"`
	Failures int64         `json:"failures"`
	Elapsed  time.Duration `json:"elapsed"`
	// FirstFailure describes the first failed request.
	FirstFailure string `json:"firstFailure,omitempty"`
}

// Rate is successful requests per second.
func (r loadResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// runLoad sends s's requests from s.Conns goroutines, each over its own
// keep-alive TCP connection.
func runLoad(ctx context.Context, s loadSpec) loadResult {
	var (
		n, failed atomic.Int64
		first     sync.Once
		firstErr  string
		wg        sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(ctx, s.Duration)
	defer cancel()
	start := time.Now()
	for range max(s.Conns, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			body := []byte(s.Body)
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodPost, s.URL, bytes.NewReader(body))
				for k, v := range s.Header {
					req.Header.Set(k, v)
				}
				resp, err := c.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == s.Want {
						n.Add(1)
						continue
					}
					err = fmt.Errorf("status %d, want %d", resp.StatusCode, s.Want)
				}
				failed.Add(1)
				first.Do(func() { firstErr = err.Error() })
			}
		}()
	}
	wg.Wait()
	return loadResult{Requests: n.Load(), Failures: failed.Load(), Elapsed: time.Since(start), FirstFailure: firstErr}
}

// benchClientMain is the separate client process: it reads a loadSpec as
// JSON from its -spec argument, runs it and prints the loadResult as JSON.
func benchClientMain(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench-client", flag.ContinueOnError)
	spec := fs.String("spec", "", "load spec (JSON)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var s loadSpec
	if err := json.Unmarshal([]byte(*spec), &s); err != nil {
		return fmt.Errorf("-spec: %w", err)
	}
	return json.NewEncoder(out).Encode(runLoad(context.Background(), s))
}

// loadRunner runs a load spec: in a separate client process (exe set) or
// in this process's goroutines.
type loadRunner struct{ exe string }

func (l loadRunner) where() string {
	if l.exe != "" {
		return "a separate client process"
	}
	return "client goroutines in the server's process"
}

func (l loadRunner) run(ctx context.Context, s loadSpec) (loadResult, error) {
	if l.exe == "" {
		return runLoad(ctx, s), nil
	}
	spec, _ := json.Marshal(s)
	cmd := exec.CommandContext(ctx, l.exe, "-spec", string(spec))
	cmd.Env = append(os.Environ(), benchRoleEnv+"=client")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return loadResult{}, fmt.Errorf("client process: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var r loadResult
	if err := json.Unmarshal(out, &r); err != nil {
		return loadResult{}, fmt.Errorf("client process output %q: %w", out, err)
	}
	return r, nil
}

// benchFunctionMain is a trivial Go function: it answers every invocation
// with {"ok":true} through the Lambda Runtime API at api.
func benchFunctionMain(api string) error {
	if api == "" {
		return errors.New("AWS_LAMBDA_RUNTIME_API is not set")
	}
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	base := "http://" + api + "/2018-06-01/runtime/invocation/"
	answer := []byte(`{"ok":true}`)
	for {
		resp, err := c.Get(base + "next")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		if resp.StatusCode != http.StatusOK || id == "" {
			return fmt.Errorf("next invocation: status %d", resp.StatusCode)
		}
		r, err := c.Post(base+id+"/response", "application/json", bytes.NewReader(answer))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
}
