package sqsapi

import (
	"context"
)

// The queue service stores no tags, so no queue ever has one: TagQueue and
// CreateQueue with tags are refused by name, ListQueueTags answers an empty
// set and UntagQueue (removing tags that are not there) succeeds.

func errNoTags(op string) error {
	return fail(errUnsupported, "%s: queue tags are not supported by Ferry (the queue service has no tag storage)", op)
}

func (a *API) tagQueue(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if _, err := a.queues.Info(name); err != nil {
		return nil, err
	}
	if len(c.in.Tags) == 0 {
		return nil, fail(errMissingParameter, "the request must contain the parameter Tags")
	}
	return nil, errNoTags("TagQueue")
}

func (a *API) untagQueue(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if len(c.in.TagKeys) == 0 {
		return nil, fail(errMissingParameter, "the request must contain the parameter TagKeys")
	}
	_, err = a.queues.Info(name)
	return nil, err
}

func (a *API) listQueueTags(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if _, err := a.queues.Info(name); err != nil {
		return nil, err
	}
	return tagsResult{}, nil
}
