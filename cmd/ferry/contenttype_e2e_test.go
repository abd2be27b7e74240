package main

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// typeRecorder is an HTTP client that notes the method, path and
// Content-Type of each request the SDK sends.
type typeRecorder struct {
	mu   sync.Mutex
	seen map[string]string
}

func (rec *typeRecorder) Do(r *http.Request) (*http.Response, error) {
	key := r.Method + " " + r.URL.Path
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		key = t
	}
	if strings.HasSuffix(key, "/invocations") && r.ContentLength == 0 {
		key += " without a payload"
	}
	rec.mu.Lock()
	rec.seen[key] = r.Header.Get("Content-Type")
	rec.mu.Unlock()
	return http.DefaultClient.Do(r)
}

// TestSDKContentTypes: the content types the API port requires are the
// ones aws-sdk-go-v2 sends, for each protocol and for the Lambda calls
// that change state (Invoke with and without a payload included).
func TestSDKContentTypes(t *testing.T) {
	t.Parallel()
	m := setup(t, 0.01)
	ctx := context.Background()
	rec := &typeRecorder{seen: map[string]string{}}
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	ep := aws.String(m.APIURL())
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, HTTPClient: rec, RetryMaxAttempts: 1})
	f := nodeFn("typed")
	_, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(f.name), Runtime: types.Runtime(f.runtime), Handler: aws.String(f.handler),
		Role: aws.String("arn:aws:iam::000000000000:role/lambda"), Code: &types.FunctionCode{ZipFile: f.zip},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("typed"), ZipFile: f.zip}); err != nil {
		t.Fatal(err)
	}
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("typed"), Payload: []byte(`{"id":"sdk","amount":1}`)})
	if err != nil || out.FunctionError != nil || !strings.Contains(string(out.Payload), `"paid":1`) {
		t.Fatalf("invoke: %v %s", err, out.Payload)
	}
	if _, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("typed"), InvocationType: types.InvocationTypeEvent}); err != nil {
		t.Fatalf("invoke without a payload: %v", err)
	}
	if _, err := lc.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("typed")}); err != nil {
		t.Fatal(err)
	}

	qc := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, HTTPClient: rec, RetryMaxAttempts: 1})
	q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("typed")})
	if err != nil {
		t.Fatal(err)
	}
	sc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, HTTPClient: rec, RetryMaxAttempts: 1})
	topic, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("typed")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(m.Config.Realm.QueueARN("typed"))})
	if err != nil {
		t.Fatal(err)
	}
	// SNS's UnsubscribeURL is a link to follow with GET.
	unsub := "/?" + url.Values{"Action": {"Unsubscribe"}, "SubscriptionArn": {aws.ToString(sub.SubscriptionArn)}}.Encode()
	if code, _, body := apiRequest(t, m, "GET", unsub, "", nil, ""); code != 200 {
		t.Fatalf("following the unsubscribe link: %d %s", code, body)
	}
	if subs, _ := m.Topics.ListSubscriptionsByTopic(ctx, "typed"); len(subs) != 0 {
		t.Fatalf("still subscribed after the unsubscribe link: %v", subs)
	}
	ec := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, HTTPClient: rec, RetryMaxAttempts: 1})
	if _, err := ec.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("typed"), DetailType: aws.String("t"), Detail: aws.String(`{}`)},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := qc.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Fatal(err)
	}

	want := map[string]string{
		"POST /2015-03-31/functions":                                     "application/json",
		"PUT /2015-03-31/functions/typed/code":                           "application/json",
		"POST /2015-03-31/functions/typed/invocations":                   "application/octet-stream",
		"POST /2015-03-31/functions/typed/invocations without a payload": "",
		"DELETE /2015-03-31/functions/typed":                             "",
		"AmazonSQS.CreateQueue":                                          ctSQSJSON,
		"AmazonSQS.DeleteQueue":                                          ctSQSJSON,
		"POST /":                                                         "application/x-www-form-urlencoded",
		"AWSEvents.PutEvents":                                            ctEventsJSON,
	}
	var diffs []string
	for k, v := range want {
		got, ok := rec.seen[k]
		if !ok || !strings.HasPrefix(got, v) || v == "" && got != "" {
			diffs = append(diffs, k+": sent "+got+", want "+v)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("the SDK sent other content types than the ones the API requires:\n%s\nall: %v", strings.Join(diffs, "\n"), rec.seen)
	}
}
