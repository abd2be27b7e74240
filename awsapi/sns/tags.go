package snsapi

import (
	"context"
	"slices"
	"strings"

	"github.com/ferry-run/ferry"
)

// Topic tags live in the API's ResourceMeta under the topic ARN:
// TagResource merges, UntagResource removes, ListTagsForResource returns
// them, CreateTopic Tags tag a topic it creates and DeleteTopic forgets them.

type listTagsResult struct {
	Tags members[tagXML] `xml:"Tags"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type emptyResult struct{}

// topicARN is the canonical ARN of a topic named by name or ARN.
func (a *API) topicARN(ref string) string {
	if arn, err := ferry.ParseARN(ref); err == nil && arn.Kind == ferry.KindTopic {
		return a.realm.TopicARN(arn.Name)
	}
	return a.realm.TopicARN(ref)
}

// taggedTopic returns the ARN of the existing topic ResourceArn names; a
// missing one is ResourceNotFound, as the tagging operations report it.
func (a *API) taggedTopic(ctx context.Context, r *request) (string, error) {
	arn, err := r.p.required("ResourceArn")
	if err != nil {
		return "", err
	}
	attrs, err := a.topics.GetTopicAttributes(ctx, arn)
	if err != nil {
		if ferry.ErrorCode(err) == ferry.ENOTFOUND {
			return "", &apiError{errResourceNotFound, "Resource does not exist"}
		}
		return "", err
	}
	return attrs["TopicArn"], nil
}

func tagMap(tags []tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func (a *API) listTagsForResource(ctx context.Context, r *request) (any, error) {
	arn, err := a.taggedTopic(ctx, r)
	if err != nil {
		return nil, err
	}
	tags, err := a.meta.Tags(ctx, arn)
	if err != nil {
		return nil, err
	}
	out := listTagsResult{Tags: members[tagXML]{Members: []tagXML{}}}
	for k, v := range tags {
		out.Tags.Members = append(out.Tags.Members, tagXML{k, v})
	}
	slices.SortFunc(out.Tags.Members, func(a, b tagXML) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func (a *API) tagResource(ctx context.Context, r *request) (any, error) {
	arn, err := a.taggedTopic(ctx, r)
	if err != nil {
		return nil, err
	}
	tags, err := r.p.tags("Tags")
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, invalidParameter("Tags: the request must contain at least one tag")
	}
	if err := a.meta.Tag(ctx, arn, tagMap(tags)); err != nil {
		return nil, tagError(err)
	}
	return emptyResult{}, nil
}

func (a *API) untagResource(ctx context.Context, r *request) (any, error) {
	arn, err := a.taggedTopic(ctx, r)
	if err != nil {
		return nil, err
	}
	keys, err := r.p.list("TagKeys")
	if err != nil {
		return nil, err
	}
	if err := a.meta.Untag(ctx, arn, keys); err != nil {
		return nil, err
	}
	return emptyResult{}, nil
}

// tagError names a tag set over AWS's limits as SNS does (TagLimitExceeded
// for too many tags, InvalidParameter otherwise).
func tagError(err error) error {
	if ferry.ErrorCode(err) == ferry.EINVALID && strings.Contains(ferry.ErrorMessage(err), "at most") {
		return &apiError{errTagLimit, "Could not complete request: tag quota of per resource exceeded"}
	}
	return err
}
