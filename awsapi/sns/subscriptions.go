package snsapi

import (
	"context"
	"github.com/ferry-run/ferry"

	"github.com/ferry-run/ferry/topic"
)

type subscriptionArnResult struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
}

// subscribe creates a subscription. Ferry confirms every subscription at
// once, so the ARN is returned whatever ReturnSubscriptionArn says (SNS
// answers "pending confirmation" only for unconfirmed ones).
func (a *API) subscribe(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	protocol, err := r.p.required("Protocol")
	if err != nil {
		return nil, err
	}
	endpoint, err := r.p.required("Endpoint")
	if err != nil {
		return nil, err
	}
	attrs, err := r.p.stringMap("Attributes")
	if err != nil {
		return nil, err
	}
	if _, err := r.p.boolean("ReturnSubscriptionArn"); err != nil {
		return nil, err
	}
	sub, err := a.topics.Subscribe(ctx, arn, protocol, endpoint, attrs)
	if err != nil {
		return nil, err
	}
	return subscriptionArnResult{sub}, nil
}

// confirmSubscription answers the ARN of an already confirmed subscription.
// Ferry sends no confirmation tokens; the token accepted is the
// subscription's ARN (or its id), which any caller holding a subscription
// has.
func (a *API) confirmSubscription(ctx context.Context, r *request) (any, error) {
	topicArn, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	token, err := r.p.required("Token")
	if err != nil {
		return nil, err
	}
	if _, err := r.p.boolean("AuthenticateOnUnsubscribe"); err != nil {
		return nil, err
	}
	subs, err := a.topics.ListSubscriptionsByTopic(ctx, topicArn)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		if s.SubscriptionArn == token || s.TopicArn+":"+token == s.SubscriptionArn {
			return subscriptionArnResult{s.SubscriptionArn}, nil
		}
	}
	return nil, invalidParameter("Token: Ferry confirms subscriptions when they are created and issues no confirmation tokens; pass the subscription ARN of a subscription to this topic")
}

func (a *API) unsubscribe(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("SubscriptionArn")
	if err != nil {
		return nil, err
	}
	// As in SNS, unsubscribing a subscription that is already gone (its
	// topic deleted, or unsubscribed before) succeeds.
	if err := a.topics.Unsubscribe(ctx, arn); err != nil && ferry.ErrorCode(err) != ferry.ENOTFOUND {
		return nil, err
	}
	return nil, nil
}

type subscriptionXML struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

type listSubscriptionsResult struct {
	Subscriptions members[subscriptionXML] `xml:"Subscriptions"`
	NextToken     string                   `xml:"NextToken,omitempty"`
}

func (a *API) listSubscriptions(ctx context.Context, r *request) (any, error) {
	subs, err := a.topics.ListSubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	return subscriptionPage(subs, r.p.get("NextToken"))
}

func (a *API) listSubscriptionsByTopic(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	subs, err := a.topics.ListSubscriptionsByTopic(ctx, arn)
	if err != nil {
		return nil, err
	}
	return subscriptionPage(subs, r.p.get("NextToken"))
}

// subscriptionPage pages subs, which the topic service sorts by ARN.
func subscriptionPage(subs []topic.Subscription, token string) (any, error) {
	pg, next, err := page(subs, func(s topic.Subscription) string { return s.SubscriptionArn }, token)
	if err != nil {
		return nil, err
	}
	out := listSubscriptionsResult{NextToken: next}
	out.Subscriptions.Members = make([]subscriptionXML, len(pg))
	for i, s := range pg {
		out.Subscriptions.Members[i] = subscriptionXML(s)
	}
	return out, nil
}

func (a *API) getSubscriptionAttributes(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("SubscriptionArn")
	if err != nil {
		return nil, err
	}
	attrs, err := a.topics.GetSubscriptionAttributes(ctx, arn)
	if err != nil {
		return nil, err
	}
	return attributesResult{toAttributesXML(attrs)}, nil
}

func (a *API) setSubscriptionAttributes(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("SubscriptionArn")
	if err != nil {
		return nil, err
	}
	name, err := r.p.required("AttributeName")
	if err != nil {
		return nil, err
	}
	return nil, a.topics.SetSubscriptionAttributes(ctx, arn, name, r.p.get("AttributeValue"))
}
