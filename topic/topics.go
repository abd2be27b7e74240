package topic

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ferry-run/ferry"
)

type topicRecord struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Created    time.Time         `json:"created"`
}

type topicState struct {
	rec topicRecord
	rev uint64
}

// Topic attribute names Ferry honours.
const (
	AttrDisplayName      = "DisplayName"
	AttrDeliveryPolicy   = "DeliveryPolicy"
	AttrSignatureVersion = "SignatureVersion"
	AttrTracingConfig    = "TracingConfig"
	AttrFifoTopic        = "FifoTopic"
)

// validateTopicAttr checks one settable topic attribute.
func validateTopicAttr(name, value string) error {
	switch name {
	case AttrDisplayName:
		if len(value) > 100 {
			return ferry.Errorf(ferry.EINVALID, "DisplayName must be at most 100 characters")
		}
	case AttrDeliveryPolicy:
		if _, err := parseTopicDeliveryPolicy(value); err != nil {
			return err
		}
	case AttrSignatureVersion:
		if value != "1" && value != "2" {
			return ferry.Errorf(ferry.EINVALID, "SignatureVersion must be 1 or 2, got %q", value)
		}
	case AttrTracingConfig:
		if value != "PassThrough" && value != "Active" {
			return ferry.Errorf(ferry.EINVALID, "TracingConfig must be PassThrough or Active, got %q", value)
		}
	case AttrFifoTopic, AttrContentBasedDeduplication:
		if value != "true" && value != "false" {
			return ferry.Errorf(ferry.EINVALID, "%s must be true or false, got %q", name, value)
		}
	default:
		return ferry.Errorf(ferry.EINVALID, "topic attribute %q is not supported by Ferry", name)
	}
	return nil
}

// topicName resolves a topic name or ARN to a name.
func (s *Service) topicName(ref string) (string, error) {
	if strings.HasPrefix(ref, "arn:") {
		a, err := ferry.ParseARN(ref)
		if err != nil {
			return "", err
		}
		if a.Kind != ferry.KindTopic {
			return "", ferry.Errorf(ferry.EINVALID, "%q is not a topic ARN", ref)
		}
		ref = a.Name
	}
	if !ferry.ValidTopicName(ref) {
		return "", ferry.Errorf(ferry.EINVALID, "topic name %q must be 1-256 characters of letters, digits, '-' and '_'", ref)
	}
	return ref, nil
}

func (s *Service) topic(name string) (*topicState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.topics[name]
	if t == nil {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "topic %q does not exist", name)
	}
	return t, nil
}

// existingTopic resolves ref (a name or ARN) to a topic that exists on a
// running service: EUNAVAILABLE, EINVALID or ENOTFOUND otherwise.
func (s *Service) existingTopic(ref string) (string, *topicState, error) {
	if err := s.ready(); err != nil {
		return "", nil, err
	}
	name, err := s.topicName(ref)
	if err != nil {
		return "", nil, err
	}
	t, err := s.topic(name)
	if err != nil {
		return "", nil, err
	}
	return name, t, nil
}

// CreateTopic creates a topic and returns its ARN. Creating an existing topic
// with the same attributes returns its ARN; with different ones it is EINVALID.
func (s *Service) CreateTopic(ctx context.Context, name string, attrs map[string]string) (string, error) {
	if err := s.ready(); err != nil {
		return "", err
	}
	if !ferry.ValidTopicName(name) {
		return "", ferry.Errorf(ferry.EINVALID, "topic name %q must be 1-256 characters of letters, digits, '-' and '_'", name)
	}
	if err := checkFifoTopic(name, attrs); err != nil {
		return "", err
	}
	clean := map[string]string{}
	for k, v := range attrs {
		if err := validateTopicAttr(k, v); err != nil {
			return "", err
		}
		if k == AttrFifoTopic && v == "false" {
			continue // the default of a standard topic
		}
		clean[k] = v
	}
	arn := s.realm.TopicARN(name)
	if t, err := s.topic(name); err == nil {
		if !maps.Equal(t.rec.Attributes, clean) && len(clean) > 0 {
			return "", ferry.Errorf(ferry.EINVALID, "topic %q already exists with different attributes", name)
		}
		return arn, nil
	}
	rec := topicRecord{Name: name, Attributes: clean, Created: s.now().UTC()}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	rev, err := s.kv.Create(ctx, "topic."+name, b)
	if err != nil {
		if e, gerr := s.kv.Get(ctx, "topic."+name); gerr == nil {
			s.apply(ctx, e)
			return s.CreateTopic(ctx, name, attrs)
		}
		return "", kvError("create topic "+name, err)
	}
	s.mu.Lock()
	if cur := s.topics[name]; cur == nil || cur.rev < rev {
		s.topics[name] = &topicState{rec: rec, rev: rev}
	}
	s.mu.Unlock()
	return arn, nil
}

// DeleteTopic deletes a topic, its subscriptions and its undelivered
// messages. Deleting a missing topic is not an error, as in SNS.
func (s *Service) DeleteTopic(ctx context.Context, topic string) error {
	if err := s.ready(); err != nil {
		return err
	}
	name, err := s.topicName(topic)
	if err != nil {
		return err
	}
	for _, sub := range s.subsOf(name) {
		if err := s.Unsubscribe(ctx, sub.arn); err != nil && ferry.ErrorCode(err) != ferry.ENOTFOUND {
			return err
		}
	}
	if err := s.kv.Delete(ctx, "topic."+name); err != nil {
		return kvError("delete topic "+name, err)
	}
	s.mu.Lock()
	if cur := s.topics[name]; cur != nil {
		s.gone["topic."+name] = max(s.gone["topic."+name], cur.rev)
	}
	delete(s.topics, name)
	s.mu.Unlock()
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(jetstreamSubject(name))); err != nil {
		s.log.Warn("purge deleted topic", "topic", name, "err", err)
	}
	return nil
}

// ListTopics returns the ARNs of all topics, sorted. Paging (100 a page in
// SNS) is the API layer's.
func (s *Service) ListTopics(ctx context.Context) ([]string, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	out := make([]string, 0, len(s.topics))
	for name := range s.topics {
		out = append(out, s.realm.TopicARN(name))
	}
	s.mu.RUnlock()
	slices.Sort(out)
	return out, nil
}

// GetTopicAttributes returns a topic's attributes as SNS reports them.
func (s *Service) GetTopicAttributes(ctx context.Context, topic string) (map[string]string, error) {
	name, t, err := s.existingTopic(topic)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(t.rec.Attributes)
	if out == nil {
		out = map[string]string{}
	}
	out["TopicArn"] = s.realm.TopicARN(name)
	out["Owner"] = s.realm.Account
	if _, ok := out[AttrDisplayName]; !ok {
		out[AttrDisplayName] = ""
	}
	out["SubscriptionsConfirmed"] = strconv.Itoa(len(s.subsOf(name)))
	out["SubscriptionsPending"] = "0"
	out["SubscriptionsDeleted"] = "0"
	tp, _ := parseTopicDeliveryPolicy(t.rec.Attributes[AttrDeliveryPolicy])
	out["EffectiveDeliveryPolicy"] = tp.effectiveJSON()
	if IsFIFO(name) {
		out[AttrFifoTopic] = "true"
		if out[AttrContentBasedDeduplication] == "" {
			out[AttrContentBasedDeduplication] = "false"
		}
	}
	return out, nil
}

// SetTopicAttributes sets one topic attribute (SNS sets one per call). An
// empty value removes an optional attribute.
func (s *Service) SetTopicAttributes(ctx context.Context, topic, name, value string) error {
	if err := s.ready(); err != nil {
		return err
	}
	tn, err := s.topicName(topic)
	if err != nil {
		return err
	}
	if name == AttrFifoTopic {
		return ferry.Errorf(ferry.EINVALID, "FifoTopic can only be set when the topic is created")
	}
	if name == AttrContentBasedDeduplication && !IsFIFO(tn) {
		return ferry.Errorf(ferry.EINVALID, "Invalid parameter: ContentBasedDeduplication applies to FIFO topics only")
	}
	if value != "" || name == AttrDisplayName {
		if err := validateTopicAttr(name, value); err != nil {
			return err
		}
	} else if err := validateTopicAttr(name, defaultFor(name)); err != nil {
		return err
	}
	for {
		e, err := s.kv.Get(ctx, "topic."+tn)
		if err != nil {
			if isNotFound(err) {
				return ferry.Errorf(ferry.ENOTFOUND, "topic %q does not exist", tn)
			}
			return kvError("read topic "+tn, err)
		}
		var rec topicRecord
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			return err
		}
		if rec.Attributes == nil {
			rec.Attributes = map[string]string{}
		}
		if value == "" && name != AttrDisplayName {
			delete(rec.Attributes, name)
		} else {
			rec.Attributes[name] = value
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		rev, err := s.kv.Update(ctx, "topic."+tn, b, e.Revision())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // changed concurrently: reread
		}
		s.mu.Lock()
		if cur := s.topics[tn]; cur == nil || cur.rev < rev {
			s.topics[tn] = &topicState{rec: rec, rev: rev}
		}
		s.mu.Unlock()
		return nil
	}
}

// defaultFor is a valid value of an attribute, used to check its name when
// the call clears it.
func defaultFor(name string) string {
	switch name {
	case AttrSignatureVersion:
		return "1"
	case AttrTracingConfig:
		return "PassThrough"
	case AttrDeliveryPolicy:
		return "{}"
	}
	return ""
}

func jetstreamSubject(topic string) string { return subjectPrefix + topic }
