package topic

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

// Subscription protocols.
const (
	ProtocolLambda = "lambda"
	ProtocolSQS    = "sqs"
	ProtocolHTTP   = "http"
	ProtocolHTTPS  = "https"
)

// Subscription attribute names Ferry honours.
const (
	AttrFilterPolicy       = "FilterPolicy"
	AttrFilterPolicyScope  = "FilterPolicyScope"
	AttrRawMessageDelivery = "RawMessageDelivery"
)

// perSubscriptionConcurrency bounds the deliveries of one subscription in flight.
const perSubscriptionConcurrency = 16

// Subscription is one row of ListSubscriptions.
type Subscription struct {
	SubscriptionArn string
	Owner           string
	Protocol        string
	Endpoint        string
	TopicArn        string
}

type subRecord struct {
	ID         string            `json:"id"`
	Topic      string            `json:"topic"`
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Created    time.Time         `json:"created"`
}

// subConfig is a subscription compiled for delivery; replaced whole when its
// attributes change.
type subConfig struct {
	rec      subRecord
	rev      uint64
	arn      string
	topicArn string
	filter   *filter
	raw      bool
	delivery *subDeliveryPolicy
	target   ferry.ARN // function or queue
}

// subRunner delivers one subscription's messages.
type subRunner struct {
	id  string
	arn string
	cfg atomic.Pointer[subConfig]
	cc  jetstream.ConsumeContext
	sem chan struct{}

	limMu   sync.Mutex
	limRate int
	lim     *rate.Limiter

	delivered, failed, retried, filtered atomic.Uint64
}

func (r *subRunner) stop() {
	if r.cc != nil {
		r.cc.Stop()
		<-r.cc.Closed()
	}
}

// limiter returns the throttle for maxPerSec, nil when unthrottled.
func (r *subRunner) limiter(maxPerSec int) *rate.Limiter {
	r.limMu.Lock()
	defer r.limMu.Unlock()
	if maxPerSec <= 0 {
		r.lim, r.limRate = nil, 0
		return nil
	}
	if r.lim == nil || r.limRate != maxPerSec {
		r.lim, r.limRate = rate.NewLimiter(rate.Limit(maxPerSec), 1), maxPerSec
	}
	return r.lim
}

func consumerName(id string) string { return "sub-" + id }

func isNotFound(err error) bool { return natsjs.IsNotFound(err) }

// compileSub validates a subscription and compiles it for delivery.
func (s *Service) compileSub(rec subRecord) (*subConfig, error) {
	c := &subConfig{rec: rec, topicArn: s.realm.TopicARN(rec.Topic)}
	c.arn = c.topicArn + ":" + rec.ID
	switch rec.Protocol {
	case ProtocolLambda, ProtocolSQS:
		a, err := ferry.ParseARN(rec.Endpoint)
		if err != nil {
			return nil, err
		}
		want := ferry.KindFunction
		if rec.Protocol == ProtocolSQS {
			want = ferry.KindQueue
		}
		if a.Kind != want {
			return nil, ferry.Errorf(ferry.EINVALID, "%s subscription endpoint must be a %s ARN, got %q", rec.Protocol, want, rec.Endpoint)
		}
		c.target = a
		if err := checkFifoSubscription(rec.Topic, rec.Protocol, a); err != nil {
			return nil, err
		}
	case ProtocolHTTP, ProtocolHTTPS:
		u, err := url.Parse(rec.Endpoint)
		if err != nil || u.Scheme != rec.Protocol || u.Host == "" {
			return nil, ferry.Errorf(ferry.EINVALID, "%s subscription endpoint must be a %s:// URL, got %q", rec.Protocol, rec.Protocol, rec.Endpoint)
		}
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "subscription protocol %q is not supported by Ferry (lambda, sqs, http, https)", rec.Protocol)
	}
	if IsFIFO(rec.Topic) && rec.Protocol != ProtocolSQS {
		return nil, checkFifoSubscription(rec.Topic, rec.Protocol, ferry.ARN{})
	}
	for name, v := range rec.Attributes {
		switch name {
		case AttrFilterPolicy, AttrFilterPolicyScope:
		case AttrRawMessageDelivery:
			if v != "true" && v != "false" {
				return nil, ferry.Errorf(ferry.EINVALID, "RawMessageDelivery must be true or false, got %q", v)
			}
			if v == "true" && rec.Protocol == ProtocolLambda {
				return nil, ferry.Errorf(ferry.EINVALID, "RawMessageDelivery is not supported for the lambda protocol")
			}
			c.raw = v == "true"
		case AttrDeliveryPolicy:
			if rec.Protocol != ProtocolHTTP && rec.Protocol != ProtocolHTTPS {
				return nil, ferry.Errorf(ferry.EINVALID, "DeliveryPolicy applies only to http and https subscriptions")
			}
			p, err := parseSubDeliveryPolicy(v)
			if err != nil {
				return nil, err
			}
			c.delivery = p
		default:
			return nil, ferry.Errorf(ferry.EINVALID, "subscription attribute %q is not supported by Ferry", name)
		}
	}
	f, err := compileFilter(rec.Attributes[AttrFilterPolicy], rec.Attributes[AttrFilterPolicyScope])
	if err != nil {
		return nil, err
	}
	c.filter = f
	return c, nil
}

// Subscribe subscribes endpoint to topic and returns the subscription ARN.
// Subscribing the same endpoint with the same protocol again returns the
// existing subscription when the attributes agree, EINVALID otherwise.
// Subscriptions are confirmed at once (see the package doc).
func (s *Service) Subscribe(ctx context.Context, topic, protocol, endpoint string, attrs map[string]string) (string, error) {
	name, _, err := s.existingTopic(topic)
	if err != nil {
		return "", err
	}
	attrs = maps.Clone(attrs)
	for k, v := range attrs {
		if v == "" {
			delete(attrs, k)
		}
	}
	rec := subRecord{ID: uuid.NewString(), Topic: name, Protocol: protocol, Endpoint: endpoint, Attributes: attrs, Created: s.now().UTC()}
	cfg, err := s.compileSub(rec)
	if err != nil {
		return "", err
	}
	for _, r := range s.subsOf(name) {
		old := r.cfg.Load().rec
		if old.Protocol == protocol && old.Endpoint == endpoint {
			if !maps.Equal(old.Attributes, attrs) && len(attrs) > 0 {
				return "", ferry.Errorf(ferry.EINVALID, "subscription to %q already exists with different attributes", endpoint)
			}
			return r.arn, nil
		}
	}
	// The consumer first: a crash before the record leaves an orphan that
	// Start removes, never a subscription without its consumer.
	if _, err := s.ensureConsumer(ctx, rec); err != nil {
		return "", err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	rev, err := s.kv.Create(ctx, "sub."+rec.ID, b)
	if err != nil {
		_ = s.engine.JetStream().DeleteConsumer(ctx, Stream, consumerName(rec.ID))
		return "", kvError("create subscription", err)
	}
	if err := s.putSub(ctx, rec, rev); err != nil {
		return "", err
	}
	return cfg.arn, nil
}

func (s *Service) ensureConsumer(ctx context.Context, rec subRecord) (jetstream.Consumer, error) {
	js := s.engine.JetStream()
	c, err := js.Consumer(ctx, Stream, consumerName(rec.ID))
	if err == nil {
		return c, nil
	}
	if !isNotFound(err) {
		return nil, err
	}
	c, err = js.CreateOrUpdateConsumer(ctx, Stream, jetstream.ConsumerConfig{
		Durable:       consumerName(rec.ID),
		Description:   "subscription " + rec.ID + " to topic " + rec.Topic,
		FilterSubject: jetstreamSubject(rec.Topic),
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.ackWait,
		MaxDeliver:    -1,
		MaxAckPending: maxAckPending(rec.Topic),
	})
	if err != nil {
		return nil, ferry.Wrap(ferry.EINTERNAL, err, "create consumer for subscription %s", rec.ID)
	}
	return c, nil
}

// putSub starts delivering a subscription, or updates a running one.
func (s *Service) putSub(ctx context.Context, rec subRecord, rev uint64) error {
	cfg, err := s.compileSub(rec)
	if err != nil {
		return err
	}
	cfg.rev = rev
	s.mu.Lock()
	if s.stopped || s.gone["sub."+rec.ID] >= rev {
		s.mu.Unlock()
		return nil
	}
	if r := s.subs[rec.ID]; r != nil {
		if r.cfg.Load().rev < rev {
			r.cfg.Store(cfg)
		}
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()

	c, err := s.ensureConsumer(ctx, rec)
	if err != nil {
		return err
	}
	r := &subRunner{id: rec.ID, arn: cfg.arn, sem: make(chan struct{}, concurrency(rec.Topic))}
	r.cfg.Store(cfg)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.gone["sub."+rec.ID] >= rev {
		return nil
	}
	if cur := s.subs[rec.ID]; cur != nil {
		if cur.cfg.Load().rev < rev {
			cur.cfg.Store(cfg)
		}
		return nil
	}
	cc, err := c.Consume(func(m jetstream.Msg) { s.dispatch(r, m) },
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, jetstream.ErrNoHeartbeat) {
				s.log.Debug("subscription consumer", "subscription", r.arn, "err", err)
			}
		}))
	if err != nil {
		return ferry.Wrap(ferry.EINTERNAL, err, "consume subscription %s", rec.ID)
	}
	r.cc = cc
	s.subs[rec.ID] = r
	return nil
}

// removeSub stops a subscription's delivery and deletes its consumer.
func (s *Service) removeSub(id string, rev uint64) {
	s.mu.Lock()
	r := s.subs[id]
	if r != nil && r.cfg.Load().rev > rev {
		s.mu.Unlock()
		return
	}
	s.gone["sub."+id] = max(s.gone["sub."+id], rev)
	if r == nil {
		s.mu.Unlock()
		return
	}
	delete(s.subs, id)
	s.mu.Unlock()
	r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.engine.JetStream().DeleteConsumer(ctx, Stream, consumerName(id)); err != nil && !isNotFound(err) {
		s.log.Warn("delete subscription consumer", "subscription", id, "err", err)
	}
}

// removeOrphans deletes subscription consumers that have no record and are
// older than a minute (a crash between creating the consumer and the record).
func (s *Service) removeOrphans(ctx context.Context) {
	l := s.stream.ListConsumers(ctx)
	var orphans []string
	for ci := range l.Info() {
		id, ok := strings.CutPrefix(ci.Name, "sub-")
		if !ok || s.now().Sub(ci.Created) < time.Minute {
			continue
		}
		s.mu.RLock()
		_, known := s.subs[id]
		s.mu.RUnlock()
		if !known {
			orphans = append(orphans, ci.Name)
		}
	}
	for _, name := range orphans {
		if err := s.stream.DeleteConsumer(ctx, name); err != nil && !isNotFound(err) {
			s.log.Warn("delete orphan subscription consumer", "consumer", name, "err", err)
		}
	}
}

func (s *Service) subsOf(topic string) []*subRunner {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*subRunner
	for _, r := range s.subs {
		if r.cfg.Load().rec.Topic == topic {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *subRunner) int { return strings.Compare(a.arn, b.arn) })
	return out
}

// subByARN finds a subscription by its ARN.
func (s *Service) subByARN(arn string) (*subRunner, error) {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 || !strings.HasPrefix(arn, "arn:") {
		return nil, ferry.Errorf(ferry.EINVALID, "invalid subscription ARN %q", arn)
	}
	s.mu.RLock()
	r := s.subs[arn[i+1:]]
	s.mu.RUnlock()
	if r == nil || r.arn != arn {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "subscription %q does not exist", arn)
	}
	return r, nil
}

// Unsubscribe deletes a subscription; its undelivered messages are dropped.
func (s *Service) Unsubscribe(ctx context.Context, subscriptionArn string) error {
	if err := s.ready(); err != nil {
		return err
	}
	r, err := s.subByARN(subscriptionArn)
	if err != nil {
		return err
	}
	if err := s.kv.Delete(ctx, "sub."+r.id); err != nil {
		return kvError("delete subscription", err)
	}
	s.removeSub(r.id, r.cfg.Load().rev)
	return nil
}

// ListSubscriptions lists every subscription, sorted by ARN.
func (s *Service) ListSubscriptions(ctx context.Context) ([]Subscription, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var out []Subscription
	for _, r := range s.subs {
		out = append(out, s.row(r))
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Subscription) int { return strings.Compare(a.SubscriptionArn, b.SubscriptionArn) })
	return out, nil
}

// ListSubscriptionsByTopic lists a topic's subscriptions, sorted by ARN.
func (s *Service) ListSubscriptionsByTopic(ctx context.Context, topic string) ([]Subscription, error) {
	name, _, err := s.existingTopic(topic)
	if err != nil {
		return nil, err
	}
	out := []Subscription{}
	for _, r := range s.subsOf(name) {
		out = append(out, s.row(r))
	}
	return out, nil
}

func (s *Service) row(r *subRunner) Subscription {
	c := r.cfg.Load()
	return Subscription{SubscriptionArn: r.arn, Owner: s.realm.Account, Protocol: c.rec.Protocol, Endpoint: c.rec.Endpoint, TopicArn: c.topicArn}
}

// GetSubscriptionAttributes returns a subscription's attributes as SNS reports them.
func (s *Service) GetSubscriptionAttributes(ctx context.Context, subscriptionArn string) (map[string]string, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	r, err := s.subByARN(subscriptionArn)
	if err != nil {
		return nil, err
	}
	c := r.cfg.Load()
	out := maps.Clone(c.rec.Attributes)
	if out == nil {
		out = map[string]string{}
	}
	out["SubscriptionArn"] = r.arn
	out["TopicArn"] = c.topicArn
	out["Owner"] = s.realm.Account
	out["Protocol"] = c.rec.Protocol
	out["Endpoint"] = c.rec.Endpoint
	out["ConfirmationWasAuthenticated"] = "true"
	out["PendingConfirmation"] = "false"
	if _, ok := out[AttrRawMessageDelivery]; !ok {
		out[AttrRawMessageDelivery] = "false"
	}
	if _, ok := out[AttrFilterPolicy]; ok && out[AttrFilterPolicyScope] == "" {
		out[AttrFilterPolicyScope] = ScopeMessageAttributes
	}
	var tp *topicDeliveryPolicy
	if t, err := s.topic(c.rec.Topic); err == nil {
		tp, _ = parseTopicDeliveryPolicy(t.rec.Attributes[AttrDeliveryPolicy])
	}
	hp := effectiveHTTP(tp, c.delivery)
	eff := map[string]any{"healthyRetryPolicy": hp.Retry}
	if hp.MaxPerSec > 0 {
		eff["throttlePolicy"] = throttlePolicy{MaxReceivesPerSecond: hp.MaxPerSec}
	}
	if hp.ContentType != "" {
		eff["requestPolicy"] = requestPolicy{HeaderContentType: hp.ContentType}
	}
	b, _ := json.Marshal(eff)
	out["EffectiveDeliveryPolicy"] = string(b)
	return out, nil
}

// SetSubscriptionAttributes sets one subscription attribute (FilterPolicy,
// FilterPolicyScope, RawMessageDelivery or DeliveryPolicy); an empty value
// removes it.
func (s *Service) SetSubscriptionAttributes(ctx context.Context, subscriptionArn, name, value string) error {
	if err := s.ready(); err != nil {
		return err
	}
	r, err := s.subByARN(subscriptionArn)
	if err != nil {
		return err
	}
	switch name {
	case AttrFilterPolicy, AttrFilterPolicyScope, AttrRawMessageDelivery, AttrDeliveryPolicy:
	default:
		return ferry.Errorf(ferry.EINVALID, "subscription attribute %q is not supported by Ferry", name)
	}
	key := "sub." + r.id
	for {
		e, err := s.kv.Get(ctx, key)
		if err != nil {
			if isNotFound(err) {
				return ferry.Errorf(ferry.ENOTFOUND, "subscription %q does not exist", subscriptionArn)
			}
			return kvError("read subscription", err)
		}
		var rec subRecord
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			return err
		}
		rec.Attributes = maps.Clone(rec.Attributes)
		if rec.Attributes == nil {
			rec.Attributes = map[string]string{}
		}
		if value == "" {
			delete(rec.Attributes, name)
		} else {
			rec.Attributes[name] = value
		}
		if _, err := s.compileSub(rec); err != nil {
			return err
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		rev, err := s.kv.Update(ctx, key, b, e.Revision())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // changed concurrently: reread
		}
		return s.putSub(ctx, rec, rev)
	}
}

// DeliveryStats counts one subscription's deliveries on this node since Start.
type DeliveryStats struct {
	Delivered uint64 // accepted by the endpoint
	Failed    uint64 // given up (client error or retry policy exhausted)
	Retried   uint64 // failed attempts scheduled for another try
	Filtered  uint64 // not delivered because the filter policy did not match
}

// DeliveryStats returns the delivery counters of a subscription.
func (s *Service) DeliveryStats(subscriptionArn string) (DeliveryStats, error) {
	r, err := s.subByARN(subscriptionArn)
	if err != nil {
		return DeliveryStats{}, err
	}
	return DeliveryStats{
		Delivered: r.delivered.Load(), Failed: r.failed.Load(),
		Retried: r.retried.Load(), Filtered: r.filtered.Load(),
	}, nil
}
