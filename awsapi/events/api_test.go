package eventsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	"go.uber.org/goleak"

	"github.com/ferry-run/ferry"
	eventsapi "github.com/ferry-run/ferry/awsapi/events"
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

// sent is one message a queue target received.
type sent struct {
	Queue   string
	Body    string
	TraceID string
}

// queues is a recording ferry.QueueSender.
type queues struct {
	mu     sync.Mutex
	got    []sent
	notify chan struct{}
}

func (q *queues) SendMessage(_ context.Context, queue string, m ferry.OutgoingMessage) (string, error) {
	q.mu.Lock()
	q.got = append(q.got, sent{Queue: queue, Body: m.Body, TraceID: m.TraceID})
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return "m", nil
}

// wait returns the messages once at least n were received.
func (q *queues) wait(t *testing.T, n int) []sent {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		q.mu.Lock()
		if len(q.got) >= n {
			out := append([]sent(nil), q.got...)
			q.mu.Unlock()
			return out
		}
		q.mu.Unlock()
		select {
		case <-q.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waited 20s for %d deliveries, got %d", n, len(q.got))
		}
	}
}

type bundle struct {
	client  *eventbridge.Client
	handler http.Handler
	buses   *bus.Service
	queues  *queues
	url     string
}

func setup(t testing.TB) *bundle {
	t.Helper()
	ctx := context.Background()
	e := natsjs.New(natsjs.Config{DataDir: t.TempDir()})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Stop(context.Background()) })
	q := &queues{notify: make(chan struct{}, 1)}
	svc := bus.New(e, bus.Options{Realm: ferry.DefaultRealm, Targets: bus.Targets{Queues: q}, RetryBase: 10 * time.Millisecond})
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(context.Background()) })
	api := eventsapi.New(eventsapi.Config{Realm: ferry.DefaultRealm, Buses: svc})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	client := eventbridge.New(eventbridge.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFERRY", "secret", ""),
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
	return &bundle{client: client, handler: api.Handler(), buses: svc, queues: q, url: srv.URL}
}

func queueARN(name string) string { return ferry.DefaultRealm.QueueARN(name) }

// wantAPIError checks that err is the API error code.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

func TestJSONTarget(t *testing.T) {
	t.Parallel()
	api := eventsapi.New(eventsapi.Config{})
	for target, want := range map[string]bool{
		"AWSEvents.PutEvents":        true,
		"AWSEvents.StartReplay":      true,
		"AWSEvents.ListArchives":     true,
		"AWSEvents.CreateConnection": false,
		"AmazonSQS.SendMessage":      false,
		"PutEvents":                  false,
		"":                           false,
	} {
		if got := api.JSONTarget(target); got != want {
			t.Errorf("JSONTarget(%q) = %v, want %v", target, got, want)
		}
	}
}

// TestRoundTrip: a rule with an InputTransformer target receives a put event
// rewritten, with the trace header carried to the target.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	pr, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{
		Name:         aws.String("orders"),
		EventPattern: aws.String(`{"source":["shop"],"detail":{"amount":[{"numeric":[">",10]}]}}`),
		Description:  aws.String("big orders"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(pr.RuleArn), "arn:aws:events:us-east-1:000000000000:rule/orders"; got != want {
		t.Fatalf("RuleArn = %q, want %q", got, want)
	}
	pt, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String("orders"),
		Targets: []types.Target{{
			Id:  aws.String("q"),
			Arn: aws.String(queueARN("big")),
			InputTransformer: &types.InputTransformer{
				InputPathsMap: map[string]string{"id": "$.detail.id", "src": "$.source"},
				InputTemplate: aws.String(`{"order":<id>,"from":"<src>"}`),
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if pt.FailedEntryCount != 0 {
		t.Fatalf("PutTargets failed: %+v", pt.FailedEntries)
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pe, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"id":"o-1","amount":5}`)},
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"id":"o-2","amount":50}`),
			Time: aws.Time(when), Resources: []string{"arn:aws:shop:order/o-2"}, TraceHeader: aws.String("Root=1-abc")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if pe.FailedEntryCount != 0 || len(pe.Entries) != 2 || aws.ToString(pe.Entries[1].EventId) == "" {
		t.Fatalf("PutEvents = %+v", pe)
	}
	got := b.queues.wait(t, 1)
	if len(got) != 1 {
		t.Fatalf("got %d deliveries, want 1: %+v", len(got), got)
	}
	if got[0].Queue != "big" || got[0].Body != `{"order":"o-2","from":"shop"}` || got[0].TraceID != "Root=1-abc" {
		t.Fatalf("delivery = %+v", got[0])
	}
}

// TestRoundTripEventShape: a target without transformation gets the whole
// event, with Time and Resources from the entry.
func TestRoundTripEventShape(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if _, err := b.client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("shop")}); err != nil {
		t.Fatal(err)
	}
	busARN := ferry.DefaultRealm.BusARN("shop")
	if _, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String("all"), EventBusName: aws.String(busARN), EventPattern: aws.String(`{"source":["shop"]}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String("all"), EventBusName: aws.String("shop"),
		Targets: []types.Target{{Id: aws.String("q"), Arn: aws.String(queueARN("raw"))}},
	}); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pe, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: aws.String("shop"), Source: aws.String("shop"), DetailType: aws.String("Order"),
		Detail: aws.String(`{"id":"o-3"}`), Time: aws.Time(when), Resources: []string{"r1"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	got := b.queues.wait(t, 1)
	var ev map[string]any
	if err := json.Unmarshal([]byte(got[0].Body), &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": aws.ToString(pe.Entries[0].EventId), "source": "shop", "detail-type": "Order",
		"time": "2026-01-02T03:04:05Z", "account": "000000000000", "region": "us-east-1",
	}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("event[%q] = %v, want %v", k, ev[k], v)
		}
	}
	if rs, _ := ev["resources"].([]any); len(rs) != 1 || rs[0] != "r1" {
		t.Errorf("resources = %v, want [r1]", ev["resources"])
	}
}

func TestPutEventsPerEntryFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	out, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("a"), DetailType: aws.String("t"), Detail: aws.String(`{}`)},
		{Source: aws.String("a"), DetailType: aws.String("t"), Detail: aws.String(`not json`)},
		{DetailType: aws.String("t"), Detail: aws.String(`{}`)},
		{Source: aws.String("a"), DetailType: aws.String("t"), Detail: aws.String(`{}`), EventBusName: aws.String("nope")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 3 {
		t.Fatalf("FailedEntryCount = %d, want 3", out.FailedEntryCount)
	}
	wantCodes := []string{"", "MalformedDetail", "InvalidArgument", "InvalidArgument"}
	for i, e := range out.Entries {
		if got := aws.ToString(e.ErrorCode); got != wantCodes[i] {
			t.Errorf("entry %d ErrorCode = %q (%s), want %q", i, got, aws.ToString(e.ErrorMessage), wantCodes[i])
		}
		if (wantCodes[i] == "") != (aws.ToString(e.EventId) != "") {
			t.Errorf("entry %d EventId = %q", i, aws.ToString(e.EventId))
		}
		if wantCodes[i] != "" && aws.ToString(e.ErrorMessage) == "" {
			t.Errorf("entry %d has no ErrorMessage", i)
		}
	}
	entries := make([]types.PutEventsRequestEntry, 11)
	for i := range entries {
		entries[i] = types.PutEventsRequestEntry{Source: aws.String("a"), DetailType: aws.String("t"), Detail: aws.String(`{}`)}
	}
	_, err = b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	wantAPIError(t, err, "ValidationException")
	_, err = b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries[:1], EndpointId: aws.String("x.y")})
	wantAPIError(t, err, "ValidationException")
}

func TestRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, name := range []string{"b-2", "a-1", "b-1", "b-3"} {
		if _, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(`{"source":["x"]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// Paging with a prefix, one rule per page.
	var names []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := b.client.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("b-"), Limit: aws.Int32(1), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Rules {
			names = append(names, aws.ToString(r.Name))
			if aws.ToString(r.EventBusName) != "default" || r.State != types.RuleStateEnabled {
				t.Errorf("rule %+v", r)
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if got, want := jsonOf(names), `["b-1","b-2","b-3"]`; got != want {
		t.Fatalf("ListRules names = %s, want %s", got, want)
	}
	if _, err := b.client.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("a-1")}); err != nil {
		t.Fatal(err)
	}
	d, err := b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("a-1")})
	if err != nil {
		t.Fatal(err)
	}
	if d.State != types.RuleStateDisabled || aws.ToString(d.EventPattern) != `{"source":["x"]}` || aws.ToString(d.Arn) == "" {
		t.Fatalf("DescribeRule = %+v", d)
	}
	if _, err := b.client.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("a-1")}); err != nil {
		t.Fatal(err)
	}
	d, err = b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("a-1")})
	if err != nil || d.State != types.RuleStateEnabled {
		t.Fatalf("after EnableRule: %+v, %v", d, err)
	}
	// A rule with targets cannot be deleted; Force changes nothing.
	if _, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("a-1"),
		Targets: []types.Target{{Id: aws.String("t1"), Arn: aws.String(queueARN("q1"))}}}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("a-1"), Force: true})
	wantAPIError(t, err, "ValidationException")
	if _, err := b.client.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("a-1"), Ids: []string{"t1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("a-1")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("a-1")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeRule after delete: %v, want ResourceNotFoundException", err)
	}
	_, err = b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("cron"), ScheduleExpression: aws.String("rate(5 minutes)")})
	wantAPIError(t, err, "ValidationException")
	_, err = b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("x")})
	wantAPIError(t, err, "ValidationException")
	_, err = b.client.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: aws.String("!!")})
	wantAPIError(t, err, "ValidationException")
}

func TestTargets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, name := range []string{"r1", "r2"} {
		if _, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(`{"source":["x"]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r1"), Targets: []types.Target{
		{Id: aws.String("b"), Arn: aws.String(queueARN("shared")), InputPath: aws.String("$.detail")},
		{Id: aws.String("a"), Arn: aws.String(queueARN("other")), Input: aws.String(`{"fixed":true}`)},
		{Id: aws.String("bad-json"), Arn: aws.String(queueARN("q")), Input: aws.String(`{`)},
		{Id: aws.String("retry"), Arn: aws.String(queueARN("q")), RetryPolicy: &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(1)}},
		{Id: aws.String("kind"), Arn: aws.String("arn:aws:s3:::bucket")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 3 || len(out.FailedEntries) != 3 {
		t.Fatalf("PutTargets failures = %d %+v, want 3", out.FailedEntryCount, out.FailedEntries)
	}
	failed := map[string]string{}
	for _, f := range out.FailedEntries {
		failed[aws.ToString(f.TargetId)] = aws.ToString(f.ErrorCode)
	}
	for _, id := range []string{"bad-json", "retry", "kind"} {
		if failed[id] != "ValidationException" {
			t.Errorf("target %s ErrorCode = %q, want ValidationException", id, failed[id])
		}
	}
	if _, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r2"),
		Targets: []types.Target{{Id: aws.String("s"), Arn: aws.String(queueARN("shared"))}}}); err != nil {
		t.Fatal(err)
	}
	lt, err := b.client.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lt.Targets) != 2 || aws.ToString(lt.Targets[0].Id) != "a" || aws.ToString(lt.Targets[0].Input) != `{"fixed":true}` ||
		aws.ToString(lt.Targets[1].InputPath) != "$.detail" || aws.ToString(lt.Targets[1].Arn) != queueARN("shared") {
		t.Fatalf("ListTargetsByRule = %s", jsonOf(lt.Targets))
	}
	rn, err := b.client.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(queueARN("shared"))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jsonOf(rn.RuleNames), `["r1","r2"]`; got != want {
		t.Fatalf("ListRuleNamesByTarget = %s, want %s", got, want)
	}
	rt, err := b.client.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("r1"), Ids: []string{"a", "ghost"}})
	if err != nil {
		t.Fatal(err)
	}
	if rt.FailedEntryCount != 1 || aws.ToString(rt.FailedEntries[0].TargetId) != "ghost" ||
		aws.ToString(rt.FailedEntries[0].ErrorCode) != "ResourceNotFoundException" {
		t.Fatalf("RemoveTargets = %s", jsonOf(rt))
	}
	_, err = b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nope"),
		Targets: []types.Target{{Id: aws.String("s"), Arn: aws.String(queueARN("q"))}}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("PutTargets on unknown rule: %v", err)
	}
}

func TestEventBuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	cb, err := b.client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders"), Description: aws.String("the orders")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(cb.EventBusArn), ferry.DefaultRealm.BusARN("orders"); got != want {
		t.Fatalf("EventBusArn = %q, want %q", got, want)
	}
	_, err = b.client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders")})
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("second CreateEventBus: %v, want ResourceAlreadyExistsException", err)
	}
	_, err = b.client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("k"), KmsKeyIdentifier: aws.String("key")})
	wantAPIError(t, err, "ValidationException")
	if _, err := b.client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	d, err := b.client.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(ferry.DefaultRealm.BusARN("orders"))})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.Name) != "orders" || aws.ToString(d.Description) != "the orders" || d.CreationTime == nil ||
		time.Since(*d.CreationTime) > time.Minute {
		t.Fatalf("DescribeEventBus = %s", jsonOf(d))
	}
	def, err := b.client.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{})
	if err != nil || aws.ToString(def.Name) != "default" {
		t.Fatalf("DescribeEventBus default = %+v, %v", def, err)
	}
	lb, err := b.client.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range lb.EventBuses {
		names = append(names, aws.ToString(e.Name))
	}
	if got, want := jsonOf(names), `["default","orders","other"]`; got != want {
		t.Fatalf("ListEventBuses = %s, want %s", got, want)
	}
	lp, err := b.client.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NamePrefix: aws.String("o"), Limit: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.EventBuses) != 1 || aws.ToString(lp.EventBuses[0].Name) != "orders" || lp.NextToken == nil {
		t.Fatalf("ListEventBuses prefix page = %s", jsonOf(lp))
	}
	// A bus with rules is in use.
	if _, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("orders"), EventPattern: aws.String(`{"source":["x"]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("orders")})
	wantAPIError(t, err, "ValidationException")
	if _, err := b.client.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("other")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeEventBus after delete: %v", err)
	}
	_, err = b.client.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})
	wantAPIError(t, err, "ValidationException")
}

func TestTestEventPattern(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	event := `{"id":"1","account":"000000000000","source":"shop","time":"2026-01-01T00:00:00Z","region":"us-east-1","detail-type":"Order","resources":[],"detail":{"amount":12,"ip":"10.0.0.7"}}`
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{`{"source":["shop"]}`, true},
		{`{"source":[{"prefix":"sh"}],"detail":{"amount":[{"numeric":[">=",12]}]}}`, true},
		{`{"detail":{"ip":[{"cidr":"10.0.0.0/24"}]}}`, true},
		{`{"source":["bank"]}`, false},
		{`{"detail":{"amount":[{"numeric":["<",5]}]}}`, false},
	} {
		out, err := b.client.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(tc.pattern), Event: aws.String(event)})
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if out.Result != tc.want {
			t.Errorf("TestEventPattern(%s) = %v, want %v", tc.pattern, out.Result, tc.want)
		}
	}
	_, err := b.client.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"source":"shop"}`), Event: aws.String(event)})
	var bad *types.InvalidEventPatternException
	if !errors.As(err, &bad) || bad.ErrorMessage() == "" {
		t.Fatalf("bad pattern: %v, want InvalidEventPatternException", err)
	}
	_, err = b.client.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(`{"source":["shop"]}`), Event: aws.String(`{"source":"shop"}`)})
	wantAPIError(t, err, "ValidationException")
}

func TestTypedErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	_, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":[{"nope":1}]}`)})
	var bad *types.InvalidEventPatternException
	if !errors.As(err, &bad) {
		t.Fatalf("PutRule bad pattern: %v", err)
	}
	_, err = b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("ghost"), EventPattern: aws.String(`{"source":["x"]}`)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() == "" {
		t.Fatalf("PutRule on unknown bus: %v", err)
	}
	_, err = b.client.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("ghost")})
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeArchive unknown: %v", err)
	}
	_, err = b.client.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("ghost")})
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeReplay unknown: %v", err)
	}
	_, err = b.client.CancelReplay(ctx, &eventbridge.CancelReplayInput{ReplayName: aws.String("ghost")})
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Replay ghost does not exist." {
		t.Fatalf("CancelReplay unknown: %v", err)
	}
	// An operation Ferry does not serve.
	_, err = b.client.ListConnections(ctx, &eventbridge.ListConnectionsInput{})
	wantAPIError(t, err, "UnknownOperationException")
}

func TestArchiveAndReplay(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Minute)
	ca, err := b.client.CreateArchive(ctx, &eventbridge.CreateArchiveInput{
		ArchiveName:    aws.String("keep"),
		EventSourceArn: aws.String(ferry.DefaultRealm.BusARN("default")),
		EventPattern:   aws.String(`{"source":["shop"]}`),
		RetentionDays:  aws.Int32(3),
	})
	if err != nil {
		t.Fatal(err)
	}
	archiveARN := aws.ToString(ca.ArchiveArn)
	if archiveARN != "arn:aws:events:us-east-1:000000000000:archive/keep" || ca.State != types.ArchiveStateEnabled {
		t.Fatalf("CreateArchive = %s", jsonOf(ca))
	}
	_, err = b.client.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("keep"), EventSourceArn: aws.String(ferry.DefaultRealm.BusARN("default"))})
	var exists *types.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("second CreateArchive: %v", err)
	}
	_, err = b.client.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("bad"), EventSourceArn: aws.String(ferry.DefaultRealm.BusARN("default")), EventPattern: aws.String(`[1]`)})
	var bad *types.InvalidEventPatternException
	if !errors.As(err, &bad) {
		t.Fatalf("CreateArchive bad pattern: %v", err)
	}
	da, err := b.client.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("keep")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(da.ArchiveArn) != archiveARN || aws.ToString(da.EventSourceArn) != ferry.DefaultRealm.BusARN("default") ||
		aws.ToInt32(da.RetentionDays) != 3 || aws.ToString(da.EventPattern) != `{"source":["shop"]}` {
		t.Fatalf("DescribeArchive = %s", jsonOf(da))
	}
	// Two events are archived; no rule exists yet, so nothing is delivered.
	if _, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"n":1}`)},
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"n":2}`)},
		{Source: aws.String("bank"), DetailType: aws.String("Order"), Detail: aws.String(`{"n":3}`)},
	}}); err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, b)
	// Now a rule and a target; the replay sends the archived events to it.
	pr, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"detail-type":["Order"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"),
		Targets: []types.Target{{Id: aws.String("q"), Arn: aws.String(queueARN("replayed")), InputPath: aws.String("$.detail")}}}); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	sr, err := b.client.StartReplay(ctx, &eventbridge.StartReplayInput{
		ReplayName:     aws.String("again"),
		EventSourceArn: aws.String(archiveARN),
		Destination:    &types.ReplayDestination{Arn: aws.String(ferry.DefaultRealm.BusARN("default")), FilterArns: []string{aws.ToString(pr.RuleArn)}},
		EventStartTime: aws.Time(start),
		EventEndTime:   aws.Time(end),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(sr.ReplayArn) != "arn:aws:events:us-east-1:000000000000:replay/again" || sr.ReplayStartTime == nil {
		t.Fatalf("StartReplay = %s", jsonOf(sr))
	}
	got := b.queues.wait(t, 2)
	bodies := map[string]bool{}
	for _, g := range got {
		bodies[g.Body] = true
	}
	if len(got) != 2 || !bodies[`{"n":1}`] || !bodies[`{"n":2}`] {
		t.Fatalf("replayed deliveries = %+v", got)
	}
	var dr *eventbridge.DescribeReplayOutput
	deadline := time.Now().Add(20 * time.Second)
	for {
		dr, err = b.client.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("again")})
		if err != nil {
			t.Fatal(err)
		}
		if dr.State == types.ReplayStateCompleted || time.Now().After(deadline) {
			break
		}
		<-time.After(20 * time.Millisecond)
	}
	if dr.State != types.ReplayStateCompleted || aws.ToString(dr.EventSourceArn) != archiveARN ||
		aws.ToString(dr.Destination.Arn) != ferry.DefaultRealm.BusARN("default") ||
		jsonOf(dr.Destination.FilterArns) != jsonOf([]string{aws.ToString(pr.RuleArn)}) ||
		!dr.EventStartTime.Equal(start.Truncate(time.Millisecond)) {
		t.Fatalf("DescribeReplay = %s", jsonOf(dr))
	}
	_, err = b.client.StartReplay(ctx, &eventbridge.StartReplayInput{
		ReplayName: aws.String("again"), EventSourceArn: aws.String(archiveARN),
		Destination:    &types.ReplayDestination{Arn: aws.String(ferry.DefaultRealm.BusARN("default"))},
		EventStartTime: aws.Time(start), EventEndTime: aws.Time(end),
	})
	if !errors.As(err, &exists) {
		t.Fatalf("second StartReplay: %v", err)
	}
	if _, err := b.client.DeleteArchive(ctx, &eventbridge.DeleteArchiveInput{ArchiveName: aws.String("keep")}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("keep")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeArchive after delete: %v", err)
	}
}

// waitDispatched waits until the dispatcher has handled every event put so
// far (and so archived them): it consumes events in order, so it puts a
// marker event to a marker rule and waits for that delivery.
func waitDispatched(t *testing.T, b *bundle) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("marker"), EventPattern: aws.String(`{"source":["marker"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("marker"),
		Targets: []types.Target{{Id: aws.String("m"), Arn: aws.String(queueARN("marker"))}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("marker"), DetailType: aws.String("Marker"), Detail: aws.String(`{}`)},
	}}); err != nil {
		t.Fatal(err)
	}
	got := b.queues.wait(t, 1)
	if got[0].Queue != "marker" {
		t.Fatalf("first delivery = %+v, want the marker", got[0])
	}
	b.queues.mu.Lock()
	b.queues.got = nil
	b.queues.mu.Unlock()
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
