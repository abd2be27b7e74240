package rapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeRuntime hands out one queued invocation and records what comes back.
type fakeRuntime struct {
	next    chan *Invocation
	entered chan struct{}
	mu      sync.Mutex
	cur     string
	got     []string // "response id body", "error id type body", "init type body"
}

func (f *fakeRuntime) Next(ctx context.Context) (*Invocation, error) {
	select {
	case f.entered <- struct{}{}:
	default:
	}
	select {
	case inv := <-f.next:
		f.mu.Lock()
		f.cur = inv.RequestID
		f.mu.Unlock()
		return inv, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *fakeRuntime) check(id string) error {
	if f.cur == "" {
		return ErrInvalidState("no invocation in progress")
	}
	if id != f.cur {
		return ErrInvalidRequestID(id)
	}
	return nil
}

func (f *fakeRuntime) Respond(id string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(id); err != nil {
		return err
	}
	f.got = append(f.got, "response "+id+" "+string(body))
	return nil
}

func (f *fakeRuntime) Fail(id, typ string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(id); err != nil {
		return err
	}
	f.got = append(f.got, "error "+id+" "+typ+" "+string(body))
	return nil
}

func (f *fakeRuntime) InitFail(typ string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, "init "+typ+" "+string(body))
	return nil
}

type bundle struct {
	rt   *fakeRuntime
	base string
	srv  *Server
}

func setup(t *testing.T) *bundle {
	t.Helper()
	rt := &fakeRuntime{next: make(chan *Invocation, 1), entered: make(chan struct{}, 1)}
	srv := New(rt, nil)
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		if err := srv.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return &bundle{rt: rt, base: "http://" + srv.Addr() + prefix, srv: srv}
}

func post(t *testing.T, url string, hdr map[string]string, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestNextDeliversHeadersAndPayload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	deadline := time.UnixMilli(1_800_000_000_123)
	b.rt.next <- &Invocation{RequestID: "r1", Payload: []byte(`{"a":1}`), Deadline: deadline,
		FunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:f", TraceID: "Root=1-x", ClientContext: `{"custom":{}}`}
	resp, err := http.Get(b.base + "/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"a":1}` {
		t.Fatalf("next = %d %q", resp.StatusCode, body)
	}
	for h, want := range map[string]string{
		HeaderRequestID: "r1", HeaderDeadlineMs: "1800000000123", HeaderTraceID: "Root=1-x",
		HeaderFunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:f", HeaderClientContext: `{"custom":{}}`,
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
}

func TestResponseErrorAndStateChecks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Before any invocation: wrong state.
	code, body := post(t, b.base+"/invocation/r1/response", nil, `1`)
	if code != 403 || !strings.Contains(body, `"errorType":"InvalidStateTransition"`) {
		t.Errorf("response before next = %d %s, want 403 InvalidStateTransition", code, body)
	}
	b.rt.next <- &Invocation{RequestID: "r1", Payload: []byte(`{}`)}
	resp, err := http.Get(b.base + "/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	code, body = post(t, b.base+"/invocation/nope/response", nil, `1`)
	if code != 400 || !strings.Contains(body, `"errorType":"InvalidRequestID"`) {
		t.Errorf("wrong id = %d %s, want 400 InvalidRequestID", code, body)
	}
	if code, body := post(t, b.base+"/invocation/r1/response", nil, `"ok"`); code != 202 {
		t.Errorf("response = %d %s, want 202", code, body)
	}
	hdr := map[string]string{HeaderErrorType: "Handled.Type"}
	if code, body := post(t, b.base+"/invocation/r1/error", hdr, `{"errorMessage":"m","errorType":"T"}`); code != 202 {
		t.Errorf("error = %d %s, want 202", code, body)
	}
	if code, body := post(t, b.base+"/init/error", hdr, `{}`); code != 202 {
		t.Errorf("init error = %d %s, want 202", code, body)
	}
	got := strings.Join(b.rt.got, "\n")
	want := "response r1 \"ok\"\nerror r1 Handled.Type {\"errorMessage\":\"m\",\"errorType\":\"T\"}\ninit Handled.Type {}"
	if got != want {
		t.Errorf("runtime saw\n%s\nwant\n%s", got, want)
	}
}

func TestResponseTooLargeBecomesError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.rt.cur = "r1"
	code, _ := post(t, b.base+"/invocation/r1/response", nil, strings.Repeat("x", MaxResponse+1))
	if code != 413 {
		t.Errorf("too large = %d, want 413", code)
	}
	if len(b.rt.got) != 1 || !strings.HasPrefix(b.rt.got[0], "error r1 "+ErrTypeResponseLarge) {
		t.Errorf("runtime saw %q, want a %s error", b.rt.got, ErrTypeResponseLarge)
	}
}

func TestStopUnblocksNext(t *testing.T) {
	t.Parallel()
	b := setup(t)
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(b.base + "/invocation/next")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-b.rt.entered // the handler is blocked in Next
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked /next did not return after Stop")
	}
}

func TestNormalizeError(t *testing.T) {
	t.Parallel()
	cases := []struct{ hdr, body, want string }{
		{"", `{"errorMessage":"boom","errorType":"errorString"}`, `{"errorMessage":"boom","errorType":"errorString"}`},
		{"H", `{"errorMessage":"boom","stackTrace":["a"],"extra":1}`, `{"errorMessage":"boom","errorType":"H","stackTrace":["a"]}`},
		{"", `not json`, `{"errorMessage":"not json","errorType":"Runtime.Unknown"}`},
	}
	for _, c := range cases {
		got := NormalizeError(c.hdr, []byte(c.body)).JSON()
		var a, w any
		json.Unmarshal(got, &a)
		json.Unmarshal([]byte(c.want), &w)
		ab, _ := json.Marshal(a)
		wb, _ := json.Marshal(w)
		if !bytes.Equal(ab, wb) {
			t.Errorf("NormalizeError(%q, %s) = %s, want %s", c.hdr, c.body, got, c.want)
		}
	}
}
