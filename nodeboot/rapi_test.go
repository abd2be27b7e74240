package nodeboot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitFor bounds every wait on the child process.
const waitFor = 15 * time.Second

// event is what the fake Runtime API hands out on /next.
type event struct {
	ID            string
	Payload       string
	Deadline      time.Time
	ARN           string
	TraceID       string
	ClientContext string
	Identity      string
}

// post is one captured POST from the bootstrap.
type post struct {
	Kind      string // "response", "error" or "init"
	ID        string
	ErrorType string // Lambda-Runtime-Function-Error-Type
	Body      []byte
}

// errorDoc is the body of an /error or /init/error post.
type errorDoc struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

func (p post) errorDoc(t *testing.T) errorDoc {
	t.Helper()
	var d errorDoc
	if err := json.Unmarshal(p.Body, &d); err != nil {
		t.Fatalf("error body %q: %v", p.Body, err)
	}
	return d
}

// rapi is a minimal Runtime API server for tests: /next hands out events from
// a channel, posts are captured on another, and each /next arrival is
// signalled.
type rapi struct {
	srv    *httptest.Server
	events chan event
	posts  chan post
	nexts  chan struct{}
}

func newRAPI(t testing.TB) *rapi {
	r := &rapi{
		events: make(chan event, 8),
		posts:  make(chan post, 16),
		nexts:  make(chan struct{}, 16),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", r.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", r.capture("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", r.capture("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", r.capture("init"))
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rapi) addr() string { return strings.TrimPrefix(r.srv.URL, "http://") }

func (r *rapi) next(w http.ResponseWriter, req *http.Request) {
	select {
	case r.nexts <- struct{}{}:
	default:
	}
	var ev event
	select {
	case ev = <-r.events:
	case <-req.Context().Done():
		return
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", ev.ID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(ev.Deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", ev.ARN)
	if ev.TraceID != "" {
		h.Set("Lambda-Runtime-Trace-Id", ev.TraceID)
	}
	if ev.ClientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", ev.ClientContext)
	}
	if ev.Identity != "" {
		h.Set("Lambda-Runtime-Cognito-Identity", ev.Identity)
	}
	h.Set("Content-Type", "application/json")
	io.WriteString(w, ev.Payload)
}

func (r *rapi) capture(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.posts <- post{
			Kind:      kind,
			ID:        req.PathValue("id"),
			ErrorType: req.Header.Get("Lambda-Runtime-Function-Error-Type"),
			Body:      body,
		}
		w.WriteHeader(http.StatusAccepted)
	}
}

// invoke hands out an event with a 30 s deadline and returns its request id.
func (r *rapi) invoke(t testing.TB, payload string) string {
	t.Helper()
	id := fmt.Sprintf("req-%d", time.Now().UnixNano())
	r.events <- event{
		ID:       id,
		Payload:  payload,
		Deadline: time.Now().Add(30 * time.Second),
		ARN:      "arn:aws:lambda:us-east-1:000000000000:function:pay",
	}
	return id
}

// waitPost returns the next captured post.
func (r *rapi) waitPost(t testing.TB) post {
	t.Helper()
	select {
	case p := <-r.posts:
		return p
	case <-time.After(waitFor):
		t.Fatalf("no post from the bootstrap within %v", waitFor)
		return post{}
	}
}

// waitNext waits for the bootstrap to ask for the next invocation.
func (r *rapi) waitNext(t testing.TB) {
	t.Helper()
	select {
	case <-r.nexts:
	case <-time.After(waitFor):
		t.Fatalf("bootstrap did not ask for an invocation within %v", waitFor)
	}
}

// output collects the child's stdout and stderr.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// proc is a running bootstrap.
type proc struct {
	cmd  *exec.Cmd
	out  *output
	done chan struct{}
	err  error // from Wait, valid after done
}

// wait returns the exit code once the process exits.
func (p *proc) wait(t testing.TB) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitFor):
		t.Fatalf("bootstrap did not exit within %v; output:\n%s", waitFor, p.out)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("wait: %v", p.err)
	}
	return 0
}

// waitOutput polls the output until it contains s.
func (p *proc) waitOutput(t testing.TB, s string) string {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		out := p.out.String()
		if strings.Contains(out, s) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("output never contained %q; output:\n%s", s, out)
		}
		<-tick.C
	}
}

// fixture is a function's task root and the Runtime API serving it.
type fixture struct {
	root string
	api  *rapi
	boot string
}

func setup(t testing.TB, files map[string]string) *fixture {
	t.Helper()
	f := &fixture{root: t.TempDir(), api: newRAPI(t)}
	for name, body := range files {
		p := filepath.Join(f.root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	boot, err := Install(filepath.Join(t.TempDir(), "boot"))
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	f.boot = boot
	return f
}

// start runs `node <bootstrap>` for handler in its own process group; the
// group is killed in cleanup.
func (f *fixture) start(t testing.TB, handler string) *proc {
	t.Helper()
	return f.startEnv(t, handler)
}

// startEnv is start with extra environment variables.
func (f *fixture) startEnv(t testing.TB, handler string, extra ...string) *proc {
	t.Helper()
	cmd := exec.Command("node", f.boot)
	cmd.Dir = f.root
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+f.api.addr(),
		"_HANDLER="+handler,
		"LAMBDA_TASK_ROOT="+f.root,
		"AWS_LAMBDA_FUNCTION_NAME=pay",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/pay",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/11/01/[$LATEST]abc",
		"AWS_REGION=us-east-1",
	)
	cmd.Env = append(cmd.Env, extra...)
	out := &output{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	p := &proc{cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}
