package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
)

// fakeRuntimeEnv makes the test binary act as a scripted Runtime API client.
const fakeRuntimeEnv = "SANDBOX_FAKE_RUNTIME"

// goCodeDir holds the built aws-lambda-go test function as "bootstrap".
var goCodeDir string

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeRuntimeEnv); mode != "" {
		os.Exit(fakeRuntime(mode))
	}
	dir, err := os.MkdirTemp("", "sandbox-testfn-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bootstrap"), "github.com/ferry-run/ferry/sandbox/internal/testfn")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test function:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	goCodeDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fakeRuntime is a misbehaving runtime driven by mode.
func fakeRuntime(mode string) int {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	post := func(path, errType, body string) int {
		req, _ := http.NewRequest("POST", api+path, strings.NewReader(body))
		if errType != "" {
			req.Header.Set("Lambda-Runtime-Function-Error-Type", errType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	next := func() string {
		resp, err := http.Get(api + "/invocation/next")
		if err != nil {
			os.Exit(3)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	}
	switch mode {
	case "exit-before-next":
		fmt.Println("dying during init")
		return 1
	case "init-error":
		post("/init/error", "Runtime.ImportModuleError",
			`{"errorMessage":"Cannot find module 'index'","errorType":"Runtime.ImportModuleError","stackTrace":["at load"]}`)
		return 1
	case "echo": // the smallest correct runtime: answer each event with itself
		for {
			resp, err := http.Get(api + "/invocation/next")
			if err != nil {
				return 3
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			post("/invocation/"+resp.Header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", "", string(body))
		}
	case "env": // answer each event with the instance's environment
		for {
			id := next()
			if id == "" {
				return 3
			}
			b, _ := json.Marshal(envMap())
			post("/invocation/"+id+"/response", "", string(b))
		}
	case "double-next": // two concurrent GET /next: the second is refused
		codes := make(chan int, 2)
		ids := make(chan string, 2)
		for range 2 {
			go func() {
				resp, err := http.Get(api + "/invocation/next")
				if err != nil {
					codes <- -1
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				codes <- resp.StatusCode
				if resp.StatusCode == 200 {
					ids <- resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
				}
			}()
		}
		id := <-ids
		refused := <-codes
		if refused == 200 {
			refused = <-codes
		}
		post("/invocation/"+id+"/response", "", fmt.Sprintf(`{"secondNext":%d}`, refused))
		next()
		return 0
	case "misbehave":
		id1 := next()
		wrongID := post("/invocation/not-"+id1+"/response", "", `"x"`)
		lateInit := post("/init/error", "X", `{}`)
		post("/invocation/"+id1+"/response", "", fmt.Sprintf(`{"wrongId":%d,"lateInitError":%d}`, wrongID, lateInit))
		double := post("/invocation/"+id1+"/response", "", `"again"`)
		id2 := next()
		post("/invocation/"+id2+"/error", "Custom.Header", `not json`)
		fmt.Println("double response status", double)
		id3 := next()
		post("/invocation/"+id3+"/response", "", fmt.Sprintf(`{"doubleResponse":%d}`, double))
		next()
		return 0
	}
	return 2
}

type bundle struct {
	pool *Pool
	logs *liveLogs
}

type liveLogs struct {
	mu    sync.Mutex
	lines []string
}

func (l *liveLogs) add(fn, id string, line []byte) {
	l.mu.Lock()
	l.lines = append(l.lines, fn+"|"+id+"|"+string(line))
	l.mu.Unlock()
}

func (l *liveLogs) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if x == s {
			return true
		}
	}
	return false
}

func setup(t testing.TB, opts Options) *bundle {
	t.Helper()
	ll := &liveLogs{}
	if opts.OnLog == nil {
		opts.OnLog = ll.add
	}
	p := New(opts)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return &bundle{pool: p, logs: ll}
}

// goFn returns a function running the aws-lambda-go test binary.
func goFn(name string) *ferry.Function {
	return &ferry.Function{Name: name, Runtime: "provided.al2023", CodeDir: goCodeDir, Memory: 256,
		Timeout: 5 * time.Second, Modified: time.Unix(1_700_000_000, 0)}
}

// fakeFn returns a function whose bootstrap re-executes the test binary in mode.
func fakeFn(t *testing.T, name, mode string) *ferry.Function {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nexec " + strconv.Quote(self) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return &ferry.Function{Name: name, Runtime: "provided", CodeDir: dir, Timeout: 5 * time.Second,
		Env: map[string]string{fakeRuntimeEnv: mode}}
}

func (b *bundle) invoke(t testing.TB, fn *ferry.Function, payload string) *ferry.Result {
	t.Helper()
	res, err := b.pool.Invoke(context.Background(), fn, &ferry.InvokeRequest{Function: fn.Name, Payload: json.RawMessage(payload)})
	if err != nil {
		t.Fatalf("Invoke(%s, %s): %v", fn.Name, payload, err)
	}
	return res
}

type reply struct {
	Op       string            `json:"op"`
	Value    string            `json:"value"`
	Pid      int               `json:"pid"`
	Env      map[string]string `json:"env"`
	ARN      string            `json:"arn"`
	Deadline int64             `json:"deadlineMs"`
}

func decode(t testing.TB, res *ferry.Result) reply {
	t.Helper()
	if res.Failed() {
		t.Fatalf("function failed: %s %s: %s\nlogs:\n%s", res.ErrorType, res.ErrorMessage, res.Payload, res.Logs)
	}
	var r reply
	if err := json.Unmarshal(res.Payload, &r); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	return r
}

// processGone reports whether pid no longer exists (our children are reaped).
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func errorPayload(t *testing.T, res *ferry.Result) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(res.Payload, &m); err != nil {
		t.Fatalf("error payload %s: %v", res.Payload, err)
	}
	return m
}

func logLines(res *ferry.Result) []string {
	return strings.Split(strings.TrimSuffix(string(bytes.TrimSpace(res.Logs)), "\n"), "\n")
}

func execLookPath(name string) (string, error) { return exec.LookPath(name) }
