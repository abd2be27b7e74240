package sqsapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// TestPolicyAttribute: the Policy attribute is stored and returned exactly
// (accepted, not enforced); AddPermission and RemovePermission edit it.
func TestPolicyAttribute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}]}`
	url := b.createQueue(t, "policed", map[string]string{"Policy": policy, "VisibilityTimeout": "40"})
	getPolicy := func(names ...types.QueueAttributeName) map[string]string {
		t.Helper()
		out, err := b.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	if got := getPolicy(types.QueueAttributeNamePolicy)["Policy"]; got != policy {
		t.Fatalf("Policy = %q, want it exactly as set: %q", got, policy)
	}
	all := getPolicy(types.QueueAttributeNameAll)
	if all["Policy"] != policy || all["VisibilityTimeout"] != "40" {
		t.Fatalf("All = %v, want the Policy and VisibilityTimeout", all)
	}
	both := getPolicy(types.QueueAttributeNamePolicy, types.QueueAttributeNameVisibilityTimeout)
	if both["Policy"] != policy || both["VisibilityTimeout"] != "40" {
		t.Fatalf("Policy+VisibilityTimeout = %v", both)
	}
	// Set it again: an empty value removes it.
	if _, err := b.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"Policy": ""}}); err != nil {
		t.Fatal(err)
	}
	if got, ok := getPolicy(types.QueueAttributeNamePolicy)["Policy"]; ok {
		t.Fatalf("Policy after clearing = %q, want none", got)
	}
	_, err := b.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"Policy": "not json"}})
	wantErr[*types.InvalidAttributeValue](t, err)

	if _, err := b.client.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("send"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Principal map[string][]string
			Action    []string
			Resource  string
		}
	}
	if err := json.Unmarshal([]byte(getPolicy(types.QueueAttributeNamePolicy)["Policy"]), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 || doc.Statement[0].Sid != "send" || doc.Statement[0].Principal["AWS"][0] != "arn:aws:iam::111122223333:root" ||
		doc.Statement[0].Action[0] != "SQS:SendMessage" || doc.Statement[0].Resource != "arn:aws:sqs:us-east-1:000000000000:policed" {
		t.Fatalf("policy after AddPermission = %+v", doc)
	}
	_, err = b.client.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("send"),
		AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})
	if ae := wantErr[smithy.APIError](t, err); ae.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("duplicate label: %v", err)
	}
	if _, err := b.client.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(url), Label: aws.String("send")}); err != nil {
		t.Fatal(err)
	}
	if got, ok := getPolicy(types.QueueAttributeNamePolicy)["Policy"]; ok {
		t.Fatalf("Policy after removing the only statement = %q, want none", got)
	}
	_, err = b.client.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(url), Label: aws.String("send")})
	if ae := wantErr[smithy.APIError](t, err); ae.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("unknown label: %v", err)
	}
}
