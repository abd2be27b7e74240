package snsapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "events")
	qsub := b.subscribe(t, arn, "sqs", queueArn+"q1", map[string]string{
		"RawMessageDelivery": "true",
		"FilterPolicy":       `{"kind":["a"]}`,
	})
	fsub := b.subscribe(t, arn, "lambda", functionArn+"fn", nil)
	hsub := b.subscribe(t, arn, "https", "https://example.invalid/hook", map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":5,"minDelayTarget":1,"maxDelayTarget":2}}`,
	})
	for _, s := range []string{qsub, fsub, hsub} {
		if !strings.HasPrefix(s, arn+":") {
			t.Fatalf("subscription ARN %q is not under topic %q", s, arn)
		}
	}

	attrs, err := b.client.GetSubscriptionAttributes(b.ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(qsub)})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"SubscriptionArn": qsub, "TopicArn": arn, "Protocol": "sqs", "Endpoint": queueArn + "q1",
		"RawMessageDelivery": "true", "FilterPolicy": `{"kind":["a"]}`, "FilterPolicyScope": "MessageAttributes",
		"PendingConfirmation": "false", "Owner": "000000000000",
	} {
		if got := attrs.Attributes[k]; got != want {
			t.Errorf("attribute %s = %q, want %q", k, got, want)
		}
	}

	if _, err := b.client.SetSubscriptionAttributes(b.ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: aws.String(qsub), AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("false"),
	}); err != nil {
		t.Fatal(err)
	}
	attrs, err = b.client.GetSubscriptionAttributes(b.ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(qsub)})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrs.Attributes["RawMessageDelivery"]; got != "false" {
		t.Errorf("RawMessageDelivery after set = %q, want false", got)
	}

	byTopic, err := b.client.ListSubscriptionsByTopic(b.ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range byTopic.Subscriptions {
		got = append(got, aws.ToString(s.SubscriptionArn))
		if aws.ToString(s.TopicArn) != arn || aws.ToString(s.Owner) != "000000000000" {
			t.Errorf("subscription row %+v has wrong topic or owner", s)
		}
	}
	want := []string{qsub, fsub, hsub}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ListSubscriptionsByTopic = %v, want %v", got, want)
	}

	// ConfirmSubscription: the subscription ARN is the only token Ferry knows.
	conf, err := b.client.ConfirmSubscription(b.ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(arn), Token: aws.String(hsub)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(conf.SubscriptionArn) != hsub {
		t.Errorf("ConfirmSubscription = %q, want %q", aws.ToString(conf.SubscriptionArn), hsub)
	}
	_, err = b.client.ConfirmSubscription(b.ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(arn), Token: aws.String("2336412f37fb687f5d51e6e2425f004aed")})
	wantErr[*types.InvalidParameterException](t, err)

	if _, err := b.client.Unsubscribe(b.ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(fsub)}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.GetSubscriptionAttributes(b.ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(fsub)})
	wantErr[*types.NotFoundException](t, err)
	all, err := b.client.ListSubscriptions(b.ctx, &sns.ListSubscriptionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Subscriptions) != 2 {
		t.Errorf("ListSubscriptions after unsubscribe: %d rows, want 2", len(all.Subscriptions))
	}
}

func TestSubscribeErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "events")
	sub := b.subscribe(t, arn, "sqs", queueArn+"q1", nil)
	tests := []struct {
		name                     string
		protocol, endpoint, attr string
		value                    string
	}{
		{"email protocol", "email", "a@example.com", "", ""},
		{"sqs endpoint not a queue", "sqs", functionArn + "fn", "", ""},
		{"bad filter policy", "sqs", queueArn + "q2", "FilterPolicy", `{"kind":`},
		{"bad scope", "sqs", queueArn + "q2", "FilterPolicyScope", "Everything"},
		{"raw delivery to lambda", "lambda", functionArn + "fn", "RawMessageDelivery", "true"},
		{"redrive policy", "sqs", queueArn + "q2", "RedrivePolicy", `{"deadLetterTargetArn":"` + queueArn + `dlq"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String(tt.protocol), Endpoint: aws.String(tt.endpoint)}
			if tt.attr != "" {
				in.Attributes = map[string]string{tt.attr: tt.value}
			}
			_, err := b.client.Subscribe(b.ctx, in)
			wantErr[*types.InvalidParameterException](t, err)
		})
	}
	_, err := b.client.Subscribe(b.ctx, &sns.SubscribeInput{TopicArn: aws.String(arn + "-missing"), Protocol: aws.String("sqs"), Endpoint: aws.String(queueArn + "q1")})
	wantErr[*types.NotFoundException](t, err)
	_, err = b.client.SetSubscriptionAttributes(b.ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: aws.String(sub), AttributeName: aws.String("SubscriptionRoleArn"), AttributeValue: aws.String("x"),
	})
	wantErr[*types.InvalidParameterException](t, err)
	// As on AWS, unsubscribing what is already gone succeeds.
	if _, err = b.client.Unsubscribe(b.ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn + ":no-such-id")}); err != nil {
		t.Fatalf("Unsubscribe of an unknown subscription: %v", err)
	}
}

func TestListSubscriptionsPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "many")
	other := b.topic(t, "other")
	b.subscribe(t, other, "sqs", queueArn+"elsewhere", nil)
	var want []string
	for i := range 130 {
		want = append(want, b.subscribe(t, arn, "sqs", fmt.Sprintf("%sq%03d", queueArn, i), nil))
	}
	slices.Sort(want)
	var got []string
	pages := 0
	p := sns.NewListSubscriptionsByTopicPaginator(b.client, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	for p.HasMorePages() {
		out, err := p.NextPage(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range out.Subscriptions {
			got = append(got, aws.ToString(s.SubscriptionArn))
		}
	}
	if pages != 2 || !slices.Equal(got, want) {
		t.Fatalf("paged %d pages, %d subscriptions; want 2 pages, %d in order", pages, len(got), len(want))
	}
	n := 0
	all := sns.NewListSubscriptionsPaginator(b.client, &sns.ListSubscriptionsInput{})
	for all.HasMorePages() {
		out, err := all.NextPage(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Subscriptions)
	}
	if n != 131 {
		t.Errorf("ListSubscriptions paged %d rows, want 131", n)
	}
}

// TestFilterPolicyRouting sets a filter policy through Subscribe, changes
// it with SetSubscriptionAttributes, and checks which messages reach the
// queue.
func TestFilterPolicyRouting(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "orders")
	sub := b.subscribe(t, arn, "sqs", queueArn+"big", map[string]string{
		"FilterPolicy":       `{"size":["big"]}`,
		"RawMessageDelivery": "true",
	})
	send := func(msg, size string) {
		b.publish(t, &sns.PublishInput{
			TopicArn: aws.String(arn), Message: aws.String(msg),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"size": {DataType: aws.String("String"), StringValue: aws.String(size)},
			},
		})
	}
	send("m1", "small")
	send("m2", "big")
	st := b.settled(t, sub, 2)
	if st.Delivered != 1 || st.Filtered != 1 {
		t.Fatalf("stats after two messages = %+v, want 1 delivered, 1 filtered", st)
	}
	if got := bodies(b.q.to("big")); !slices.Equal(got, []string{"m2"}) {
		t.Fatalf("queue got %v, want [m2]", got)
	}

	if _, err := b.client.SetSubscriptionAttributes(b.ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: aws.String(sub), AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"size":["small"]}`),
	}); err != nil {
		t.Fatal(err)
	}
	send("m3", "big")
	send("m4", "small")
	st = b.settled(t, sub, 4)
	if st.Delivered != 2 || st.Filtered != 2 {
		t.Fatalf("stats after four messages = %+v, want 2 delivered, 2 filtered", st)
	}
	got := bodies(b.q.to("big"))
	slices.Sort(got)
	if !slices.Equal(got, []string{"m2", "m4"}) {
		t.Fatalf("queue got %v, want [m2 m4]", got)
	}

	// A body-scoped policy through Subscribe attributes.
	bodySub := b.subscribe(t, arn, "sqs", queueArn+"eu", map[string]string{
		"FilterPolicy": `{"region":["eu"]}`, "FilterPolicyScope": "MessageBody", "RawMessageDelivery": "true",
	})
	b.publish(t, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(`{"region":"us"}`)})
	b.publish(t, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(`{"region":"eu"}`)})
	st = b.settled(t, bodySub, 2)
	if st.Delivered != 1 || st.Filtered != 1 {
		t.Fatalf("body scope stats = %+v, want 1 delivered, 1 filtered", st)
	}
	if got := bodies(b.q.to("eu")); !slices.Equal(got, []string{`{"region":"eu"}`}) {
		t.Fatalf("queue eu got %v", got)
	}
}

func bodies(msgs []ferryMsg) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Body)
	}
	return out
}

// envelope is the SNS JSON a queue receives without raw delivery.
type envelope struct {
	Type              string
	MessageID         string `json:"MessageId"`
	TopicArn          string
	Subject           string
	Message           string
	SignatureVersion  string
	SigningCertURL    string
	MessageAttributes map[string]struct{ Type, Value string }
}

func decodeEnvelope(t testing.TB, body string) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("envelope %q: %v", body, err)
	}
	return e
}
