package snsapi_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func TestTopicLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	out, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{
		Name:       aws.String("orders"),
		Attributes: map[string]string{"DisplayName": "Orders", "SignatureVersion": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TopicArn)
	if want := "arn:aws:sns:us-east-1:000000000000:orders"; arn != want {
		t.Fatalf("TopicArn = %q, want %q", arn, want)
	}
	// The same name and attributes again is the same topic.
	again, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{
		Name:       aws.String("orders"),
		Attributes: map[string]string{"DisplayName": "Orders", "SignatureVersion": "2"},
	})
	if err != nil || aws.ToString(again.TopicArn) != arn {
		t.Fatalf("CreateTopic again = %v, %v; want %s", again, err, arn)
	}

	attrs, err := b.client.GetTopicAttributes(b.ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"TopicArn": arn, "DisplayName": "Orders", "SignatureVersion": "2",
		"Owner": "000000000000", "SubscriptionsConfirmed": "0",
	} {
		if got := attrs.Attributes[k]; got != want {
			t.Errorf("attribute %s = %q, want %q", k, got, want)
		}
	}
	if attrs.Attributes["EffectiveDeliveryPolicy"] == "" {
		t.Errorf("EffectiveDeliveryPolicy missing from %v", attrs.Attributes)
	}

	if _, err := b.client.SetTopicAttributes(b.ctx, &sns.SetTopicAttributesInput{
		TopicArn: aws.String(arn), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Renamed"),
	}); err != nil {
		t.Fatal(err)
	}
	attrs, err = b.client.GetTopicAttributes(b.ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrs.Attributes["DisplayName"]; got != "Renamed" {
		t.Errorf("DisplayName after set = %q, want Renamed", got)
	}

	if _, err := b.client.DeleteTopic(b.ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = b.client.GetTopicAttributes(b.ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	nf := wantErr[*types.NotFoundException](t, err)
	if nf.ErrorCode() != "NotFound" {
		t.Errorf("code = %q, want NotFound", nf.ErrorCode())
	}
	// Deleting a missing topic succeeds, as in SNS.
	if _, err := b.client.DeleteTopic(b.ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteTopic of a deleted topic: %v", err)
	}
}

func TestTopicErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "t1")
	tests := []struct {
		name string
		call func() error
	}{
		{"bad name", func() error {
			_, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{Name: aws.String("no spaces")})
			return err
		}},
		{"fifo", func() error {
			_, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{Name: aws.String("t.fifo")})
			return err
		}},
		{"empty tag key", func() error {
			_, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{
				Name: aws.String("tagged"), Tags: []types.Tag{{Key: aws.String(""), Value: aws.String("v")}},
			})
			return err
		}},
		{"unsupported attribute", func() error {
			_, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{
				Name: aws.String("kms"), Attributes: map[string]string{"KmsMasterKeyId": "alias/aws/sns"},
			})
			return err
		}},
		{"data protection", func() error {
			_, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{
				Name: aws.String("dp"), DataProtectionPolicy: aws.String("{}"),
			})
			return err
		}},
		{"bad attribute value", func() error {
			_, err := b.client.SetTopicAttributes(b.ctx, &sns.SetTopicAttributesInput{
				TopicArn: aws.String(arn), AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("3"),
			})
			return err
		}},
		{"different attributes", func() error {
			_, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{
				Name: aws.String("t1"), Attributes: map[string]string{"DisplayName": "other"},
			})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := wantErr[*types.InvalidParameterException](t, tt.call())
			if ip.ErrorMessage() == "" {
				t.Error("empty error message")
			}
		})
	}
	_, err := b.client.SetTopicAttributes(b.ctx, &sns.SetTopicAttributesInput{
		TopicArn: aws.String(arn + "-missing"), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("x"),
	})
	wantErr[*types.NotFoundException](t, err)
}

func TestListTopicsPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var want []string
	for i := range 205 {
		want = append(want, b.topic(t, fmt.Sprintf("t%03d", i)))
	}
	slices.Sort(want)

	first, err := b.client.ListTopics(b.ctx, &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Topics) != 100 || first.NextToken == nil {
		t.Fatalf("first page: %d topics, NextToken %v; want 100 and a token", len(first.Topics), first.NextToken)
	}
	var got []string
	pages := 0
	p := sns.NewListTopicsPaginator(b.client, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tp := range out.Topics {
			got = append(got, aws.ToString(tp.TopicArn))
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("paged %d pages, %d topics; want 3 pages, %d topics in order", pages, len(got), len(want))
	}

	_, err = b.client.ListTopics(b.ctx, &sns.ListTopicsInput{NextToken: aws.String("!!not a token")})
	wantErr[*types.InvalidParameterException](t, err)
}

func TestTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "tagged")
	listTags := func(arn string) map[string]string {
		t.Helper()
		out, err := b.client.ListTagsForResource(b.ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tg := range out.Tags {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	if got := listTags(arn); len(got) != 0 {
		t.Errorf("tags = %v, want none", got)
	}
	if _, err := b.client.TagResource(b.ctx, &sns.TagResourceInput{
		ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.client.UntagResource(b.ctx, &sns.UntagResourceInput{
		ResourceArn: aws.String(arn), TagKeys: []string{"env"},
	}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if got := listTags(arn); !maps.Equal(got, map[string]string{"team": "a"}) {
		t.Errorf("tags = %v, want team=a", got)
	}
	created, err := b.client.CreateTopic(b.ctx, &sns.CreateTopicInput{Name: aws.String("born-tagged"),
		Tags: []types.Tag{{Key: aws.String("cost"), Value: aws.String("42")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := listTags(aws.ToString(created.TopicArn)); !maps.Equal(got, map[string]string{"cost": "42"}) {
		t.Errorf("CreateTopic tags = %v, want cost=42", got)
	}
	var many []types.Tag
	for i := range 51 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = b.client.TagResource(b.ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
	wantErr[*types.TagLimitExceededException](t, err)
	_, err = b.client.ListTagsForResource(b.ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn + "x")})
	wantErr[*types.ResourceNotFoundException](t, err)
}
