package eventsapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ferry-run/ferry"
)

// Tags of event buses and rules live in the API's ResourceMeta under the
// resource ARN: TagResource merges, UntagResource removes,
// ListTagsForResource returns them; CreateEventBus and PutRule Tags tag
// what they create, and DeleteEventBus and DeleteRule forget them.

type tagJSON struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

// decodeTags reads a Tags member ([{Key, Value}]); nil is no tags.
func decodeTags(raw json.RawMessage) (map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []tagJSON
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, ferry.Wrap(eSerialization, err, "member Tags: expected a list of {Key, Value}")
	}
	out := make(map[string]string, len(list))
	for _, t := range list {
		if t.Key == nil || t.Value == nil {
			return nil, ferry.Errorf(ferry.EINVALID, "each tag needs a Key and a Value")
		}
		out[*t.Key] = *t.Value
	}
	if err := ferry.ValidateTags(nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// taggedResource checks that arn names an existing bus or rule and returns
// its canonical ARN.
func (a *API) taggedResource(ctx context.Context, arn string) (string, error) {
	if arn == "" {
		return "", ferry.Errorf(ferry.EINVALID, "ResourceARN is required")
	}
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "events" {
		return "", ferry.Errorf(ferry.EINVALID, "%s is not an EventBridge event bus or rule ARN", ferry.Shorten(arn))
	}
	if name, ok := strings.CutPrefix(p[5], "event-bus/"); ok {
		if _, err := a.describeEventBus(ctx, &busRef{Name: &name}); err != nil {
			return "", err
		}
		return a.realm.BusARN(name), nil
	}
	if rest, ok := strings.CutPrefix(p[5], "rule/"); ok {
		b, name := "default", rest
		if i := strings.LastIndexByte(rest, '/'); i >= 0 {
			b, name = rest[:i], rest[i+1:]
		}
		if _, err := a.buses.DescribeRule(ctx, b, name); err != nil {
			return "", err
		}
		return a.realm.RuleARN(b, name), nil
	}
	return "", ferry.Errorf(ferry.EINVALID, "%s is not an EventBridge event bus or rule ARN; Ferry tags buses and rules", ferry.Shorten(arn))
}

type tagResourceRequest struct {
	ResourceARN *string
	Tags        json.RawMessage
}

func (a *API) tagResource(ctx context.Context, req *tagResourceRequest) (empty, error) {
	arn, err := a.taggedResource(ctx, str(req.ResourceARN))
	if err != nil {
		return empty{}, err
	}
	tags, err := decodeTags(req.Tags)
	if err != nil {
		return empty{}, err
	}
	if len(tags) == 0 {
		return empty{}, ferry.Errorf(ferry.EINVALID, "Tags is required")
	}
	return empty{}, a.meta.Tag(ctx, arn, tags)
}

type untagResourceRequest struct {
	ResourceARN *string
	TagKeys     []string
}

func (a *API) untagResource(ctx context.Context, req *untagResourceRequest) (empty, error) {
	arn, err := a.taggedResource(ctx, str(req.ResourceARN))
	if err != nil {
		return empty{}, err
	}
	return empty{}, a.meta.Untag(ctx, arn, req.TagKeys)
}

type listTagsRequest struct {
	ResourceARN *string
}

type listTagsResponse struct {
	Tags []tagJSON `json:"Tags"`
}

func (a *API) listTagsForResource(ctx context.Context, req *listTagsRequest) (listTagsResponse, error) {
	arn, err := a.taggedResource(ctx, str(req.ResourceARN))
	if err != nil {
		return listTagsResponse{}, err
	}
	tags, err := a.meta.Tags(ctx, arn)
	if err != nil {
		return listTagsResponse{}, err
	}
	out := listTagsResponse{Tags: []tagJSON{}}
	for k, v := range tags {
		out.Tags = append(out.Tags, tagJSON{Key: &k, Value: &v})
	}
	slices.SortFunc(out.Tags, func(x, y tagJSON) int { return strings.Compare(*x.Key, *y.Key) })
	return out, nil
}

// tagCreated gives a resource just created its tags, forgetting any a
// deleted resource of the same ARN left.
func (a *API) tagCreated(ctx context.Context, arn string, tags map[string]string) error {
	if err := a.meta.Forget(ctx, arn); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	return a.meta.Tag(ctx, arn, tags)
}
