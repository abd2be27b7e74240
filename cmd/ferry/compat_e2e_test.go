package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// TestScheduledRuleE2E: a rule with a ScheduleExpression, put through the
// EventBridge API, runs on Ferry's scheduler and sends the Scheduled Event
// to its target; deleting it removes its schedule.
func TestScheduledRuleE2E(t *testing.T) {
	t.Parallel()
	m := setupWith(t, Config{ClockScale: 0.001}) // rate(1 minute) fires every 60 ms
	ctx := context.Background()
	ep, creds := aws.String(m.APIURL()), credentials.NewStaticCredentialsProvider("test", "test", "")
	eb := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	qc := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("ticks")})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("every-minute"), ScheduleExpression: aws.String("rate(1 minute)")})
	if err != nil {
		t.Fatal(err)
	}
	ruleARN := aws.ToString(pr.RuleArn)
	dr, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("every-minute")})
	if err != nil || aws.ToString(dr.ScheduleExpression) != "rate(1 minute)" || dr.EventPattern != nil {
		t.Fatalf("DescribeRule = %+v, %v", dr, err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("every-minute"), Targets: []ebtypes.Target{
		{Id: aws.String("q"), Arn: aws.String(m.Config.Realm.QueueARN("ticks"))}}}); err != nil {
		t.Fatal(err)
	}
	out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 5})
	if err != nil || len(out.Messages) == 0 {
		t.Fatalf("no Scheduled Event reached the target: %v", err)
	}
	var ev struct {
		Source     string   `json:"source"`
		DetailType string   `json:"detail-type"`
		Resources  []string `json:"resources"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Source != "aws.events" || ev.DetailType != "Scheduled Event" || len(ev.Resources) != 1 || ev.Resources[0] != ruleARN {
		t.Fatalf("event = %+v", ev)
	}
	if _, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("every-minute"), Ids: []string{"q"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("every-minute")}); err != nil {
		t.Fatal(err)
	}
	scheds, err := m.Schedules.List(ctx)
	if err != nil || len(scheds) != 0 {
		t.Fatalf("schedules after DeleteRule = %+v, %v", scheds, err)
	}
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("bad"), ScheduleExpression: aws.String("rate(5 fortnights)")})
	wantAPIErrorCode(t, err, "ValidationException")
}

// TestUnknownQueryActionIsSNSXML: a query action no service knows is
// answered in SNS's XML error shape, naming the action.
func TestUnknownQueryActionIsSNSXML(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	req, _ := http.NewRequest(http.MethodPost, m.APIURL()+"/", strings.NewReader(url.Values{"Action": {"CreatePlatformApplication"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Header.Get("Content-Type"), "xml") ||
		!strings.Contains(string(body), "<Code>InvalidAction</Code>") || !strings.Contains(string(body), "CreatePlatformApplication") {
		t.Fatalf("unknown action: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func wantAPIErrorCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// TestSharedPermissionActionsRouted: AddPermission, an action SQS and SNS
// share, reaches SQS when posted to a queue URL or with QueueUrl, and SNS
// with a TopicArn; both store the statement in the resource's policy.
func TestSharedPermissionActionsRouted(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	ctx := context.Background()
	ep, creds := aws.String(m.APIURL()), credentials.NewStaticCredentialsProvider("test", "test", "")
	qc := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: ep, Credentials: creds, RetryMaxAttempts: 1})
	if _, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("perm")}); err != nil {
		t.Fatal(err)
	}
	post := func(path string, form url.Values) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, m.APIURL()+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %v: %d %s", path, form, resp.StatusCode, b)
		}
		return string(b)
	}
	post("/000000000000/perm", url.Values{"Action": {"AddPermission"}, "Label": {"a"}, "AWSAccountId.1": {"111122223333"}, "ActionName.1": {"SendMessage"}})
	body := post("/", url.Values{"Action": {"CreateTopic"}, "Name": {"perm"}})
	if !strings.Contains(body, "<CreateTopicResponse") {
		t.Fatalf("CreateTopic: %s", body)
	}
	post("/", url.Values{"Action": {"AddPermission"}, "TopicArn": {m.Config.Realm.TopicARN("perm")}, "Label": {"b"},
		"AWSAccountId.member.1": {"111122223333"}, "ActionName.member.1": {"Publish"}})
	qa, err := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(m.APIURL() + "/000000000000/perm"),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil || !strings.Contains(qa.Attributes["Policy"], `"Sid":"a"`) {
		t.Fatalf("queue Policy = %v, %v", qa.Attributes, err)
	}
	body = post("/", url.Values{"Action": {"GetTopicAttributes"}, "TopicArn": {m.Config.Realm.TopicARN("perm")}})
	if !strings.Contains(body, "&#34;Sid&#34;:&#34;b&#34;") {
		t.Fatalf("topic Policy lacks the statement: %s", body)
	}
}
