package queue

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-run/ferry"
)

// Queue attribute names (as in SQS).
const (
	AttrAll                  = "All"
	AttrDelaySeconds         = "DelaySeconds"
	AttrMaximumMessageSize   = "MaximumMessageSize"
	AttrRetentionPeriod      = "MessageRetentionPeriod"
	AttrReceiveWaitTime      = "ReceiveMessageWaitTimeSeconds"
	AttrVisibilityTimeout    = "VisibilityTimeout"
	AttrRedrivePolicy        = "RedrivePolicy"
	AttrRedriveAllowPolicy   = "RedriveAllowPolicy"
	AttrNumMessages          = "ApproximateNumberOfMessages"
	AttrNumNotVisible        = "ApproximateNumberOfMessagesNotVisible"
	AttrNumDelayed           = "ApproximateNumberOfMessagesDelayed"
	AttrCreatedTimestamp     = "CreatedTimestamp"
	AttrLastModifiedTimestmp = "LastModifiedTimestamp"
	AttrQueueArn             = "QueueArn"
)

// Limits and defaults (AWS standard queues; the message size limit is the
// 1 MiB AWS raised it to).
const (
	DefaultVisibility    = 30 * time.Second
	MaxVisibility        = 12 * time.Hour
	DefaultRetention     = 4 * 24 * time.Hour
	MinRetention         = 60 * time.Second
	MaxRetention         = 14 * 24 * time.Hour
	MaxDelay             = 15 * time.Minute
	MaxWait              = 20 * time.Second
	MaxMessageSize       = 1 << 20
	MinMessageSize       = 1024
	MaxBatch             = 10
	MaxMessageAttributes = 10
	MaxReceiveCountLimit = 1000
)

// settable lists the attributes CreateQueue and SetQueueAttributes accept.
var settable = []string{AttrDelaySeconds, AttrMaximumMessageSize, AttrRetentionPeriod,
	AttrReceiveWaitTime, AttrVisibilityTimeout, AttrRedrivePolicy, AttrRedriveAllowPolicy,
	AttrFifoQueue, AttrContentBasedDeduplication, AttrDeduplicationScope, AttrFifoThroughputLimit}

// readOnly lists the attributes only GetQueueAttributes returns.
var readOnly = []string{AttrNumMessages, AttrNumNotVisible, AttrNumDelayed,
	AttrCreatedTimestamp, AttrLastModifiedTimestmp, AttrQueueArn}

// RedrivePolicy is a queue's dead-letter configuration.
type RedrivePolicy struct {
	DeadLetterTargetArn string
	MaxReceiveCount     int
}

// RedriveAllowPolicy says which source queues may use a queue as their DLQ.
type RedriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"` // allowAll, denyAll, byQueue
	SourceQueueArns   []string `json:"sourceQueueArns,omitempty"`
}

// attributes are a queue's parsed settable attributes.
type attributes struct {
	Delay        time.Duration
	MaxSize      int
	Retention    time.Duration
	Wait         time.Duration
	Visibility   time.Duration
	Redrive      *RedrivePolicy
	RedriveAllow *RedriveAllowPolicy
}

func defaultAttrs() map[string]string {
	return map[string]string{
		AttrDelaySeconds:       "0",
		AttrMaximumMessageSize: strconv.Itoa(MaxMessageSize),
		AttrRetentionPeriod:    strconv.Itoa(int(DefaultRetention / time.Second)),
		AttrReceiveWaitTime:    "0",
		AttrVisibilityTimeout:  strconv.Itoa(int(DefaultVisibility / time.Second)),
	}
}

// normalize validates the given settable attributes and returns them in
// canonical form ("" for a cleared policy). Unknown or read-only names and
// out-of-range values are EINVALID naming the attribute.
func normalize(in map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch k {
		case AttrDelaySeconds:
			n, err := intRange(k, v, 0, int(MaxDelay/time.Second))
			if err != nil {
				return nil, err
			}
			out[k] = strconv.Itoa(n)
		case AttrMaximumMessageSize:
			n, err := intRange(k, v, MinMessageSize, MaxMessageSize)
			if err != nil {
				return nil, err
			}
			out[k] = strconv.Itoa(n)
		case AttrRetentionPeriod:
			n, err := intRange(k, v, int(MinRetention/time.Second), int(MaxRetention/time.Second))
			if err != nil {
				return nil, err
			}
			out[k] = strconv.Itoa(n)
		case AttrReceiveWaitTime:
			n, err := intRange(k, v, 0, int(MaxWait/time.Second))
			if err != nil {
				return nil, err
			}
			out[k] = strconv.Itoa(n)
		case AttrVisibilityTimeout:
			n, err := intRange(k, v, 0, int(MaxVisibility/time.Second))
			if err != nil {
				return nil, err
			}
			out[k] = strconv.Itoa(n)
		case AttrRedrivePolicy:
			if v == "" {
				out[k] = ""
				continue
			}
			p, err := parseRedrive(v)
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": p.DeadLetterTargetArn, "maxReceiveCount": p.MaxReceiveCount})
			out[k] = string(b)
		case AttrRedriveAllowPolicy:
			if v == "" {
				out[k] = ""
				continue
			}
			p, err := parseRedriveAllow(v)
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(p)
			out[k] = string(b)
		case AttrFifoQueue, AttrContentBasedDeduplication, AttrDeduplicationScope, AttrFifoThroughputLimit:
			n, err := normalizeFifo(k, v)
			if err != nil {
				return nil, err
			}
			out[k] = n
		default:
			for _, r := range readOnly {
				if k == r {
					return nil, ferry.Errorf(ferry.EINVALID, "attribute %s is read-only", k)
				}
			}
			return nil, ferry.Errorf(ferry.EINVALID, "unknown or unsupported queue attribute %s", k)
		}
	}
	return out, nil
}

func intRange(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, ferry.Errorf(ferry.EINVALID, "attribute %s must be an integer from %d to %d, got %q", name, lo, hi, v)
	}
	return n, nil
}

func parseRedrive(v string) (*RedrivePolicy, error) {
	var raw struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, ferry.Wrap(ferry.EINVALID, err, "attribute RedrivePolicy is not valid JSON")
	}
	a, err := ferry.ParseARN(raw.Target)
	if err != nil || a.Kind != ferry.KindQueue {
		return nil, ferry.Errorf(ferry.EINVALID, "attribute RedrivePolicy: deadLetterTargetArn %q is not a queue ARN", raw.Target)
	}
	// AWS accepts the count as a number or a string.
	s := strings.Trim(string(raw.Max), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxReceiveCountLimit {
		return nil, ferry.Errorf(ferry.EINVALID, "attribute RedrivePolicy: maxReceiveCount must be an integer from 1 to %d, got %s", MaxReceiveCountLimit, string(raw.Max))
	}
	return &RedrivePolicy{DeadLetterTargetArn: raw.Target, MaxReceiveCount: n}, nil
}

func parseRedriveAllow(v string) (*RedriveAllowPolicy, error) {
	var p RedriveAllowPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, ferry.Wrap(ferry.EINVALID, err, "attribute RedriveAllowPolicy is not valid JSON")
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueArns) > 0 {
			return nil, ferry.Errorf(ferry.EINVALID, "attribute RedriveAllowPolicy: sourceQueueArns is only allowed with redrivePermission byQueue")
		}
	case "byQueue":
		if len(p.SourceQueueArns) == 0 || len(p.SourceQueueArns) > 10 {
			return nil, ferry.Errorf(ferry.EINVALID, "attribute RedriveAllowPolicy: byQueue needs 1 to 10 sourceQueueArns")
		}
		for _, arn := range p.SourceQueueArns {
			if a, err := ferry.ParseARN(arn); err != nil || a.Kind != ferry.KindQueue {
				return nil, ferry.Errorf(ferry.EINVALID, "attribute RedriveAllowPolicy: %q is not a queue ARN", arn)
			}
		}
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "attribute RedriveAllowPolicy: redrivePermission must be allowAll, denyAll or byQueue, got %q", p.RedrivePermission)
	}
	return &p, nil
}

// parseAttributes turns a stored, normalized attribute map into values.
func parseAttributes(m map[string]string) (attributes, error) {
	full := defaultAttrs()
	for k, v := range m {
		full[k] = v
	}
	sec := func(k string) time.Duration {
		n, _ := strconv.Atoi(full[k])
		return time.Duration(n) * time.Second
	}
	a := attributes{Delay: sec(AttrDelaySeconds), Retention: sec(AttrRetentionPeriod),
		Wait: sec(AttrReceiveWaitTime), Visibility: sec(AttrVisibilityTimeout)}
	a.MaxSize, _ = strconv.Atoi(full[AttrMaximumMessageSize])
	var err error
	if v := full[AttrRedrivePolicy]; v != "" {
		if a.Redrive, err = parseRedrive(v); err != nil {
			return a, err
		}
	}
	if v := full[AttrRedriveAllowPolicy]; v != "" {
		if a.RedriveAllow, err = parseRedriveAllow(v); err != nil {
			return a, err
		}
	}
	return a, nil
}

// allows reports whether a DLQ with this policy accepts sourceARN.
func (p *RedriveAllowPolicy) allows(sourceARN string) bool {
	if p == nil {
		return true
	}
	switch p.RedrivePermission {
	case "denyAll":
		return false
	case "byQueue":
		for _, a := range p.SourceQueueArns {
			if a == sourceARN {
				return true
			}
		}
		return false
	}
	return true
}
