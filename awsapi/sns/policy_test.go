package snsapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// TestTopicPolicy: GetTopicAttributes reports a Policy (SNS's default one
// until another is set); a Policy set on create or with SetTopicAttributes
// is returned exactly (accepted, not enforced); AddPermission and
// RemovePermission edit its statements.
func TestTopicPolicy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "policed")
	policyOf := func(arn string) string {
		t.Helper()
		out, err := b.client.GetTopicAttributes(b.ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["Policy"]
	}
	def := policyOf(arn)
	if !strings.Contains(def, `"__default_policy_ID"`) || !strings.Contains(def, arn) {
		t.Fatalf("default Policy = %q, want SNS's default policy for the topic", def)
	}
	const mine = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}]}`
	if _, err := b.client.SetTopicAttributes(b.ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn),
		AttributeName: aws.String("Policy"), AttributeValue: aws.String(mine)}); err != nil {
		t.Fatal(err)
	}
	if got := policyOf(arn); got != mine {
		t.Fatalf("Policy = %q, want exactly %q", got, mine)
	}
	created, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{Name: aws.String("born-policed"), Attributes: map[string]string{"Policy": mine}})
	if err != nil {
		t.Fatal(err)
	}
	if got := policyOf(aws.ToString(created.TopicArn)); got != mine {
		t.Fatalf("CreateTopic Policy = %q, want exactly %q", got, mine)
	}
	_, err = b.client.SetTopicAttributes(b.ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn),
		AttributeName: aws.String("Policy"), AttributeValue: aws.String("{not json")})
	wantErr[*types.InvalidParameterException](t, err)

	if _, err := b.client.AddPermission(b.ctx, &sns.AddPermissionInput{TopicArn: aws.String(arn), Label: aws.String("pub"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"}}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid    string
			Action any
		}
	}
	if err := json.Unmarshal([]byte(policyOf(arn)), &doc); err != nil {
		t.Fatal(err)
	}
	if n := len(doc.Statement); n != 2 || doc.Statement[1].Sid != "pub" || fmt.Sprint(doc.Statement[1].Action) != "[SNS:Publish]" {
		t.Fatalf("policy after AddPermission = %+v", doc)
	}
	_, err = b.client.AddPermission(b.ctx, &sns.AddPermissionInput{TopicArn: aws.String(arn), Label: aws.String("pub"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"}})
	wantErr[*types.InvalidParameterException](t, err)
	if _, err := b.client.RemovePermission(b.ctx, &sns.RemovePermissionInput{TopicArn: aws.String(arn), Label: aws.String("pub")}); err != nil {
		t.Fatal(err)
	}
	if got := policyOf(arn); strings.Contains(got, `"pub"`) {
		t.Fatalf("policy after RemovePermission still has the statement: %s", got)
	}
	_, err = b.client.AddPermission(b.ctx, &sns.AddPermissionInput{TopicArn: aws.String(arn + "-gone"), Label: aws.String("x"),
		AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"}})
	wantErr[*types.NotFoundException](t, err)
}

// TestUnsubscribeAfterTopicDeleted: as on AWS, Unsubscribe of a
// subscription whose topic was deleted succeeds.
func TestUnsubscribeAfterTopicDeleted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "short-lived")
	sub, err := b.client.Subscribe(b.ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:q"), ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.DeleteTopic(b.ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.Unsubscribe(b.ctx, &sns.UnsubscribeInput{SubscriptionArn: sub.SubscriptionArn}); err != nil {
		t.Fatalf("Unsubscribe after DeleteTopic: %v", err)
	}
}
