package snsapi

import (
	"context"
	"slices"
	"strings"
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
	policy, hasPolicy := attrs[attrPolicy]
	if hasPolicy {
		if err := checkPolicy(policy); err != nil {
			return nil, err
		}
		delete(attrs, attrPolicy)
	}
	if r.p.get("DataProtectionPolicy") != "" {
		return nil, invalidParameter("DataProtectionPolicy is not supported by Ferry")
	}
	_, missing := a.topics.GetTopicAttributes(ctx, name)
	arn, err := a.topics.CreateTopic(ctx, name, attrs)
	if err != nil {
		return nil, err
	}
	if err := a.created(ctx, arn, missing != nil, policy, hasPolicy, tags); err != nil {
		return nil, err
	}
	return createTopicResult{arn}, nil
}

func (a *API) deleteTopic(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	if err := a.topics.DeleteTopic(ctx, arn); err != nil {
		return nil, err
	}
	return nil, a.meta.Forget(ctx, a.topicARN(arn))
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
	if attrs[attrPolicy], err = a.policyOf(ctx, attrs["TopicArn"]); err != nil {
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
	if name == attrPolicy {
		return nil, a.setPolicy(ctx, arn, r.p.get("AttributeValue"))
	}
	return nil, a.topics.SetTopicAttributes(ctx, arn, name, r.p.get("AttributeValue"))
}
