package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
	"github.com/ferry-run/ferry/schedule"
)

func TestScheduledEventShape(t *testing.T) {
	t.Parallel()
	// 0.3 s before noon: cron(0 12 * * ? *) fires at once, at 12:00:00.
	b := setup(t, schedule.Options{Now: offsetClock(time.Date(2026, 3, 1, 11, 59, 59, 700e6, time.UTC))})
	mustPut(t, b.svc, schedule.Schedule{Name: "noon", Function: "report", Expression: "cron(0 12 * * ? *)", Enabled: true})
	got := b.rec.wait(t, "report", 1)[0]
	if _, err := uuid.Parse(got.RequestID); err != nil {
		t.Fatalf("request id %q is not a UUID", got.RequestID)
	}
	want := `{"version":"0","id":"` + got.RequestID + `","detail-type":"Scheduled Event","source":"aws.events",` +
		`"account":"123456789012","time":"2026-03-01T12:00:00Z","region":"eu-west-1",` +
		`"resources":["arn:aws:events:eu-west-1:123456789012:rule/noon"],"detail":{}}`
	if string(got.Payload) != want {
		t.Errorf("payload\n got %s\nwant %s", got.Payload, want)
	}
	next, ok := b.svc.NextFire("noon")
	if want := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC); !ok || !next.Equal(want) {
		t.Errorf("NextFire = %s %v, want %s", next, ok, want)
	}
}

func TestInputAndInputPath(t *testing.T) {
	t.Parallel()
	b := setup(t, schedule.Options{Scale: fast})
	arn := "arn:aws:events:eu-west-1:123456789012:rule/custom"
	for _, sc := range []schedule.Schedule{
		{Name: "constant", Function: "f1", Expression: "rate(1 minute)", Input: `{"key": [1, 2]}`, Enabled: true},
		{Name: "detail", Function: "f2", Expression: "rate(1 minute)", InputPath: "$.detail", Enabled: true},
		{Name: "arn", Function: "f3", Expression: "rate(1 minute)", InputPath: "$.resources[0]", RuleARN: arn, Enabled: true},
		{Name: "source", Function: "f4", Expression: "rate(1 minute)", InputPath: "$.source", Enabled: true},
	} {
		mustPut(t, b.svc, sc)
	}
	for fn, want := range map[string]string{"f1": `{"key": [1, 2]}`, "f2": `{}`, "f3": `"` + arn + `"`, "f4": `"aws.events"`} {
		if got := string(b.rec.wait(t, fn, 1)[0].Payload); got != want {
			t.Errorf("%s payload = %s, want %s", fn, got, want)
		}
	}
}

func TestRateFiresOnItsInterval(t *testing.T) {
	t.Parallel()
	b := setup(t, schedule.Options{Scale: fast})
	start := time.Now()
	mustPut(t, b.svc, schedule.Schedule{Name: "tick", Function: "tick", Expression: "rate(1 minute)", Enabled: true})
	got := b.rec.wait(t, "tick", 4)
	// four occurrences of a 60 ms rate counted from Put: at least 240 ms.
	if el := time.Since(start); el < 240*time.Millisecond {
		t.Errorf("4 occurrences after %s, want >= 240ms", el)
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.RequestID] {
			t.Errorf("request id %s fired twice", r.RequestID)
		}
		seen[r.RequestID] = true
	}
}

func TestDisabledDoesNotFire(t *testing.T) {
	t.Parallel()
	b := setup(t, schedule.Options{Scale: fast})
	mustPut(t, b.svc, schedule.Schedule{Name: "off", Function: "off", Expression: "rate(1 minute)", Enabled: false})
	mustPut(t, b.svc, schedule.Schedule{Name: "witness", Function: "witness", Expression: "rate(1 minute)", Enabled: true})
	b.rec.wait(t, "witness", 5)
	if n := len(b.rec.calls("off")); n != 0 {
		t.Errorf("disabled schedule fired %d times", n)
	}
	if _, ok := b.svc.NextFire("off"); ok {
		t.Error("disabled schedule has a next fire time")
	}
	// enabling it makes it fire
	mustPut(t, b.svc, schedule.Schedule{Name: "off", Function: "off", Expression: "rate(1 minute)", Enabled: true})
	b.rec.wait(t, "off", 1)
}

func TestDeleteStopsFiring(t *testing.T) {
	t.Parallel()
	b := setup(t, schedule.Options{Scale: fast})
	ctx := context.Background()
	mustPut(t, b.svc, schedule.Schedule{Name: "gone", Function: "gone", Expression: "rate(1 minute)", Enabled: true})
	b.rec.wait(t, "gone", 2)
	if err := b.svc.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	before := len(b.rec.calls("gone"))
	mustPut(t, b.svc, schedule.Schedule{Name: "witness", Function: "witness", Expression: "rate(1 minute)", Enabled: true})
	b.rec.wait(t, "witness", 5)
	// an occurrence already being handed off when Delete ran may land.
	if after := len(b.rec.calls("gone")); after > before+1 {
		t.Errorf("deleted schedule fired %d more times", after-before)
	}
	if _, err := b.svc.Get(ctx, "gone"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("Get after Delete: %v, want not found", err)
	}
	if err := b.svc.Delete(ctx, "gone"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("second Delete: %v, want not found", err)
	}
	list, err := b.svc.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "witness" {
		t.Errorf("List = %v, %v; want only witness", list, err)
	}
}

func TestRestartKeepsSchedules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	rec := newRecorder()
	want := []schedule.Schedule{
		{Name: "a-daily", Function: "daily", Expression: "cron(0 3 * * ? *)", Enabled: true, RuleARN: "arn:aws:events:eu-west-1:123456789012:rule/a-daily"},
		{Name: "b-off", Function: "off", Expression: "rate(5 minutes)", Input: `{"x":1}`, Enabled: false, RuleARN: "arn:aws:events:eu-west-1:123456789012:rule/b-off"},
		{Name: "c-tick", Function: "tick", Expression: "rate(1 minute)", Enabled: true, RuleARN: "arn:aws:events:eu-west-1:123456789012:rule/c-tick"},
	}
	{
		ne := natsjs.New(natsjs.Config{DataDir: dir})
		if err := ne.Start(ctx); err != nil {
			t.Fatal(err)
		}
		svc := schedule.New(ne, schedule.Options{Realm: testRealm, Async: rec, Scale: 1})
		if err := svc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for _, sc := range want {
			sc.RuleARN = ""
			mustPut(t, svc, sc)
		}
		if err := svc.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if err := ne.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ne := startNATS(t, dir)
	svc := startService(t, ne, schedule.Options{Realm: testRealm, Async: rec, Scale: fast})
	got, err := svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after restart List =\n%+v\nwant\n%+v", got, want)
	}
	rec.wait(t, "tick", 2)
	if n := len(rec.calls("off")); n != 0 {
		t.Errorf("disabled schedule fired %d times after restart", n)
	}
}

func TestPutKeepsRateAnchor(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	b := setup(t, schedule.Options{Now: c.Now})
	t0 := c.Now()
	sc := schedule.Schedule{Name: "hourly", Function: "h", Expression: "rate(1 hour)", Enabled: true}
	mustPut(t, b.svc, sc)
	check := func(what string, want time.Time) {
		t.Helper()
		if got, ok := b.svc.NextFire("hourly"); !ok || !got.Equal(want) {
			t.Errorf("%s: NextFire = %s %v, want %s", what, got, ok, want)
		}
	}
	check("new rate", t0.Add(time.Hour))
	c.Add(10 * time.Minute)
	mustPut(t, b.svc, sc)
	check("same expression again", t0.Add(time.Hour))
	sc.Input = `{"changed":true}`
	mustPut(t, b.svc, sc)
	check("new input", t0.Add(time.Hour))
	sc.Expression = "rate(2 hours)"
	mustPut(t, b.svc, sc)
	check("new expression", t0.Add(10*time.Minute+2*time.Hour))
	sc.Enabled = false
	mustPut(t, b.svc, sc)
	if _, ok := b.svc.NextFire("hourly"); ok {
		t.Error("disabled: has a next fire time")
	}
	c.Add(5 * time.Minute)
	sc.Enabled = true
	mustPut(t, b.svc, sc)
	check("re-enabled", t0.Add(15*time.Minute+2*time.Hour))
	if n := len(b.rec.calls("h")); n != 0 {
		t.Errorf("fired %d times before its first occurrence", n)
	}
}

// jsRecorder hands events to a JetStream stream with the request id as
// Msg-Id, as the async engine does.
type jsRecorder struct {
	*recorder
	js jetstream.JetStream
}

func (r jsRecorder) InvokeAsync(ctx context.Context, req *ferry.InvokeRequest) error {
	if err := r.recorder.InvokeAsync(ctx, req); err != nil {
		return err
	}
	m := nats.NewMsg("sched." + req.Function)
	m.Data = req.Payload
	m.Header.Set(jetstream.MsgIDHeader, req.RequestID)
	_, err := r.js.PublishMsg(ctx, m)
	return err
}

// TestLeaseFiresOnceAndFailsOver runs two nodes, each with its own
// connection to one JetStream: only the lease holder fires. The holder's
// connection is then cut (its node can neither renew nor release the lease):
// the other node takes the lease over when it expires and fires on, firing
// the occurrences that fell in between. Every occurrence from the first to
// the last is stored exactly once, and none was fired by both nodes except
// the holder's last ones, which the new holder fires again and Msg-Id
// deduplication drops.
func TestLeaseFiresOnceAndFailsOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	srv := natsjs.New(natsjs.Config{DataDir: dir, Listen: "127.0.0.1:0"})
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(ctx) })
	connect := func() *natsjs.Engine {
		e := natsjs.New(natsjs.Config{URL: srv.ClientURL(), Auth: natsjs.AuthConfig{CredentialsFile: srv.CredentialsPath()}})
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Stop(ctx) })
		return e
	}
	neA, neB := connect(), connect()
	stream, err := srv.EnsureStream(ctx, jetstream.StreamConfig{Name: "SCHED", Subjects: []string{"sched.>"}, Duplicates: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 600 * time.Millisecond
	recA, recB := newRecorder(), newRecorder()
	// Both hand events to the stream through the server's own connection,
	// so a node cut off from JetStream would still be seen firing.
	a := startService(t, neA, schedule.Options{Realm: testRealm, Async: jsRecorder{recA, srv.JetStream()}, Scale: 2 * fast, Node: "a", LeaseTTL: ttl})
	eventually(t, "node a holds the lease", a.Leader)
	b := startService(t, neB, schedule.Options{Realm: testRealm, Async: jsRecorder{recB, srv.JetStream()}, Scale: 2 * fast, Node: "b", LeaseTTL: ttl})
	mustPut(t, a, schedule.Schedule{Name: "shared", Function: "shared", Expression: "rate(1 minute)", Enabled: true})
	recA.wait(t, "shared", 6)
	if n := len(recB.calls("shared")); n != 0 || b.Leader() {
		t.Fatalf("node b fired %d occurrences (leader %v) while a held the lease", n, b.Leader())
	}
	next, ok := b.NextFire("shared")
	if !ok {
		t.Fatal("node b does not follow the schedule")
	}
	cut := time.Now()
	neA.Stop(ctx) // node a loses JetStream: it can neither renew nor release
	eventually(t, "node b takes the lease over", b.Leader)
	t.Logf("lease taken over %v after a was cut off", time.Since(cut).Round(time.Millisecond))
	recB.wait(t, "shared", len(recB.calls("shared"))+6)
	if a.Leader() {
		t.Error("node a still thinks it holds the lease")
	}
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// Occurrences are next + k*120ms; map each fired id to its k.
	const iv = 120 * time.Millisecond
	ks := map[string]int{}
	for k := -200; k <= 200; k++ {
		ks[schedule.RequestID("shared", next.Add(time.Duration(k)*iv))] = k
	}
	fired := map[int]int{}
	lastA, firstB := -1000, 1000
	for _, r := range recA.calls("shared") {
		k, ok := ks[r.RequestID]
		if !ok {
			t.Fatalf("node a fired an id that is no occurrence: %s", r.RequestID)
		}
		fired[k]++
		lastA = max(lastA, k)
	}
	for _, r := range recB.calls("shared") {
		k, ok := ks[r.RequestID]
		if !ok {
			t.Fatalf("node b fired an id that is no occurrence: %s", r.RequestID)
		}
		fired[k]++
		firstB = min(firstB, k)
	}
	lo, hi := 1000, -1000
	for k := range fired {
		lo, hi = min(lo, k), max(hi, k)
	}
	twice := 0
	for k := lo; k <= hi; k++ {
		switch fired[k] {
		case 0:
			t.Errorf("occurrence %d (of %d..%d) never fired", k, lo, hi)
		case 1:
		default:
			twice++
		}
	}
	// Only what a fired after its last lease write can be fired again.
	if twice > 2 || firstB < lastA-2 {
		t.Errorf("%d occurrences fired by both nodes (a fired up to %d, b from %d)", twice, lastA, firstB)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := int(info.State.Msgs), hi-lo+1; got != want {
		t.Errorf("stream holds %d events for occurrences %d..%d (%d)", got, lo, hi, want)
	}
	t.Logf("occurrences %d..%d: a fired up to %d, b from %d, %d fired twice", lo, hi, lastA, firstB, twice)
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFireErrorsAreLoggedAndFiringGoesOn(t *testing.T) {
	t.Parallel()
	b := setup(t, schedule.Options{Scale: fast})
	b.rec.hook = func(ctx context.Context, req *ferry.InvokeRequest) error {
		return ferry.Errorf(ferry.ENOTFOUND, "function %q", req.Function)
	}
	mustPut(t, b.svc, schedule.Schedule{Name: "nofn", Function: "missing", Expression: "rate(1 minute)", Enabled: true})
	b.rec.wait(t, "missing", 3)
}

func TestStopIsBoundedAndIdempotent(t *testing.T) {
	t.Parallel()
	ne := startNATS(t, t.TempDir())
	rec := newRecorder()
	entered := make(chan struct{}, 1)
	rec.hook = func(ctx context.Context, req *ferry.InvokeRequest) error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done() // a hand-off that never completes on its own
		return ctx.Err()
	}
	svc := schedule.New(ne, schedule.Options{Realm: testRealm, Async: rec, Scale: fast})
	ctx := context.Background()
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	mustPut(t, svc, schedule.Schedule{Name: "stuck", Function: "stuck", Expression: "rate(1 minute)", Enabled: true})
	<-entered
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := svc.Stop(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop with a stuck hand-off = %v, want deadline exceeded", err)
	}
	if err := svc.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := svc.Start(ctx); ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Errorf("Start after Stop = %v, want unavailable", err)
	}
	if err := svc.Put(ctx, schedule.Schedule{Name: "x", Function: "x", Expression: "rate(1 minute)"}); ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Errorf("Put after Stop = %v, want unavailable", err)
	}
}

func TestNotStarted(t *testing.T) {
	t.Parallel()
	svc := schedule.New(startNATS(t, t.TempDir()), schedule.Options{Async: newRecorder()})
	ctx := context.Background()
	if _, err := svc.List(ctx); ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Errorf("List before Start = %v, want unavailable", err)
	}
	if err := svc.Stop(ctx); err != nil {
		t.Errorf("Stop before Start = %v", err)
	}
	if err := schedule.New(startNATS(t, t.TempDir()), schedule.Options{}).Start(ctx); err == nil || !strings.Contains(err.Error(), "Async") {
		t.Errorf("Start without Async = %v, want an error naming Async", err)
	}
}

func TestPutInvalid(t *testing.T) {
	t.Parallel()
	b := setup(t, schedule.Options{})
	ok := schedule.Schedule{Name: "ok", Function: "fn", Expression: "rate(5 minutes)", Enabled: true}
	tests := []struct {
		edit func(*schedule.Schedule)
		want string
	}{
		{func(s *schedule.Schedule) { s.Name = "" }, `schedule name ""`},
		{func(s *schedule.Schedule) { s.Name = "has space" }, `schedule name "has space"`},
		{func(s *schedule.Schedule) { s.Name = strings.Repeat("n", 65) }, "1-64 characters"},
		{func(s *schedule.Schedule) { s.Function = "" }, `function name ""`},
		{func(s *schedule.Schedule) { s.Function = "a:b" }, `function name "a:b"`},
		{func(s *schedule.Schedule) { s.Expression = "rate(5 minute)" }, "plural"},
		{func(s *schedule.Schedule) { s.Expression = "cron(0 25 * * ? *)" }, `Hours field "25"`},
		{func(s *schedule.Schedule) { s.Input = "{nope" }, "Input is not valid JSON"},
		{func(s *schedule.Schedule) { s.Input, s.InputPath = "{}", "$.detail" }, "can't both be set"},
		{func(s *schedule.Schedule) { s.InputPath = "$.nothing" }, "matches nothing"},
		{func(s *schedule.Schedule) { s.InputPath = "detail" }, "must start with $"},
		{func(s *schedule.Schedule) { s.InputPath = "$.resources[3]" }, "matches nothing"},
		{func(s *schedule.Schedule) { s.RuleARN = "rule/x" }, "is not an ARN"},
	}
	for i, tt := range tests {
		sc := ok
		sc.Name = fmt.Sprintf("bad-%d", i)
		tt.edit(&sc)
		err := b.svc.Put(context.Background(), sc)
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("case %d: Put = %v, want invalid containing %q", i, err, tt.want)
		}
	}
	if list, _ := b.svc.List(context.Background()); len(list) != 0 {
		t.Errorf("invalid schedules were stored: %v", list)
	}
}
