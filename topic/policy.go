package topic

import (
	"bytes"
	"encoding/json"
	"math"
	"time"

	"github.com/ferry-run/ferry"
)

// retryPolicy is an SNS healthy retry policy. Delays are in policy seconds.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultHTTPPolicy is AWS's HTTP/S default: 3 retries 20 s apart.
var defaultHTTPPolicy = retryPolicy{
	MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear",
}

// managedPolicy is AWS's fixed policy for function and queue endpoints:
// 3 immediate, 2 one second apart, 10 exponential from 1 to 20 s, then
// 100,000 20 s apart (100,015 attempts).
var managedPolicy = retryPolicy{
	MinDelayTarget: 1, MaxDelayTarget: 20, NumRetries: 100014,
	NumNoDelayRetries: 3, NumMinDelayRetries: 2, NumMaxDelayRetries: 100000,
	BackoffFunction: "exponential",
}

// delay returns the delay, in policy seconds, before retry n (1-based), and
// false when the policy allows no retry n.
func (p retryPolicy) delay(n int) (float64, bool) {
	if n < 1 || n > p.NumRetries {
		return 0, false
	}
	if n <= p.NumNoDelayRetries {
		return 0, true
	}
	n -= p.NumNoDelayRetries
	if n <= p.NumMinDelayRetries {
		return float64(p.MinDelayTarget), true
	}
	n -= p.NumMinDelayRetries
	steps := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	if n > steps {
		return float64(p.MaxDelayTarget), true
	}
	// Backoff phase: step n of steps rises from min to max along the
	// policy's curve. AWS publishes only the curves' shapes; Ferry uses
	// f, f², f³ and a geometric (exponential) interpolation.
	lo, hi := float64(p.MinDelayTarget), float64(p.MaxDelayTarget)
	f := float64(n) / float64(steps)
	switch p.BackoffFunction {
	case "arithmetic":
		f = f * f
	case "geometric":
		f = f * f * f
	case "exponential":
		if lo > 0 {
			return lo * math.Pow(hi/lo, f), true
		}
	}
	return lo + (hi-lo)*f, true
}

func (p retryPolicy) validate() error {
	if p.MinDelayTarget < 1 {
		return ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: minDelayTarget must be at least 1")
	}
	if p.MaxDelayTarget < p.MinDelayTarget || p.MaxDelayTarget > 3600 {
		return ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: maxDelayTarget must be between minDelayTarget and 3600")
	}
	if p.NumRetries < 0 || p.NumRetries > 100 {
		return ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: numRetries must be between 0 and 100")
	}
	if p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0 {
		return ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: retry counts must not be negative")
	}
	if p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries {
		return ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: numRetries must be at least numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries")
	}
	switch p.BackoffFunction {
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		return ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: backoffFunction must be linear, arithmetic, geometric or exponential, got %q", p.BackoffFunction)
	}
	total := 0.0
	for n := 1; n <= p.NumRetries; n++ {
		d, _ := p.delay(n)
		total += d
	}
	if total > 3600 {
		return ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: total retry time %.0f s exceeds 3600 s", total)
	}
	return nil
}

// httpPolicy is the part of a delivery policy an HTTP/S subscription uses.
type httpPolicy struct {
	Retry       retryPolicy
	MaxPerSec   int    // 0: no throttling
	ContentType string // "" : text/plain; charset=UTF-8
}

type throttlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType"`
}

// subDeliveryPolicy is a subscription's DeliveryPolicy attribute.
type subDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy     `json:"healthyRetryPolicy"`
	ThrottlePolicy     *throttlePolicy  `json:"throttlePolicy"`
	RequestPolicy      *requestPolicy   `json:"requestPolicy"`
	SicklyRetryPolicy  *json.RawMessage `json:"sicklyRetryPolicy"`
	Guaranteed         bool             `json:"guaranteed"`
}

// topicDeliveryPolicy is a topic's DeliveryPolicy attribute.
type topicDeliveryPolicy struct {
	HTTP *struct {
		DefaultHealthyRetryPolicy    *retryPolicy    `json:"defaultHealthyRetryPolicy"`
		DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy"`
		DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy"`
		DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
	} `json:"http"`
}

func decodeStrict(value string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(value)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// filledRetry applies the defaults AWS applies to the fields left out.
func filledRetry(raw string, field string) (*retryPolicy, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &probe); err != nil {
		return nil, err
	}
	sub, ok := probe[field]
	if !ok || string(sub) == "null" {
		return nil, nil
	}
	p := defaultHTTPPolicy
	if err := decodeStrict(string(sub), &p); err != nil {
		return nil, ferry.Wrap(ferry.EINVALID, err, "DeliveryPolicy %s", field)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func parseSubDeliveryPolicy(value string) (*subDeliveryPolicy, error) {
	if value == "" {
		return nil, nil
	}
	var p subDeliveryPolicy
	if err := decodeStrict(value, &p); err != nil {
		return nil, ferry.Wrap(ferry.EINVALID, err, "DeliveryPolicy is not a valid delivery policy")
	}
	if p.SicklyRetryPolicy != nil && string(*p.SicklyRetryPolicy) != "null" {
		return nil, ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: sicklyRetryPolicy is not supported by Ferry")
	}
	if p.Guaranteed {
		return nil, ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: guaranteed is not supported by Ferry")
	}
	rp, err := filledRetry(value, "healthyRetryPolicy")
	if err != nil {
		return nil, err
	}
	p.HealthyRetryPolicy = rp
	if t := p.ThrottlePolicy; t != nil && t.MaxReceivesPerSecond < 1 {
		return nil, ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: maxReceivesPerSecond must be at least 1")
	}
	if r := p.RequestPolicy; r != nil && r.HeaderContentType == "" {
		return nil, ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: headerContentType must not be empty")
	}
	return &p, nil
}

func parseTopicDeliveryPolicy(value string) (*topicDeliveryPolicy, error) {
	p := &topicDeliveryPolicy{}
	if value == "" {
		return p, nil
	}
	if err := decodeStrict(value, p); err != nil {
		return nil, ferry.Wrap(ferry.EINVALID, err, "DeliveryPolicy is not a valid topic delivery policy")
	}
	if p.HTTP == nil {
		return p, nil
	}
	var probe struct {
		HTTP json.RawMessage `json:"http"`
	}
	_ = json.Unmarshal([]byte(value), &probe)
	rp, err := filledRetry(string(probe.HTTP), "defaultHealthyRetryPolicy")
	if err != nil {
		return nil, err
	}
	p.HTTP.DefaultHealthyRetryPolicy = rp
	if t := p.HTTP.DefaultThrottlePolicy; t != nil && t.MaxReceivesPerSecond < 1 {
		return nil, ferry.Errorf(ferry.EINVALID, "DeliveryPolicy: maxReceivesPerSecond must be at least 1")
	}
	return p, nil
}

// effective combines a topic's and a subscription's policy for HTTP/S.
func effectiveHTTP(tp *topicDeliveryPolicy, sp *subDeliveryPolicy) httpPolicy {
	out := httpPolicy{Retry: defaultHTTPPolicy}
	override := true
	if tp != nil && tp.HTTP != nil {
		h := tp.HTTP
		if h.DefaultHealthyRetryPolicy != nil {
			out.Retry = *h.DefaultHealthyRetryPolicy
		}
		if h.DefaultThrottlePolicy != nil {
			out.MaxPerSec = h.DefaultThrottlePolicy.MaxReceivesPerSecond
		}
		if h.DefaultRequestPolicy != nil {
			out.ContentType = h.DefaultRequestPolicy.HeaderContentType
		}
		override = !h.DisableSubscriptionOverrides
	}
	if sp != nil && override {
		if sp.HealthyRetryPolicy != nil {
			out.Retry = *sp.HealthyRetryPolicy
		}
		if sp.ThrottlePolicy != nil {
			out.MaxPerSec = sp.ThrottlePolicy.MaxReceivesPerSecond
		}
		if sp.RequestPolicy != nil {
			out.ContentType = sp.RequestPolicy.HeaderContentType
		}
	}
	return out
}

// effectiveJSON renders a topic's effective policy as SNS's
// EffectiveDeliveryPolicy attribute.
func (tp *topicDeliveryPolicy) effectiveJSON() string {
	hp := effectiveHTTP(tp, nil)
	type httpOut struct {
		DefaultHealthyRetryPolicy    retryPolicy     `json:"defaultHealthyRetryPolicy"`
		DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy,omitempty"`
		DefaultRequestPolicy         requestPolicy   `json:"defaultRequestPolicy"`
		DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
	}
	o := httpOut{DefaultHealthyRetryPolicy: hp.Retry, DefaultRequestPolicy: requestPolicy{HeaderContentType: "text/plain; charset=UTF-8"}}
	if hp.ContentType != "" {
		o.DefaultRequestPolicy.HeaderContentType = hp.ContentType
	}
	if hp.MaxPerSec > 0 {
		o.DefaultThrottlePolicy = &throttlePolicy{MaxReceivesPerSecond: hp.MaxPerSec}
	}
	if tp != nil && tp.HTTP != nil {
		o.DisableSubscriptionOverrides = tp.HTTP.DisableSubscriptionOverrides
	}
	b, _ := json.Marshal(map[string]any{"http": o})
	return string(b)
}

// wait converts policy seconds to wall time.
func (s *Service) wait(sec float64) time.Duration {
	return time.Duration(sec * float64(s.base))
}
