package snsapi

import (
	"context"
	"slices"
	"strings"

	"github.com/ferry-run/ferry"
)

// attributesXML is an SNS attribute map: <entry><key/><value/></entry>...,
// sorted by key.
type attributesXML struct {
	Entries []entryXML `xml:"entry"`
}

type entryXML struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func toAttributesXML(m map[string]string) attributesXML {
	out := attributesXML{Entries: make([]entryXML, 0, len(m))}
	for k, v := range m {
		out.Entries = append(out.Entries, entryXML{k, v})
	}
	slices.SortFunc(out.Entries, func(a, b entryXML) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// members is an SNS list: <member>..</member>..., written even when empty.
type members[T any] struct {
	Members []T `xml:"member"`
}

type createTopicResult struct {
	TopicArn string `xml:"TopicArn"`
}

func (a *API) createTopic(ctx context.Context, r *request) (any, error) {
	name, err := r.p.required("Name")
	if err != nil {
		return nil, err
	}
	attrs, err := r.p.stringMap("Attributes")
	if err != nil {
		return nil, err
	}
	tags, err := r.p.tags("Tags")
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		return nil, invalidParameter("Tags: resource tags are not supported by Ferry")
	}
	if r.p.get("DataProtectionPolicy") != "" {
		return nil, invalidParameter("DataProtectionPolicy is not supported by Ferry")
	}
	arn, err := a.topics.CreateTopic(ctx, name, attrs)
	if err != nil {
		return nil, err
	}
	return createTopicResult{arn}, nil
}

func (a *API) deleteTopic(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	return nil, a.topics.DeleteTopic(ctx, arn)
}

type topicXML struct {
	TopicArn string `xml:"TopicArn"`
}

type listTopicsResult struct {
	Topics    members[topicXML] `xml:"Topics"`
	NextToken string            `xml:"NextToken,omitempty"`
}

func (a *API) listTopics(ctx context.Context, r *request) (any, error) {
	arns, err := a.topics.ListTopics(ctx)
	if err != nil {
		return nil, err
	}
	pg, next, err := page(arns, func(s string) string { return s }, r.p.get("NextToken"))
	if err != nil {
		return nil, err
	}
	out := listTopicsResult{Topics: members[topicXML]{make([]topicXML, len(pg))}, NextToken: next}
	for i, arn := range pg {
		out.Topics.Members[i].TopicArn = arn
	}
	return out, nil
}

type attributesResult struct {
	Attributes attributesXML `xml:"Attributes"`
}

func (a *API) getTopicAttributes(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	attrs, err := a.topics.GetTopicAttributes(ctx, arn)
	if err != nil {
		return nil, err
	}
	return attributesResult{toAttributesXML(attrs)}, nil
}

func (a *API) setTopicAttributes(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	name, err := r.p.required("AttributeName")
	if err != nil {
		return nil, err
	}
	return nil, a.topics.SetTopicAttributes(ctx, arn, name, r.p.get("AttributeValue"))
}

// Tags: Ferry stores none. Listing answers an empty list and untagging
// succeeds (the resource carries none of the keys afterwards); tagging is
// refused by name.

type listTagsResult struct {
	Tags members[tagXML] `xml:"Tags"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// taggedTopic checks that ResourceArn names an existing topic; a missing one
// is ResourceNotFound, as the tagging operations report it.
func (a *API) taggedTopic(ctx context.Context, r *request) error {
	arn, err := r.p.required("ResourceArn")
	if err != nil {
		return err
	}
	if _, err := a.topics.GetTopicAttributes(ctx, arn); err != nil {
		if ferry.ErrorCode(err) == ferry.ENOTFOUND {
			return &apiError{errResourceNotFound, ferry.ErrorMessage(err)}
		}
		return err
	}
	return nil
}

func (a *API) listTagsForResource(ctx context.Context, r *request) (any, error) {
	if err := a.taggedTopic(ctx, r); err != nil {
		return nil, err
	}
	return listTagsResult{}, nil
}

type emptyResult struct{}

func (a *API) tagResource(ctx context.Context, r *request) (any, error) {
	if err := a.taggedTopic(ctx, r); err != nil {
		return nil, err
	}
	if _, err := r.p.tags("Tags"); err != nil {
		return nil, err
	}
	return nil, invalidParameter("TagResource: resource tags are not supported by Ferry")
}

func (a *API) untagResource(ctx context.Context, r *request) (any, error) {
	if err := a.taggedTopic(ctx, r); err != nil {
		return nil, err
	}
	if _, err := r.p.list("TagKeys"); err != nil {
		return nil, err
	}
	return emptyResult{}, nil
}
