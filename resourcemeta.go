package ferry

import "context"

// ResourceMeta holds what deployment tools attach to a resource beyond its
// configuration: tags and a resource policy, keyed by the resource's ARN.
// Ferry stores and returns them exactly; it does not enforce policies.
//
// Errors: EINVALID for a malformed tag set (more than MaxTags keys, keys or
// values over AWS's lengths), EUNAVAILABLE when the store cannot be reached.
// An ARN with nothing stored reads as no tags and no policy.
type ResourceMeta interface {
	// Tags returns a copy of the ARN's tags (empty, never nil).
	Tags(ctx context.Context, arn string) (map[string]string, error)
	// Tag adds tags to the ARN, replacing the values of keys it has.
	Tag(ctx context.Context, arn string, tags map[string]string) error
	// Untag removes keys; absent keys are ignored.
	Untag(ctx context.Context, arn string, keys []string) error
	// Policy returns the ARN's policy document, "" when it has none.
	Policy(ctx context.Context, arn string) (string, error)
	// SetPolicy stores a policy document exactly as given; "" removes it.
	SetPolicy(ctx context.Context, arn, policy string) error
	// Forget removes everything stored for the ARN (its resource was deleted).
	Forget(ctx context.Context, arn string) error
}

// Tag limits AWS applies to every service Ferry serves.
const (
	MaxTags        = 50
	MaxTagKeyLen   = 128
	MaxTagValueLen = 256
)

// ValidateTags checks a tag set against AWS's limits once merged into the
// resource's existing tags (have may be nil).
func ValidateTags(have, add map[string]string) error {
	n := len(have)
	for k, v := range add {
		if k == "" || len(k) > MaxTagKeyLen {
			return Errorf(EINVALID, "tag key %q must be 1-%d characters", Shorten(k), MaxTagKeyLen)
		}
		if len(v) > MaxTagValueLen {
			return Errorf(EINVALID, "the value of tag %q is longer than %d characters", k, MaxTagValueLen)
		}
		if _, ok := have[k]; !ok {
			n++
		}
	}
	if n > MaxTags {
		return Errorf(EINVALID, "a resource can have at most %d tags; this request would give it %d", MaxTags, n)
	}
	return nil
}
