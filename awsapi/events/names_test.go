package eventsapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// TestNamesOutsideEventBridgeLimits: every name member is held to
// EventBridge's documented length and pattern and answered
// ValidationException naming the member, before the bus service sees it.
func TestNamesOutsideEventBridgeLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	long := strings.Repeat("n", 4100)
	calls := []struct {
		member string
		call   func() error
	}{
		{"'ReplayName'", func() error {
			_, err := b.client.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String(long)})
			return err
		}},
		{"'ArchiveName'", func() error {
			_, err := b.client.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String(strings.Repeat("a", 49))})
			return err
		}},
		{"'Name'", func() error {
			_, err := b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("a*b")})
			return err
		}},
		{"'Name'", func() error {
			_, err := b.client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("a b")})
			return err
		}},
		{"'EventBusName'", func() error {
			_, err := b.client.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String(long)})
			return err
		}},
		{"'Rule'", func() error {
			_, err := b.client.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(strings.Repeat("r", 65))})
			return err
		}},
		{"'Ids'", func() error {
			_, err := b.client.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("r"), Ids: []string{">"}})
			return err
		}},
		{"'Targets.Id'", func() error {
			_, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"),
				Targets: []types.Target{{Id: aws.String(long), Arn: aws.String(queueARN("q"))}}})
			return err
		}},
		{"'Entries.1.member.EventBusName'", func() error {
			_, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
				EventBusName: aws.String("a\x00b"), Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}")}}})
			return err
		}},
	}
	for _, c := range calls {
		err := c.call()
		wantAPIError(t, err, "ValidationException")
		if !strings.Contains(err.Error(), c.member) {
			t.Errorf("error %.200q does not name %s", err.Error(), c.member)
		}
	}
	// Names at the limits and bus ARNs still pass the check.
	if _, err := b.client.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("arn:aws:events:us-east-1:000000000000:event-bus/default")}); err != nil {
		t.Errorf("DescribeEventBus by ARN: %v", err)
	}
	_, err := b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(strings.Repeat("r", 64))})
	wantAPIError(t, err, "ResourceNotFoundException")
}
