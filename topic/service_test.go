package topic

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

func TestFilterPolicyRouting(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "events", nil)
	qa := ferry.DefaultRealm.QueueARN
	all := b.subscribe(t, "events", ProtocolSQS, qa("all"), nil)
	byAttr := b.subscribe(t, "events", ProtocolSQS, qa("eu"), map[string]string{
		AttrFilterPolicy: `{"region":["eu-west-1",{"prefix":"eu-"}],"amount":[{"numeric":[">",100]}]}`,
	})
	byBody := b.subscribe(t, "events", ProtocolSQS, qa("big"), map[string]string{
		AttrFilterPolicy:      `{"order":{"status":["paid"]}}`,
		AttrFilterPolicyScope: ScopeMessageBody,
	})
	attrs := func(region, amount string) map[string]ferry.MessageAttribute {
		return map[string]ferry.MessageAttribute{
			"region": {DataType: "String", StringValue: region},
			"amount": {DataType: "Number", StringValue: amount},
		}
	}
	msgs := []ferry.Notification{
		{Message: `{"order":{"status":"paid"}}`, Attributes: attrs("eu-central-1", "500")}, // both
		{Message: `{"order":{"status":"new"}}`, Attributes: attrs("eu-west-1", "50")},      // neither
		{Message: `{"order":{"status":"paid"}}`, Attributes: attrs("us-east-1", "500")},    // body only
		{Message: `not json`, Attributes: attrs("eu-west-1", "101")},                       // attrs only
	}
	for _, n := range msgs {
		b.publish(t, "events", n)
	}
	processed := func(sub string) uint64 { st := stats(t, b.svc, sub); return st.Delivered + st.Filtered }
	waitFor(t, "all processed", func() bool {
		return processed(all) == 4 && processed(byAttr) == 4 && processed(byBody) == 4
	})
	bodies := func(q string) []string {
		var out []string
		for _, m := range b.q.to(q) {
			out = append(out, m.Body)
		}
		return out
	}
	if got := len(b.q.to("all")); got != 4 {
		t.Errorf("unfiltered deliveries = %d, want 4", got)
	}
	if got := len(b.q.to("eu")); got != 2 {
		t.Errorf("attribute-filtered deliveries = %d, want 2: %v", got, bodies("eu"))
	}
	for _, body := range bodies("eu") {
		if !strings.Contains(body, `eu-central-1`) && !strings.Contains(body, `"101"`) {
			t.Errorf("attribute filter let through %s", body)
		}
	}
	if got := len(b.q.to("big")); got != 2 {
		t.Errorf("body-filtered deliveries = %d, want 2: %v", got, bodies("big"))
	}
	for _, body := range bodies("big") {
		if !strings.Contains(body, `\"paid\"`) {
			t.Errorf("body filter let through %s", body)
		}
	}
	if st := stats(t, b.svc, byAttr); st.Filtered != 2 {
		t.Errorf("attribute filter stats = %+v, want 2 filtered", st)
	}
}

func TestSetFilterPolicyTakesEffect(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "t", nil)
	sub := b.subscribe(t, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), nil)
	if err := b.svc.SetSubscriptionAttributes(b.ctx, sub, AttrFilterPolicy, `{"k":["yes"]}`); err != nil {
		t.Fatal(err)
	}
	b.publish(t, "t", ferry.Notification{Message: "no", Attributes: map[string]ferry.MessageAttribute{"k": {DataType: "String", StringValue: "no"}}})
	b.publish(t, "t", ferry.Notification{Message: "yes", Attributes: map[string]ferry.MessageAttribute{"k": {DataType: "String", StringValue: "yes"}}})
	waitFor(t, "processed", func() bool { st := stats(t, b.svc, sub); return st.Delivered+st.Filtered == 2 })
	got := b.q.to("q")
	if len(got) != 1 || !strings.Contains(got[0].Body, `"Message":"yes"`) {
		t.Errorf("deliveries = %v, want only the matching message", got)
	}
	attrs, err := b.svc.GetSubscriptionAttributes(b.ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if attrs[AttrFilterPolicy] != `{"k":["yes"]}` || attrs[AttrFilterPolicyScope] != ScopeMessageAttributes {
		t.Errorf("attributes = %v", attrs)
	}
	if attrs["PendingConfirmation"] != "false" || attrs["RawMessageDelivery"] != "false" || attrs["Protocol"] != "sqs" {
		t.Errorf("attributes = %v", attrs)
	}
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "t", nil)
	sub := b.subscribe(t, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), map[string]string{AttrRawMessageDelivery: "true"})
	res, err := b.svc.PublishBatch(b.ctx, "t", []BatchEntry{
		{ID: "a", Notification: ferry.Notification{Message: "one"}},
		{ID: "b", Notification: ferry.Notification{Message: ""}},
		{ID: "c", Notification: ferry.Notification{Message: "three", Attributes: map[string]ferry.MessageAttribute{"n": {DataType: "Number", StringValue: "x"}}}},
		{ID: "d", Notification: ferry.Notification{Message: "four"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("results = %d, want 4", len(res))
	}
	for i, want := range []struct {
		id, code string
	}{{"a", ""}, {"b", ferry.EINVALID}, {"c", ferry.EINVALID}, {"d", ""}} {
		if res[i].ID != want.id || ferry.ErrorCode(res[i].Err) != want.code {
			t.Errorf("result %d = %+v, want id %s code %q", i, res[i], want.id, want.code)
		}
		if (want.code == "") != (res[i].MessageID != "") {
			t.Errorf("result %d message id = %q", i, res[i].MessageID)
		}
	}
	waitFor(t, "deliveries", func() bool { return stats(t, b.svc, sub).Delivered == 2 })
	var bodies []string
	for _, m := range b.q.to("q") {
		bodies = append(bodies, m.Body)
	}
	if !reflect.DeepEqual(sorted(bodies), []string{"four", "one"}) {
		t.Errorf("delivered %v, want one and four", bodies)
	}

	many := make([]BatchEntry, 11)
	for i := range many {
		many[i] = BatchEntry{ID: fmt.Sprint("e", i), Notification: ferry.Notification{Message: "m"}}
	}
	big := strings.Repeat("x", MaxMessageSize/2+1)
	for _, tc := range []struct {
		name    string
		entries []BatchEntry
		want    error
	}{
		{"empty", nil, ErrEmptyBatch},
		{"too many", many, ErrTooManyEntries},
		{"duplicate ids", []BatchEntry{{ID: "x", Notification: ferry.Notification{Message: "1"}}, {ID: "x", Notification: ferry.Notification{Message: "2"}}}, ErrBatchIDsNotDistinct},
		{"bad id", []BatchEntry{{ID: "no spaces", Notification: ferry.Notification{Message: "1"}}}, ErrInvalidBatchID},
		{"too long", []BatchEntry{{ID: "a", Notification: ferry.Notification{Message: big}}, {ID: "b", Notification: ferry.Notification{Message: big}}}, ErrBatchTooLong},
	} {
		if _, err := b.svc.PublishBatch(b.ctx, "t", tc.entries); !errors.Is(err, tc.want) {
			t.Errorf("%s: error = %v, want %v", tc.name, err, tc.want)
		}
	}
	_, err = b.svc.PublishBatch(b.ctx, "missing", []BatchEntry{{ID: "a", Notification: ferry.Notification{Message: "m"}}})
	wantCode(t, err, ferry.ENOTFOUND)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestPublishDedupID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "t", nil)
	sub := b.subscribe(t, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), nil)
	id1 := b.publish(t, "t", ferry.Notification{Message: "m", DedupID: "req-1:OnSuccess"})
	id2 := b.publish(t, "t", ferry.Notification{Message: "m", DedupID: "req-1:OnSuccess"})
	id3 := b.publish(t, "t", ferry.Notification{Message: "m", DedupID: "req-2:OnSuccess"})
	if id1 != id2 || id1 == id3 {
		t.Errorf("message ids = %s, %s, %s; want the first two equal and the third different", id1, id2, id3)
	}
	waitFor(t, "deliveries", func() bool { return stats(t, b.svc, sub).Delivered == 2 })
	if got := len(b.q.to("q")); got != 2 {
		t.Errorf("deliveries = %d, want 2", got)
	}
}

func TestRestartKeepsTopicsSubscriptionsAndUndelivered(t *testing.T) {
	t.Parallel()
	b := setup(t)
	topicArn := b.topic(t, "durable", map[string]string{AttrDisplayName: "Durable"})
	b.topic(t, "other", nil)
	down := make(chan struct{}, 1)
	b.q.fail = func(string, ferry.OutgoingMessage) error {
		select {
		case down <- struct{}{}:
		default:
		}
		return ferry.Errorf(ferry.EUNAVAILABLE, "queue down")
	}
	sub := b.subscribe(t, "durable", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), map[string]string{AttrRawMessageDelivery: "true"})
	fsub := b.subscribe(t, "durable", ProtocolLambda, ferry.DefaultRealm.FunctionARN("f"), map[string]string{AttrFilterPolicy: `{"k":["v"]}`})
	id := b.publish(t, "durable", ferry.Notification{Message: "survive", Attributes: map[string]ferry.MessageAttribute{"k": {DataType: "String", StringValue: "v"}}})
	<-down
	waitFor(t, "function delivery", func() bool { return len(b.fn.all()) == 1 })
	b.stop(t)

	// The queue is back after the restart.
	b.q = &recQueue{}
	fnBefore := b.fn
	b.fn = &recFunctions{}
	b.start(t)

	topics, err := b.svc.ListTopics(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{topicArn, ferry.DefaultRealm.TopicARN("other")}; !reflect.DeepEqual(topics, want) {
		t.Errorf("topics after restart = %v, want %v", topics, want)
	}
	attrs, err := b.svc.GetTopicAttributes(b.ctx, topicArn)
	if err != nil {
		t.Fatal(err)
	}
	if attrs[AttrDisplayName] != "Durable" || attrs["SubscriptionsConfirmed"] != "2" {
		t.Errorf("topic attributes after restart = %v", attrs)
	}
	subs, err := b.svc.ListSubscriptionsByTopic(b.ctx, "durable")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 {
		t.Fatalf("subscriptions after restart = %v, want 2", subs)
	}
	sattrs, err := b.svc.GetSubscriptionAttributes(b.ctx, fsub)
	if err != nil {
		t.Fatal(err)
	}
	if sattrs[AttrFilterPolicy] != `{"k":["v"]}` {
		t.Errorf("filter policy after restart = %q", sattrs[AttrFilterPolicy])
	}

	waitFor(t, "redelivery after restart", func() bool { return len(b.q.to("q")) == 1 })
	got := b.q.to("q")[0]
	if got.Body != "survive" || got.DedupID != id+":"+sub[len(topicArn)+1:] {
		t.Errorf("redelivered %+v, want body survive and dedup id %s:<sub>", got, id)
	}
	// The function delivery was acknowledged before the restart: not repeated.
	if n := len(b.fn.all()); n != 0 || len(fnBefore.all()) != 1 {
		t.Errorf("function deliveries after restart = %d (before %d), want 0 (1)", n, len(fnBefore.all()))
	}

	// And the subscriptions still deliver new messages.
	b.publish(t, "durable", ferry.Notification{Message: "after", Attributes: map[string]ferry.MessageAttribute{"k": {DataType: "String", StringValue: "v"}}})
	waitFor(t, "new deliveries", func() bool { return len(b.q.to("q")) == 2 && len(b.fn.all()) == 1 })
}

func TestTopicLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "t", map[string]string{AttrDisplayName: "T"})
	if arn != "arn:aws:sns:us-east-1:000000000000:t" {
		t.Errorf("arn = %q", arn)
	}
	again, err := b.svc.CreateTopic(b.ctx, "t", map[string]string{AttrDisplayName: "T"})
	if err != nil || again != arn {
		t.Errorf("create again = %q, %v; want %q", again, err, arn)
	}
	_, err = b.svc.CreateTopic(b.ctx, "t", map[string]string{AttrDisplayName: "Other"})
	wantCode(t, err, ferry.EINVALID)

	if err := b.svc.SetTopicAttributes(b.ctx, arn, AttrDeliveryPolicy,
		`{"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":2,"maxDelayTarget":10,"backoffFunction":"linear"}}}`); err != nil {
		t.Fatal(err)
	}
	attrs, err := b.svc.GetTopicAttributes(b.ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(attrs["EffectiveDeliveryPolicy"], `"numRetries":5`) || attrs["Owner"] != "000000000000" || attrs["TopicArn"] != arn {
		t.Errorf("attributes = %v", attrs)
	}

	sub := b.subscribe(t, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), nil)
	same := b.subscribe(t, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), nil)
	if same != sub {
		t.Errorf("subscribing twice = %q and %q, want the same ARN", sub, same)
	}
	_, err = b.svc.Subscribe(b.ctx, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), map[string]string{AttrRawMessageDelivery: "true"})
	wantCode(t, err, ferry.EINVALID)
	list, err := b.svc.ListSubscriptions(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Subscription{{SubscriptionArn: sub, Owner: "000000000000", Protocol: "sqs", Endpoint: ferry.DefaultRealm.QueueARN("q"), TopicArn: arn}}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("subscriptions = %+v, want %+v", list, want)
	}

	if err := b.svc.DeleteTopic(b.ctx, arn); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Publish(b.ctx, "t", ferry.Notification{Message: "m"}); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("publish to deleted topic: %v, want not_found", err)
	}
	_, err = b.svc.GetSubscriptionAttributes(b.ctx, sub)
	wantCode(t, err, ferry.ENOTFOUND)
	if topics, _ := b.svc.ListTopics(b.ctx); len(topics) != 0 {
		t.Errorf("topics after delete = %v", topics)
	}
	if err := b.svc.DeleteTopic(b.ctx, arn); err != nil {
		t.Errorf("deleting a deleted topic: %v, want nil as SNS", err)
	}
	if err := b.svc.Unsubscribe(b.ctx, sub); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("unsubscribe deleted: %v", err)
	}
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "t", nil)
	sub := b.subscribe(t, "t", ProtocolLambda, ferry.DefaultRealm.FunctionARN("f"), nil)
	httpSub := b.subscribe(t, "t", ProtocolHTTP, "http://127.0.0.1:1/x", nil)
	str := func(v string) map[string]ferry.MessageAttribute {
		return map[string]ferry.MessageAttribute{"a": {DataType: "String", StringValue: v}}
	}
	s, ctx := b.svc, b.ctx
	for _, tc := range []struct {
		name string
		err  func() error
		code string
	}{
		{"bad topic name", func() error { _, err := s.CreateTopic(ctx, "bad name", nil); return err }, ferry.EINVALID},
		{"fifo topic", func() error { _, err := s.CreateTopic(ctx, "f", map[string]string{"FifoTopic": "true"}); return err }, ferry.EINVALID},
		{"unsupported topic attribute", func() error { _, err := s.CreateTopic(ctx, "p", map[string]string{"KmsMasterKeyId": "k"}); return err }, ferry.EINVALID},
		{"bad signature version", func() error { return s.SetTopicAttributes(ctx, "t", AttrSignatureVersion, "3") }, ferry.EINVALID},
		{"set attribute on missing topic", func() error { return s.SetTopicAttributes(ctx, "nope", AttrDisplayName, "x") }, ferry.ENOTFOUND},
		{"publish to missing topic", func() error { _, err := s.Publish(ctx, "nope", ferry.Notification{Message: "m"}); return err }, ferry.ENOTFOUND},
		{"publish to non-topic ARN", func() error {
			_, err := s.Publish(ctx, ferry.DefaultRealm.QueueARN("t"), ferry.Notification{Message: "m"})
			return err
		}, ferry.EINVALID},
		{"empty message", func() error { _, err := s.Publish(ctx, "t", ferry.Notification{}); return err }, ferry.EINVALID},
		{"message too large", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: strings.Repeat("x", MaxMessageSize+1)})
			return err
		}, ferry.ETOOLARGE},
		{"attributes push message over the limit", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: strings.Repeat("x", MaxMessageSize-5), Attributes: str("123456")})
			return err
		}, ferry.ETOOLARGE},
		{"long subject", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: "m", Subject: strings.Repeat("s", 101)})
			return err
		}, ferry.EINVALID},
		{"subject with newline", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: "m", Subject: "a\nb"})
			return err
		}, ferry.EINVALID},
		{"attribute name AWS.", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: "m", Attributes: map[string]ferry.MessageAttribute{"AWS.x": {DataType: "String", StringValue: "v"}}})
			return err
		}, ferry.EINVALID},
		{"bad number", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: "m", Attributes: map[string]ferry.MessageAttribute{"n": {DataType: "Number", StringValue: "ten"}}})
			return err
		}, ferry.EINVALID},
		{"bad string array", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: "m", Attributes: map[string]ferry.MessageAttribute{"n": {DataType: "String.Array", StringValue: "a,b"}}})
			return err
		}, ferry.EINVALID},
		{"unknown data type", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: "m", Attributes: map[string]ferry.MessageAttribute{"n": {DataType: "Date", StringValue: "x"}}})
			return err
		}, ferry.EINVALID},
		{"empty string attribute", func() error {
			_, err := s.Publish(ctx, "t", ferry.Notification{Message: "m", Attributes: str("")})
			return err
		}, ferry.EINVALID},
		{"subscribe to missing topic", func() error {
			_, err := s.Subscribe(ctx, "nope", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), nil)
			return err
		}, ferry.ENOTFOUND},
		{"unsupported protocol", func() error { _, err := s.Subscribe(ctx, "t", "email", "a@b.c", nil); return err }, ferry.EINVALID},
		{"sqs endpoint not a queue ARN", func() error {
			_, err := s.Subscribe(ctx, "t", ProtocolSQS, ferry.DefaultRealm.FunctionARN("f"), nil)
			return err
		}, ferry.EINVALID},
		{"http endpoint with https scheme", func() error { _, err := s.Subscribe(ctx, "t", ProtocolHTTP, "https://x", nil); return err }, ferry.EINVALID},
		{"bad filter policy", func() error {
			_, err := s.Subscribe(ctx, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q2"), map[string]string{AttrFilterPolicy: `{"a":"notarray"}`})
			return err
		}, ferry.EINVALID},
		{"bad filter scope", func() error {
			_, err := s.Subscribe(ctx, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q2"), map[string]string{AttrFilterPolicyScope: "Body"})
			return err
		}, ferry.EINVALID},
		{"raw delivery to lambda", func() error { return s.SetSubscriptionAttributes(ctx, sub, AttrRawMessageDelivery, "true") }, ferry.EINVALID},
		{"raw delivery not boolean", func() error { return s.SetSubscriptionAttributes(ctx, httpSub, AttrRawMessageDelivery, "yes") }, ferry.EINVALID},
		{"redrive policy unsupported", func() error { return s.SetSubscriptionAttributes(ctx, sub, "RedrivePolicy", `{}`) }, ferry.EINVALID},
		{"delivery policy on lambda", func() error {
			return s.SetSubscriptionAttributes(ctx, sub, AttrDeliveryPolicy, `{"healthyRetryPolicy":{"numRetries":1}}`)
		}, ferry.EINVALID},
		{"delivery policy over 3600 s", func() error {
			return s.SetSubscriptionAttributes(ctx, httpSub, AttrDeliveryPolicy, `{"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":60,"maxDelayTarget":60}}`)
		}, ferry.EINVALID},
		{"delivery policy bad backoff", func() error {
			return s.SetSubscriptionAttributes(ctx, httpSub, AttrDeliveryPolicy, `{"healthyRetryPolicy":{"backoffFunction":"cubic"}}`)
		}, ferry.EINVALID},
		{"delivery policy unknown field", func() error {
			return s.SetSubscriptionAttributes(ctx, httpSub, AttrDeliveryPolicy, `{"healthyRetryPolicy":{"retries":1}}`)
		}, ferry.EINVALID},
		{"unknown subscription", func() error {
			return s.SetSubscriptionAttributes(ctx, ferry.DefaultRealm.TopicARN("t")+":nope", AttrFilterPolicy, `{}`)
		}, ferry.ENOTFOUND},
		{"malformed subscription ARN", func() error { return s.Unsubscribe(ctx, "nope") }, ferry.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.err(), tc.code) })
	}
	// A failed attribute change leaves the subscription as it was.
	attrs, err := s.GetSubscriptionAttributes(ctx, httpSub)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := attrs[AttrDeliveryPolicy]; ok || attrs[AttrRawMessageDelivery] != "false" {
		t.Errorf("attributes after refused changes = %v", attrs)
	}
}

func TestRetryPolicySchedule(t *testing.T) {
	t.Parallel()
	var got []float64
	for n := 1; n <= 16; n++ {
		d, ok := managedPolicy.delay(n)
		if !ok {
			t.Fatalf("managed policy refuses retry %d", n)
		}
		got = append(got, d)
	}
	if got[0] != 0 || got[2] != 0 || got[3] != 1 || got[4] != 1 || got[14] != 20 || got[15] != 20 {
		t.Errorf("managed schedule = %v", got)
	}
	for i := 5; i < 15; i++ {
		if got[i] < got[i-1] {
			t.Errorf("backoff decreases at retry %d: %v", i+1, got)
		}
	}
	if _, ok := managedPolicy.delay(100014); !ok {
		t.Error("managed policy stops before 100,015 attempts")
	}
	if _, ok := managedPolicy.delay(100015); ok {
		t.Error("managed policy allows more than 100,015 attempts")
	}
	for n := 1; n <= 3; n++ {
		if d, ok := defaultHTTPPolicy.delay(n); !ok || d != 20 {
			t.Errorf("HTTP default retry %d = %v, %v; want 20 s", n, d, ok)
		}
	}
	if _, ok := defaultHTTPPolicy.delay(4); ok {
		t.Error("HTTP default allows a fourth retry")
	}
}

func TestStartStopIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.svc.Start(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Stop(b.ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Stop(b.ctx); err != nil {
		t.Fatal(err)
	}
	_, err := b.svc.Publish(b.ctx, "t", ferry.Notification{Message: "m"})
	wantCode(t, err, ferry.EUNAVAILABLE)
}
