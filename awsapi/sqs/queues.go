package sqsapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/queue"
)

// settableAttrs are the attributes CreateQueue and SetQueueAttributes take.
var settableAttrs = map[string]bool{
	queue.AttrDelaySeconds: true, queue.AttrMaximumMessageSize: true, queue.AttrRetentionPeriod: true,
	queue.AttrReceiveWaitTime: true, queue.AttrVisibilityTimeout: true, queue.AttrRedrivePolicy: true,
	queue.AttrRedriveAllowPolicy: true, queue.AttrFifoQueue: true, queue.AttrContentBasedDeduplication: true,
	queue.AttrDeduplicationScope: true, queue.AttrFifoThroughputLimit: true,
}

// readableAttrs are the attributes GetQueueAttributes returns.
var readableAttrs = map[string]bool{
	queue.AttrNumMessages: true, queue.AttrNumNotVisible: true, queue.AttrNumDelayed: true,
	queue.AttrCreatedTimestamp: true, queue.AttrLastModifiedTimestmp: true, queue.AttrQueueArn: true,
}

// absentAttrs are SQS attributes Ferry's queues never have: asking for one
// returns nothing, setting one is refused by the queue service by name.
var absentAttrs = map[string]bool{
	"KmsMasterKeyId": true, "KmsDataKeyReusePeriodSeconds": true,
	"SqsManagedSseEnabled": true,
}

// queue resolves the queue an operation names: its QueueUrl member (a URL,
// a name or an ARN) or, for a query request posted to a queue URL, the path.
// An unknown account or a malformed URL is QueueDoesNotExist.
func (a *API) queue(c *call) (string, error) {
	ref := c.in.QueueURL
	if ref == "" {
		ref = c.pathQueue
	}
	if ref == "" {
		return "", fail(errMissingParameter, "the request must contain the parameter QueueUrl")
	}
	name := ref
	switch {
	case strings.HasPrefix(ref, "arn:"):
		arn, err := ferry.ParseARN(ref)
		if err != nil || arn.Kind != ferry.KindQueue {
			return "", fail(errQueueDoesNotExist, "%s is not a queue ARN", ferry.Shorten(ref))
		}
		if arn.Account != a.realm.Account {
			return "", fail(errQueueDoesNotExist, "the queue %s is not in account %s", ref, a.realm.Account)
		}
		name = arn.Name
	case strings.Contains(ref, "/"):
		path := ref
		if u, err := url.Parse(ref); err == nil && u.Host != "" {
			path = u.Path
		}
		seg := strings.Split(strings.Trim(path, "/"), "/")
		name = seg[len(seg)-1]
		if len(seg) != 2 || seg[0] != a.realm.Account {
			return "", fail(errQueueDoesNotExist, "the queue URL %s does not name a queue of account %s (want <endpoint>/%s/<queue>)", ferry.Shorten(ref), a.realm.Account, a.realm.Account)
		}
	}
	if !ferry.ValidQueueName(name) {
		return "", fail(errQueueDoesNotExist, "the specified queue %s does not exist", ferry.Shorten(name))
	}
	return name, nil
}

// queueURL is the URL of a queue as seen by the requesting client.
func (a *API) queueURL(c *call, name string) string {
	return strings.TrimSuffix(a.publicURL(c.r), "/") + "/" + a.realm.Account + "/" + name
}

func (a *API) createQueue(ctx context.Context, c *call) (any, error) {
	name := c.in.QueueName
	if name == "" {
		return nil, fail(errMissingParameter, "the request must contain the parameter QueueName")
	}
	if !ferry.ValidQueueName(name) {
		return nil, fail(errInvalidParameter, "queue name %q must be 1-80 characters of letters, digits, '-' and '_', a FIFO queue's ending in .fifo", name)
	}
	if err := checkSettable(c.in.Attributes); err != nil {
		return nil, err
	}
	attrs, policy, hasPolicy, err := splitPolicy(c.in.Attributes)
	if err != nil {
		return nil, err
	}
	if err := ferry.ValidateTags(nil, c.in.CreateTags); err != nil {
		return nil, as(err, ferry.EINVALID, errInvalidParameter)
	}
	_, missing := a.queues.Info(name)
	info, err := a.queues.CreateQueue(ctx, name, attrs)
	if err != nil {
		return nil, as(err, ferry.EINVALID, errInvalidAttrValue)
	}
	if err := a.created(ctx, info.ARN, missing != nil, policy, hasPolicy, c.in.CreateTags); err != nil {
		return nil, err
	}
	return queueURLResult{a.queueURL(c, name)}, nil
}

// checkSettable refuses attribute names SQS does not know. Names it knows
// but Ferry does not support are refused by name by the queue service.
func checkSettable(attrs map[string]string) error {
	for _, k := range sortedKeys(attrs) {
		if !settableAttrs[k] && !absentAttrs[k] && k != attrPolicy {
			if readableAttrs[k] {
				return fail(errInvalidAttrName, "attribute %s is read-only", k)
			}
			return fail(errInvalidAttrName, "unknown queue attribute %s", k)
		}
	}
	return nil
}

func (a *API) deleteQueue(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if err := a.queues.DeleteQueue(ctx, name); err != nil {
		return nil, err
	}
	return nil, a.meta.Forget(ctx, a.realm.QueueARN(name))
}

func (a *API) purgeQueue(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	return nil, a.queues.PurgeQueue(ctx, name)
}

func (a *API) getQueueURL(ctx context.Context, c *call) (any, error) {
	name := c.in.QueueName
	if name == "" {
		return nil, fail(errMissingParameter, "the request must contain the parameter QueueName")
	}
	if o := c.in.QueueOwnerAWSAccountID; o != "" && o != a.realm.Account {
		return nil, fail(errQueueDoesNotExist, "the specified queue %s does not exist in account %s", ferry.Shorten(name), o)
	}
	if !ferry.ValidQueueName(name) {
		return nil, fail(errQueueDoesNotExist, "the specified queue %s does not exist", ferry.Shorten(name))
	}
	if _, err := a.queues.Info(name); err != nil {
		return nil, err
	}
	return queueURLResult{a.queueURL(c, name)}, nil
}

// maxListResults is the most ListQueues and ListDeadLetterSourceQueues return.
const maxListResults = 1000

func (a *API) listQueues(ctx context.Context, c *call) (any, error) {
	qs, err := a.queues.ListQueues(ctx, c.in.QueueNamePrefix)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(qs))
	for i, q := range qs {
		names[i] = q.Name
	}
	page, next, err := paginate(names, c.in.MaxResults, c.in.NextToken)
	if err != nil {
		return nil, err
	}
	out := listQueuesResult{NextToken: next}
	for _, n := range page {
		out.QueueURLs = append(out.QueueURLs, a.queueURL(c, n))
	}
	return out, nil
}

// paginate returns the page of sorted names after token. As in SQS, a
// next token is returned only when the caller set MaxResults.
func paginate(names []string, max *int, token string) ([]string, string, error) {
	limit := maxListResults
	if max != nil {
		if *max < 1 || *max > maxListResults {
			return nil, "", fail(errInvalidParameter, "MaxResults must be from 1 to %d, got %d", maxListResults, *max)
		}
		limit = *max
	}
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", fail(errInvalidParameter, "invalid NextToken %q", token)
		}
		i := 0
		for i < len(names) && names[i] <= string(after) {
			i++
		}
		names = names[i:]
	}
	if len(names) <= limit {
		return names, "", nil
	}
	page := names[:limit]
	if max == nil {
		return page, "", nil
	}
	return page, base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1])), nil
}

func (a *API) getQueueAttributes(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range c.in.AttributeNames {
		switch {
		case n == queue.AttrAll || settableAttrs[n] || readableAttrs[n]:
			names = append(names, n)
		case n == attrPolicy: // kept by the API, added below
		case absentAttrs[n]:
		default:
			return nil, fail(errInvalidAttrName, "unknown queue attribute %s", n)
		}
	}
	if len(names) == 0 {
		if _, err := a.queues.Info(name); err != nil {
			return nil, err
		}
		attrs := map[string]string{}
		if wantsPolicy(c.in.AttributeNames) {
			if err := a.addPolicy(ctx, name, attrs); err != nil {
				return nil, err
			}
		}
		return attributesResult{Attributes: attrs}, nil
	}
	attrs, err := a.queues.GetQueueAttributes(ctx, name, names)
	if err != nil {
		return nil, as(err, ferry.EINVALID, errInvalidAttrName)
	}
	if wantsPolicy(c.in.AttributeNames) {
		if err := a.addPolicy(ctx, name, attrs); err != nil {
			return nil, err
		}
	}
	return attributesResult{Attributes: attrs}, nil
}

func (a *API) setQueueAttributes(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if len(c.in.Attributes) == 0 {
		return nil, fail(errMissingParameter, "the request must contain the parameter Attributes")
	}
	if err := checkSettable(c.in.Attributes); err != nil {
		return nil, err
	}
	attrs, policy, hasPolicy, err := splitPolicy(c.in.Attributes)
	if err != nil {
		return nil, err
	}
	info, err := a.queues.Info(name)
	if err != nil {
		return nil, err
	}
	if len(attrs) > 0 {
		if err := a.queues.SetQueueAttributes(ctx, name, attrs); err != nil {
			return nil, as(err, ferry.EINVALID, errInvalidAttrValue)
		}
	}
	if hasPolicy {
		return nil, a.meta.SetPolicy(ctx, info.ARN, policy)
	}
	return nil, nil
}

// deadLetterSources lists, sorted, the queues whose RedrivePolicy names dlq.
func (a *API) deadLetterSources(ctx context.Context, dlq string) ([]string, error) {
	qs, err := a.queues.ListQueues(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, q := range qs {
		attrs, err := a.queues.GetQueueAttributes(ctx, q.Name, []string{queue.AttrRedrivePolicy})
		if ferry.ErrorCode(err) == ferry.ENOTFOUND {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		var p struct {
			Target string `json:"deadLetterTargetArn"`
		}
		if v := attrs[queue.AttrRedrivePolicy]; v == "" || json.Unmarshal([]byte(v), &p) != nil {
			continue
		}
		if arn, err := ferry.ParseARN(p.Target); err == nil && arn.Kind == ferry.KindQueue && arn.Name == dlq {
			out = append(out, q.Name)
		}
	}
	return out, nil
}

func (a *API) listDeadLetterSourceQueues(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if _, err := a.queues.Info(name); err != nil {
		return nil, err
	}
	sources, err := a.deadLetterSources(ctx, name)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(sources, c.in.MaxResults, c.in.NextToken)
	if err != nil {
		return nil, err
	}
	out := deadLetterSourcesResult{QueueURLs: []string{}, NextToken: next}
	for _, n := range page {
		out.QueueURLs = append(out.QueueURLs, a.queueURL(c, n))
	}
	return out, nil
}
