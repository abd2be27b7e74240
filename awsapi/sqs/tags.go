package sqsapi

import (
	"context"
)

// Queue tags live in the API's ResourceMeta under the queue ARN: TagQueue
// merges, UntagQueue removes, ListQueueTags returns them, CreateQueue
// "tags" tag a queue it creates and DeleteQueue forgets them.

func (a *API) tagQueue(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	info, err := a.queues.Info(name)
	if err != nil {
		return nil, err
	}
	if len(c.in.Tags) == 0 {
		return nil, fail(errMissingParameter, "the request must contain the parameter Tags")
	}
	return nil, a.meta.Tag(ctx, info.ARN, c.in.Tags)
}

func (a *API) untagQueue(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if len(c.in.TagKeys) == 0 {
		return nil, fail(errMissingParameter, "the request must contain the parameter TagKeys")
	}
	info, err := a.queues.Info(name)
	if err != nil {
		return nil, err
	}
	return nil, a.meta.Untag(ctx, info.ARN, c.in.TagKeys)
}

func (a *API) listQueueTags(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	info, err := a.queues.Info(name)
	if err != nil {
		return nil, err
	}
	tags, err := a.meta.Tags(ctx, info.ARN)
	if err != nil {
		return nil, err
	}
	return tagsResult{Tags: tags}, nil
}
