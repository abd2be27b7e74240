package bus_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/bus"
	"github.com/ferry-run/ferry/natsjs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*Server).Start.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*ipQueue[...]).push"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// delivered is one thing a recorder received.
type delivered struct {
	Target  string // function, queue or topic name
	Body    string
	TraceID string
	Hops    int
}

// recorder implements the three target interfaces and records what it gets.
// The first failN calls fail.
type recorder struct {
	mu     sync.Mutex
	got    []delivered
	calls  int
	failN  int
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1000)} }

func (r *recorder) record(d delivered) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls <= r.failN {
		return ferry.Errorf(ferry.EUNAVAILABLE, "target down (call %d)", r.calls)
	}
	r.got = append(r.got, d)
	r.notify <- struct{}{}
	return nil
}

func (r *recorder) InvokeAsync(_ context.Context, req *ferry.InvokeRequest) error {
	return r.record(delivered{Target: "function:" + req.Function, Body: string(req.Payload), TraceID: req.TraceID, Hops: req.Hops})
}

func (r *recorder) SendMessage(_ context.Context, q string, m ferry.OutgoingMessage) (string, error) {
	return "m", r.record(delivered{Target: "queue:" + q, Body: m.Body, TraceID: m.TraceID, Hops: m.Hops})
}

func (r *recorder) Publish(_ context.Context, topic string, n ferry.Notification) (string, error) {
	return "m", r.record(delivered{Target: "topic:" + topic, Body: n.Message, TraceID: n.TraceID, Hops: n.Hops})
}

// wait returns once n deliveries were recorded.
func (r *recorder) wait(t *testing.T, n int) []delivered {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		if len(r.got) >= n {
			out := append([]delivered(nil), r.got...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.notify:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("waited for %d deliveries, got %d: %+v", n, len(r.got), r.got)
		}
	}
}

func (r *recorder) byTarget(target string) []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivered
	for _, d := range r.got {
		if d.Target == target {
			out = append(out, d)
		}
	}
	return out
}

type bundle struct {
	svc  *bus.Service
	rec  *recorder
	dir  string
	eng  *natsjs.Engine
	stop func()
}

func start(t *testing.T, dir string, rec *recorder) *bundle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := natsjs.New(natsjs.Config{DataDir: dir})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	svc := bus.New(e, bus.Options{
		Targets:   bus.Targets{Functions: rec, Queues: rec, Topics: rec},
		RetryBase: 10 * time.Millisecond,
	})
	if err := svc.Start(ctx); err != nil {
		_ = e.Stop(ctx)
		t.Fatal(err)
	}
	b := &bundle{svc: svc, rec: rec, dir: dir, eng: e}
	var once sync.Once
	b.stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := svc.Stop(ctx); err != nil {
				t.Errorf("stop bus: %v", err)
			}
			if err := e.Stop(ctx); err != nil {
				t.Errorf("stop engine: %v", err)
			}
		})
	}
	t.Cleanup(b.stop)
	return b
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	return start(t, t.TempDir(), newRecorder())
}

const (
	queueARN = "arn:aws:sqs:us-east-1:000000000000:"
	topicARN = "arn:aws:sns:us-east-1:000000000000:"
	fnARN    = "arn:aws:lambda:us-east-1:000000000000:function:"
	busARN   = "arn:aws:events:us-east-1:000000000000:event-bus/"
)

func mustRule(t *testing.T, s *bus.Service, r bus.Rule, targets ...bus.Target) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.PutRule(ctx, r); err != nil {
		t.Fatalf("PutRule %s: %v", r.Name, err)
	}
	if len(targets) == 0 {
		return
	}
	failed, err := s.PutTargets(ctx, r.Bus, r.Name, targets)
	if err != nil || len(failed) > 0 {
		t.Fatalf("PutTargets %s: %v %+v", r.Name, err, failed)
	}
}

func mustPut(t *testing.T, s *bus.Service, e bus.Entry) string {
	t.Helper()
	res, err := s.PutEvents(context.Background(), []bus.Entry{e})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ErrorCode != "" {
		t.Fatalf("PutEvents: %s %s", res[0].ErrorCode, res[0].ErrorMessage)
	}
	return res[0].EventID
}

func TestRulesRouteToTargets(t *testing.T) {
	b := setup(t)
	mustRule(t, b.svc, bus.Rule{Name: "orders", EventPattern: `{"source":["shop"],"detail":{"amount":[{"numeric":[">",100]}]}}`},
		bus.Target{Id: "q", Arn: queueARN + "big-orders"},
		bus.Target{Id: "f", Arn: fnARN + "audit"},
		bus.Target{Id: "t", Arn: topicARN + "alerts"})
	mustRule(t, b.svc, bus.Rule{Name: "off", EventPattern: `{"source":["shop"]}`, State: bus.Disabled},
		bus.Target{Id: "q", Arn: queueARN + "disabled"})
	mustRule(t, b.svc, bus.Rule{Name: "small", EventPattern: `{"source":["shop"],"detail":{"amount":[{"numeric":["<=",100]}]}}`},
		bus.Target{Id: "q", Arn: queueARN + "small-orders"})

	id := mustPut(t, b.svc, bus.Entry{Source: "shop", DetailType: "Order Placed", Detail: `{"amount":250}`,
		Resources: []string{"arn:r"}, TraceID: "trace-1", Hops: 2})
	got := b.rec.wait(t, 3)
	if len(got) != 3 {
		t.Fatalf("got %d deliveries, want 3: %+v", len(got), got)
	}
	for _, target := range []string{"queue:big-orders", "function:audit", "topic:alerts"} {
		d := b.rec.byTarget(target)
		if len(d) != 1 {
			t.Fatalf("%s: got %d deliveries, want 1", target, len(d))
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(d[0].Body), &ev); err != nil {
			t.Fatalf("%s body %q: %v", target, d[0].Body, err)
		}
		if ev["id"] != id || ev["source"] != "shop" || ev["detail-type"] != "Order Placed" || ev["version"] != "0" ||
			ev["account"] != "000000000000" || ev["region"] != "us-east-1" {
			t.Errorf("%s: event %v", target, ev)
		}
		if d[0].TraceID != "trace-1" || d[0].Hops != 3 {
			t.Errorf("%s: trace %q hops %d, want trace-1 3", target, d[0].TraceID, d[0].Hops)
		}
	}
	// An event for the small rule only: when it arrives, the disabled and
	// non-matching targets have had their chance.
	mustPut(t, b.svc, bus.Entry{Source: "shop", DetailType: "Order Placed", Detail: `{"amount":5}`})
	b.rec.wait(t, 4)
	if n := len(b.rec.byTarget("queue:small-orders")); n != 1 {
		t.Errorf("small-orders got %d, want 1", n)
	}
	if n := len(b.rec.byTarget("queue:disabled")); n != 0 {
		t.Errorf("disabled rule delivered %d events, want 0", n)
	}
	if n := len(b.rec.byTarget("queue:big-orders")); n != 1 {
		t.Errorf("big-orders got %d, want 1", n)
	}
}

func TestInputTransformation(t *testing.T) {
	b := setup(t)
	mustRule(t, b.svc, bus.Rule{Name: "r", EventPattern: `{"source":["ec2"]}`},
		bus.Target{Id: "const", Arn: queueARN + "const", Input: `{"fixed":true}`},
		bus.Target{Id: "path", Arn: queueARN + "path", InputPath: "$.detail.instance"},
		bus.Target{Id: "json", Arn: queueARN + "json", InputTransformer: &bus.InputTransformer{
			InputPathsMap: map[string]string{"id": "$.detail.instance", "state": "$.detail.state", "tags": "$.detail.tags", "n": "$.detail.n"},
			InputTemplate: `{"instance": <id>, "msg": "<id> is \"<state>\"", "tags": <tags>, "n": <n>, "rule": "<aws.events.rule-name>"}`,
		}},
		bus.Target{Id: "text", Arn: queueARN + "text", InputTransformer: &bus.InputTransformer{
			InputPathsMap: map[string]string{"id": "$.detail.instance", "state": "$.detail.state"},
			InputTemplate: `"Instance <id> is in state <state>"`,
		}})
	mustPut(t, b.svc, bus.Entry{Source: "ec2", DetailType: "State", Detail: `{"instance":"i-1","state":"run \"x\"","tags":["a","b"],"n":3}`})
	b.rec.wait(t, 4)
	want := map[string]string{
		"queue:const": `{"fixed":true}`,
		"queue:path":  `"i-1"`,
		"queue:json":  `{"instance": "i-1", "msg": "i-1 is \"run \"x\"\"", "tags": ["a","b"], "n": 3, "rule": "r"}`,
		"queue:text":  `"Instance i-1 is in state run \"x\""`,
	}
	for target, w := range want {
		d := b.rec.byTarget(target)
		if len(d) != 1 {
			t.Fatalf("%s: %d deliveries", target, len(d))
		}
		if d[0].Body != w {
			t.Errorf("%s:\n got %s\nwant %s", target, d[0].Body, w)
		}
	}
}

func TestBusToBus(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	if _, err := b.svc.CreateBus(ctx, "audit", ""); err != nil {
		t.Fatal(err)
	}
	mustRule(t, b.svc, bus.Rule{Name: "fwd", EventPattern: `{"source":["app"]}`}, bus.Target{Id: "b", Arn: busARN + "audit"})
	mustRule(t, b.svc, bus.Rule{Bus: "audit", Name: "sink", EventPattern: `{"detail-type":["Signup"]}`}, bus.Target{Id: "q", Arn: queueARN + "audit-q"})
	mustPut(t, b.svc, bus.Entry{Source: "app", DetailType: "Signup", Detail: `{"user":"u1"}`, TraceID: "tr", Hops: 0})
	got := b.rec.wait(t, 1)
	var ev bus.Event
	if err := json.Unmarshal([]byte(got[0].Body), &ev); err != nil {
		t.Fatal(err)
	}
	if got[0].Target != "queue:audit-q" || ev.Source != "app" || string(ev.Detail) != `{"user":"u1"}` {
		t.Errorf("got %+v event %+v", got[0], ev)
	}
	if got[0].Hops != 2 || got[0].TraceID != "tr" {
		t.Errorf("hops %d trace %q, want 2 tr", got[0].Hops, got[0].TraceID)
	}
}

func TestFailingTargetIsRetried(t *testing.T) {
	b := setup(t)
	b.rec.failN = 3
	mustRule(t, b.svc, bus.Rule{Name: "r", EventPattern: `{"source":["s"]}`}, bus.Target{Id: "q", Arn: queueARN + "flaky"})
	mustPut(t, b.svc, bus.Entry{Source: "s", DetailType: "d", Detail: `{}`})
	b.rec.wait(t, 1)
	st := b.svc.Stats()
	if st.Failures != 3 || st.Delivered != 1 || st.Dropped != 0 {
		t.Errorf("stats %+v, want 3 failures, 1 delivered", st)
	}
	b.rec.mu.Lock()
	calls := b.rec.calls
	b.rec.mu.Unlock()
	if calls != 4 {
		t.Errorf("target called %d times, want 4", calls)
	}
}

func TestRestartKeepsRulesAndUndeliveredEvents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	down := newRecorder()
	down.failN = 1 << 30 // every delivery fails before the restart
	b1 := start(t, dir, down)
	ctx := context.Background()
	if _, err := b1.svc.CreateBus(ctx, "orders", "d"); err != nil {
		t.Fatal(err)
	}
	mustRule(t, b1.svc, bus.Rule{Bus: "orders", Name: "all", EventPattern: `{"source":["s"]}`}, bus.Target{Id: "q", Arn: queueARN + "q"})
	for range 3 {
		mustPut(t, b1.svc, bus.Entry{EventBusName: "orders", Source: "s", DetailType: "d", Detail: `{"k":1}`})
	}
	// Wait until a delivery has failed, so events sit undelivered.
	deadline := time.Now().Add(20 * time.Second)
	for b1.svc.Stats().Failures == 0 && time.Now().Before(deadline) {
		runtimeGosched()
	}
	b1.stop()

	up := newRecorder()
	b2 := start(t, dir, up)
	rules, err := b2.svc.ListRules(ctx, "orders", "")
	if err != nil || len(rules) != 1 || rules[0].Name != "all" || len(rules[0].Targets) != 1 {
		t.Fatalf("rules after restart: %+v %v", rules, err)
	}
	buses, _ := b2.svc.ListBuses(ctx)
	if len(buses) != 2 || buses[0].Name != "default" || buses[1].Name != "orders" {
		t.Errorf("buses after restart: %+v", buses)
	}
	if got := up.wait(t, 3); len(got) != 3 {
		t.Errorf("got %d deliveries after restart, want 3", len(got))
	}
}

func TestArchiveAndReplay(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	if _, err := b.svc.CreateArchive(ctx, bus.Archive{Name: "all", SourceBus: "default", EventPattern: `{"source":["shop"]}`, RetentionDays: 1}); err != nil {
		t.Fatal(err)
	}
	mustRule(t, b.svc, bus.Rule{Name: "r", EventPattern: `{"source":["shop"]}`}, bus.Target{Id: "q", Arn: queueARN + "q"})
	begin := time.Now().Add(-time.Second)
	id1 := mustPut(t, b.svc, bus.Entry{Source: "shop", DetailType: "A", Detail: `{"n":1}`})
	id2 := mustPut(t, b.svc, bus.Entry{Source: "shop", DetailType: "B", Detail: `{"n":2}`})
	mustPut(t, b.svc, bus.Entry{Source: "other", DetailType: "C", Detail: `{"n":3}`}) // not archived
	b.rec.wait(t, 2)
	// Archiving happens on dispatch, which precedes delivery; replay up to now.
	if _, err := b.svc.StartReplay(ctx, bus.Replay{Name: "rp", Archive: "all", Start: begin, End: time.Now(), DestinationBus: "default"}); err != nil {
		t.Fatal(err)
	}
	got := b.rec.wait(t, 4)
	ids := map[string]bool{}
	for _, d := range got[2:] {
		var ev map[string]any
		if err := json.Unmarshal([]byte(d.Body), &ev); err != nil {
			t.Fatal(err)
		}
		if ev["replay-name"] != "rp" {
			t.Errorf("replayed event has replay-name %v, want rp", ev["replay-name"])
		}
		ids[ev["id"].(string)] = true
	}
	if !ids[id1] || !ids[id2] {
		t.Errorf("replayed ids %v, want %s and %s", ids, id1, id2)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := b.svc.DescribeReplay(ctx, "rp")
		if err != nil {
			t.Fatal(err)
		}
		if r.State == bus.ReplayCompleted {
			if r.Replayed != 2 {
				t.Errorf("replayed %d, want 2", r.Replayed)
			}
			break
		}
		if r.State == bus.ReplayFailed || time.Now().After(deadline) {
			t.Fatalf("replay state %s %s", r.State, r.StateReason)
		}
		runtimeGosched()
	}
}

func TestValidation(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	s := b.svc
	res, err := s.PutEvents(ctx, []bus.Entry{
		{Source: "", DetailType: "d", Detail: `{}`},
		{Source: "s", DetailType: "", Detail: `{}`},
		{Source: "s", DetailType: "d", Detail: ``},
		{Source: "s", DetailType: "d", Detail: `[1]`},
		{Source: "s", DetailType: "d", Detail: `{"x":"` + strings.Repeat("a", 300*1024) + `"}`},
		{EventBusName: "nope", Source: "s", DetailType: "d", Detail: `{}`},
		{Source: "s", DetailType: "d", Detail: `{}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []string{ferry.EINVALID, ferry.EINVALID, ferry.EINVALID, ferry.EINVALIDJSON, ferry.ETOOLARGE, ferry.ENOTFOUND, ""}
	for i, w := range wantCodes {
		if res[i].ErrorCode != w {
			t.Errorf("entry %d: code %q (%s), want %q", i, res[i].ErrorCode, res[i].ErrorMessage, w)
		}
	}
	if res[6].EventID == "" {
		t.Errorf("valid entry has no event id")
	}
	if _, err := s.PutEvents(ctx, make([]bus.Entry, 11)); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("11 entries: %v, want EINVALID", err)
	}
	if _, err := s.PutEvent(ctx, ferry.BusEvent{Bus: "nope", Source: "s", DetailType: "d", Detail: "{}"}); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("PutEvent unknown bus: %v", err)
	}
	if _, err := s.PutRule(ctx, bus.Rule{Name: "bad", EventPattern: `{"a":"b"}`}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := s.PutRule(ctx, bus.Rule{Name: "x", EventPattern: `{"a":["b"]}`, State: "ON"}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("bad state: %v", err)
	}
	if _, err := s.PutRule(ctx, bus.Rule{Bus: "nope", Name: "x", EventPattern: `{"a":["b"]}`}); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("unknown bus: %v", err)
	}
	mustRule(t, s, bus.Rule{Name: "r", EventPattern: `{"a":["b"]}`})
	failed, err := s.PutTargets(ctx, "", "r", []bus.Target{
		{Id: "ok", Arn: queueARN + "q"},
		{Id: "bad arn", Arn: queueARN + "q"},
		{Id: "s3", Arn: "arn:aws:s3:::bucket"},
		{Id: "two", Arn: queueARN + "q", Input: `{}`, InputPath: "$.detail"},
		{Id: "json", Arn: queueARN + "q", Input: `{`},
		{Id: "path", Arn: queueARN + "q", InputPath: "detail"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var failedIDs []string
	for _, f := range failed {
		failedIDs = append(failedIDs, f.TargetId)
	}
	if want := []string{"bad arn", "s3", "two", "json", "path"}; !equal(failedIDs, want) {
		t.Errorf("failed targets %v, want %v", failedIDs, want)
	}
	if err := s.DeleteRule(ctx, "", "r"); ferry.ErrorCode(err) != ferry.ECONFLICT {
		t.Errorf("DeleteRule with targets: %v, want ECONFLICT", err)
	}
	if failed, err := s.RemoveTargets(ctx, "", "r", []string{"ok", "ghost"}); err != nil || len(failed) != 1 || failed[0].TargetId != "ghost" {
		t.Errorf("RemoveTargets: %+v %v", failed, err)
	}
	if err := s.DeleteRule(ctx, "", "r"); err != nil {
		t.Errorf("DeleteRule: %v", err)
	}
	if _, err := s.DescribeRule(ctx, "", "r"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("DescribeRule after delete: %v", err)
	}
	if err := s.DeleteBus(ctx, "default"); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("delete default bus: %v", err)
	}
	if _, err := s.CreateBus(ctx, "default", ""); ferry.ErrorCode(err) != ferry.ECONFLICT {
		t.Errorf("create default bus: %v", err)
	}
	if _, err := s.CreateBus(ctx, "bad name!", ""); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("bad bus name: %v", err)
	}
	ok, err := s.TestEventPattern(`{"source":["x"]}`, `{"id":"1","account":"a","source":"x","time":"t","region":"r","detail-type":"d","detail":{}}`)
	if err != nil || !ok {
		t.Errorf("TestEventPattern: %v %v", ok, err)
	}
	if _, err := s.TestEventPattern(`{"source":["x"]}`, `{"source":"x"}`); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("TestEventPattern incomplete event: %v", err)
	}
	if _, err := s.StartReplay(ctx, bus.Replay{Name: "r", Archive: "none", Start: time.Now().Add(-time.Hour), End: time.Now()}); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("replay unknown archive: %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPutEventDedupID(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	mustRule(t, b.svc, bus.Rule{Name: "r", EventPattern: `{"source":["lambda"]}`}, bus.Target{Id: "q", Arn: queueARN + "q"})
	ev := ferry.BusEvent{Source: "lambda", DetailType: "Lambda Function Invocation Result - Success", Detail: `{"x":1}`, DedupID: "req-1/success"}
	id1, err := b.svc.PutEvent(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := b.svc.PutEvent(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 {
		t.Errorf("same DedupID gave ids %s and %s", id1, id2)
	}
	// A later, different event is delivered after the first; the duplicate never is.
	mustPut(t, b.svc, bus.Entry{Source: "lambda", DetailType: "other", Detail: `{}`})
	b.rec.wait(t, 2)
	if n := len(b.rec.byTarget("queue:q")); n != 2 {
		t.Errorf("got %d deliveries, want 2 (one per distinct event)", n)
	}
}
