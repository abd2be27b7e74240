package eventsapi_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/ferry-run/ferry"
)

func tagsOf(t *testing.T, b *bundle, arn string) map[string]string {
	t.Helper()
	out, err := b.client.ListTagsForResource(context.Background(), &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource %s: %v", arn, err)
	}
	m := map[string]string{}
	for _, tg := range out.Tags {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// TestBusAndRuleTags: Tags on CreateEventBus and PutRule, and the
// TagResource family on buses and rules, are stored and returned.
func TestBusAndRuleTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	cb, err := b.client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("pay")}}})
	if err != nil {
		t.Fatal(err)
	}
	busARN := aws.ToString(cb.EventBusArn)
	if got := tagsOf(t, b, busARN); !maps.Equal(got, map[string]string{"team": "pay"}) {
		t.Fatalf("bus tags = %v", got)
	}
	pr, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("big"), EventBusName: aws.String("orders"),
		EventPattern: aws.String(`{"source":["shop"]}`), Tags: []types.Tag{{Key: aws.String("cost"), Value: aws.String("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	ruleARN := aws.ToString(pr.RuleArn)
	if ruleARN != "arn:aws:events:us-east-1:000000000000:rule/orders/big" {
		t.Fatalf("rule ARN %s", ruleARN)
	}
	if _, err := b.client.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: aws.String(ruleARN),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	// An update of the rule keeps its tags (PutRule Tags apply on create).
	if _, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("big"), EventBusName: aws.String("orders"),
		EventPattern: aws.String(`{"source":["shop2"]}`), Tags: []types.Tag{{Key: aws.String("ignored"), Value: aws.String("x")}}}); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(t, b, ruleARN); !maps.Equal(got, map[string]string{"cost": "1", "env": "dev"}) {
		t.Fatalf("rule tags = %v", got)
	}
	if _, err := b.client.UntagResource(ctx, &eventbridge.UntagResourceInput{ResourceARN: aws.String(ruleARN), TagKeys: []string{"cost"}}); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(t, b, ruleARN); !maps.Equal(got, map[string]string{"env": "dev"}) {
		t.Fatalf("rule tags after untag = %v", got)
	}
	_, err = b.client.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(ferry.DefaultRealm.BusARN("ghost"))})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Event bus ghost does not exist." {
		t.Fatalf("tags of an unknown bus: %v", err)
	}
}

// TestRuleErrorsAsAWS: DescribeRule of an unknown rule is worded as
// EventBridge words it, DeleteRule of one succeeds, DescribeRule reports
// CreatedBy, and PutTargets refuses a target ARN that is not one.
func TestRuleErrorsAsAWS(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	_, err := b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("unknown")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Rule unknown does not exist on EventBus default." {
		t.Fatalf("DescribeRule unknown: %v", err)
	}
	if _, err := b.client.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("unknown")}); err != nil {
		t.Fatalf("DeleteRule unknown: %v", err)
	}
	_, err = b.client.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("unknown"), EventBusName: aws.String("ghost")})
	if !errors.As(err, &nf) {
		t.Fatalf("DeleteRule on an unknown bus: %v", err)
	}
	if _, err := b.client.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":["a"]}`)}); err != nil {
		t.Fatal(err)
	}
	dr, err := b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("r")})
	if err != nil || aws.ToString(dr.CreatedBy) != "000000000000" {
		t.Fatalf("DescribeRule CreatedBy = %q, %v", aws.ToString(dr.CreatedBy), err)
	}
	pt, err := b.client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []types.Target{
		{Id: aws.String("bad"), Arn: aws.String("not-an-arn")},
		{Id: aws.String("good"), Arn: aws.String(queueARN("q"))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if pt.FailedEntryCount != 1 || aws.ToString(pt.FailedEntries[0].TargetId) != "bad" || aws.ToString(pt.FailedEntries[0].ErrorCode) != "ValidationException" {
		t.Fatalf("PutTargets = %s", jsonOf(pt))
	}
}

// TestArchiveCompat: an archive keeps its Description, counts its events,
// can be listed and updated, and has its managed Events-Archive-<name>
// rule; replays are listed and a finished one cannot be cancelled.
func TestArchiveCompat(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	busARN := ferry.DefaultRealm.BusARN("default")
	start := time.Now().Add(-time.Minute)
	if _, err := b.client.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("keep"), EventSourceArn: aws.String(busARN),
		Description: aws.String("all shop events"), EventPattern: aws.String(`{"source":["shop"]}`)}); err != nil {
		t.Fatal(err)
	}
	dr, err := b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("Events-Archive-keep")})
	if err != nil {
		t.Fatalf("the archive's managed rule: %v", err)
	}
	if aws.ToString(dr.ManagedBy) == "" || aws.ToString(dr.EventPattern) != `{"replay-name":[{"exists":false}],"source":["shop"]}` {
		t.Fatalf("managed rule = %s", jsonOf(dr))
	}
	_, err = b.client.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("Events-Archive-keep")})
	var managed *types.ManagedRuleException
	if !errors.As(err, &managed) {
		t.Fatalf("DeleteRule of the managed rule without Force: %v", err)
	}
	if _, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"n":1}`)},
		{Source: aws.String("shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"n":2}`)},
		{Source: aws.String("bank"), DetailType: aws.String("Order"), Detail: aws.String(`{"n":3}`)},
	}}); err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, b)
	da, err := b.client.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("keep")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(da.Description) != "all shop events" || da.EventCount != 2 {
		t.Fatalf("DescribeArchive = %s; want the description and EventCount 2", jsonOf(da))
	}
	if _, err := b.client.UpdateArchive(ctx, &eventbridge.UpdateArchiveInput{ArchiveName: aws.String("keep"),
		Description: aws.String("changed"), RetentionDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	la, err := b.client.ListArchives(ctx, &eventbridge.ListArchivesInput{EventSourceArn: aws.String(busARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(la.Archives) != 1 || aws.ToString(la.Archives[0].ArchiveName) != "keep" || aws.ToInt32(la.Archives[0].RetentionDays) != 7 || la.Archives[0].EventCount != 2 {
		t.Fatalf("ListArchives = %s", jsonOf(la))
	}
	da, _ = b.client.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("keep")})
	if aws.ToString(da.Description) != "changed" {
		t.Fatalf("after UpdateArchive: %s", jsonOf(da))
	}
	if _, err := b.client.StartReplay(ctx, &eventbridge.StartReplayInput{ReplayName: aws.String("again"),
		EventSourceArn: aws.String("arn:aws:events:us-east-1:000000000000:archive/keep"), Description: aws.String("replay it"),
		Destination:    &types.ReplayDestination{Arn: aws.String(busARN)},
		EventStartTime: aws.Time(start), EventEndTime: aws.Time(time.Now())}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		lr, err := b.client.ListReplays(ctx, &eventbridge.ListReplaysInput{NamePrefix: aws.String("ag")})
		if err != nil {
			t.Fatal(err)
		}
		if len(lr.Replays) != 1 || aws.ToString(lr.Replays[0].ReplayName) != "again" {
			t.Fatalf("ListReplays = %s", jsonOf(lr))
		}
		if lr.Replays[0].State == types.ReplayStateCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replay not completed: %s", jsonOf(lr))
		}
		time.Sleep(20 * time.Millisecond)
	}
	rp, err := b.client.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("again")})
	if err != nil || aws.ToString(rp.Description) != "replay it" {
		t.Fatalf("DescribeReplay = %s, %v", jsonOf(rp), err)
	}
	_, err = b.client.CancelReplay(ctx, &eventbridge.CancelReplayInput{ReplayName: aws.String("again")})
	var illegal *types.IllegalStatusException
	if !errors.As(err, &illegal) {
		t.Fatalf("CancelReplay of a completed replay: %v", err)
	}
	if _, err := b.client.DeleteArchive(ctx, &eventbridge.DeleteArchiveInput{ArchiveName: aws.String("keep")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("Events-Archive-keep")}); err == nil {
		t.Fatal("the managed rule outlived its archive")
	}
}
