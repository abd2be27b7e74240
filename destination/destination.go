// Package destination owns what happens to an asynchronous invocation's
// outcome: it builds the invocation record exactly as AWS Lambda does and
// routes it to the OnSuccess/OnFailure destination (function, queue, topic or
// event bus) and the original event to the dead-letter queue.
//
// Every delivery carries a deduplication id derived from the request id, the
// delivery kind and the condition, so re-delivering an outcome after a crash
// never produces a second record.
//
// A record larger than its target accepts is sent without its payloads,
// with a note (Deliver), never dropped.
package destination

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// Targets are the services a record can be delivered to. Any may be nil;
// delivering to a kind whose service is missing is a delivery failure.
type Targets struct {
	Queues    ferry.QueueSender
	Topics    ferry.TopicPublisher
	Buses     ferry.EventPutter
	Functions ferry.AsyncInvoker
}

// Router delivers outcomes.
type Router struct {
	realm ferry.Realm
	t     Targets
}

// New returns a router presenting ARNs in realm.
func New(realm ferry.Realm, t Targets) *Router { return &Router{realm: realm, t: t} }

var _ ferry.OutcomeRouter = (*Router)(nil)

// Record builds the invocation record for o.
func (r *Router) Record(o *ferry.Outcome) *ferry.InvocationRecord {
	rec := &ferry.InvocationRecord{
		Version:   "1.0",
		Timestamp: ferry.RecordTimestamp(o.Time),
		RequestContext: ferry.RequestContext{
			RequestID:              o.Request.RequestID,
			FunctionARN:            r.realm.FunctionARN(o.Function.Name) + ":" + ferry.LatestVersion,
			Condition:              o.Condition,
			ApproximateInvokeCount: o.InvokeCount,
		},
		RequestPayload:  o.Request.Payload,
		ResponseContext: ferry.ResponseContext{StatusCode: o.StatusCode, ExecutedVersion: ferry.LatestVersion},
	}
	if o.StatusCode == 0 {
		rec.ResponseContext.StatusCode = 200
	}
	if o.Result != nil {
		rec.ResponsePayload = o.Result.Payload
		rec.ResponseContext.FunctionError = o.Result.FunctionError
		if o.Result.ExecutedVersion != "" {
			rec.ResponseContext.ExecutedVersion = o.Result.ExecutedVersion
		}
	}
	if len(rec.RequestPayload) == 0 {
		rec.RequestPayload = json.RawMessage("null")
	}
	return rec
}

// Plan lists the deliveries an outcome needs: the destination for its
// condition and, on failure, the dead-letter target.
func (r *Router) Plan(o *ferry.Outcome) []ferry.Delivery {
	var out []ferry.Delivery
	cfg := o.Function.Async
	if o.Failed() {
		if cfg.OnFailure != "" {
			out = append(out, ferry.Delivery{Kind: ferry.DeliveryOnFailure, Target: cfg.OnFailure})
		}
		if o.Function.DeadLetterTarget != "" {
			out = append(out, ferry.Delivery{Kind: ferry.DeliveryDLQ, Target: o.Function.DeadLetterTarget})
		}
	} else if cfg.OnSuccess != "" {
		out = append(out, ferry.Delivery{Kind: ferry.DeliveryOnSuccess, Target: cfg.OnSuccess})
	}
	return out
}

// Deliver makes one delivery of o. The error names the target and cause.
//
// A record the target refuses as too large (ETOOLARGE: a topic's 256 KiB, a
// queue's MaximumMessageSize, an event bus entry or an async invoke's 1 MiB)
// is sent again without its requestPayload and responsePayload, as AWS does
// for SNS destinations; d.Note then says so, and queue and topic records
// carry the same text in the FerryNote message attribute. A note already on
// d (a delivery standing in for one that failed) travels the same way, and
// a dead-letter message carries it as its ErrorMessage.
func (r *Router) Deliver(ctx context.Context, o *ferry.Outcome, d *ferry.Delivery) error {
	arn, err := ferry.ParseARN(d.Target)
	if err != nil {
		return err
	}
	dedup := o.Request.RequestID + ":" + d.Kind + ":" + o.Condition
	if d.Kind == ferry.DeliveryDLQ {
		return r.deadLetter(ctx, o, arn, dedup, d.Note)
	}
	rec, err := json.Marshal(r.Record(o))
	if err != nil {
		return err
	}
	if arn.Kind == ferry.KindTopic && len(rec) > TopicRecordLimit {
		// Known limit: reduce before sending.
		err = ferry.Errorf(ferry.ETOOLARGE, "the record is %d bytes; a topic message is at most %d", len(rec), TopicRecordLimit)
	} else {
		err = r.send(ctx, o, arn, d.Target, rec, dedup, d.Note)
	}
	if ferry.ErrorCode(err) == ferry.ETOOLARGE {
		size := len(rec)
		if rec, err = json.Marshal(withoutPayloads(r.Record(o))); err != nil {
			return err
		}
		d.Note = joinNote(d.Note, fmt.Sprintf("requestPayload and responsePayload dropped: the %d-byte record is larger than %s accepts", size, d.Target))
		err = r.send(ctx, o, arn, d.Target, rec, dedup, d.Note)
	}
	if err != nil {
		return fmt.Errorf("deliver to %s: %w", d.Target, err)
	}
	return nil
}

// NoteAttribute is the message attribute that carries a delivery's note
// on queue and topic records.
const NoteAttribute = "FerryNote"

// send hands one record to its target.
func (r *Router) send(ctx context.Context, o *ferry.Outcome, arn ferry.ARN, target string, rec []byte, dedup, note string) error {
	hops := o.Request.Hops + 1
	var attrs map[string]ferry.MessageAttribute
	if note != "" {
		attrs = map[string]ferry.MessageAttribute{NoteAttribute: {DataType: "String", StringValue: note}}
	}
	var err error
	switch arn.Kind {
	case ferry.KindQueue:
		if r.t.Queues == nil {
			return fmt.Errorf("no queue service for %s", target)
		}
		_, err = r.t.Queues.SendMessage(ctx, arn.Name, ferry.OutgoingMessage{
			Body: string(rec), Attributes: attrs, DedupID: dedup, TraceID: o.Request.TraceID, Hops: hops})
	case ferry.KindTopic:
		if r.t.Topics == nil {
			return fmt.Errorf("no topic service for %s", target)
		}
		_, err = r.t.Topics.Publish(ctx, arn.Name, ferry.Notification{
			Message: string(rec), Attributes: attrs, DedupID: dedup, TraceID: o.Request.TraceID, Hops: hops})
	case ferry.KindBus:
		if r.t.Buses == nil {
			return fmt.Errorf("no event bus service for %s", target)
		}
		dt := ferry.DetailTypeSuccess
		if o.Failed() {
			dt = ferry.DetailTypeFailure
		}
		_, err = r.t.Buses.PutEvent(ctx, ferry.BusEvent{
			Bus: arn.Name, Source: "lambda", DetailType: dt, Detail: string(rec),
			Resources: []string{r.realm.FunctionARN(o.Function.Name) + ":" + ferry.LatestVersion},
			Time:      o.Time, DedupID: dedup, TraceID: o.Request.TraceID, Hops: hops})
	case ferry.KindFunction:
		if r.t.Functions == nil {
			return fmt.Errorf("no function service for %s", target)
		}
		err = r.t.Functions.InvokeAsync(ctx, &ferry.InvokeRequest{
			RequestID: DerivedID(dedup), Dedup: true, Function: arn.Name, Qualifier: arn.Qualifier,
			Payload: rec, TraceID: o.Request.TraceID, Hops: hops})
	default:
		return ferry.Errorf(ferry.EINVALID, "%s cannot be a destination (want a function, queue, topic or event bus)", target)
	}
	return err
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// TopicRecordLimit is the topic message size limit; a larger record is sent
// without its request and response payloads, as AWS does.
const TopicRecordLimit = 256 * 1024

func withoutPayloads(rec *ferry.InvocationRecord) *ferry.InvocationRecord {
	rec.RequestPayload = json.RawMessage("null")
	rec.ResponsePayload = nil
	return rec
}

// deadLetter sends the original event with the RequestID, ErrorCode and
// ErrorMessage attributes to a queue or topic.
func (r *Router) deadLetter(ctx context.Context, o *ferry.Outcome, arn ferry.ARN, dedup, note string) error {
	msg := note
	if msg == "" && o.Result != nil {
		msg = o.Result.ErrorMessage
	}
	if msg == "" {
		msg = o.Condition
	}
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	attrs := map[string]ferry.MessageAttribute{
		"RequestID":    {DataType: "String", StringValue: o.Request.RequestID},
		"ErrorCode":    {DataType: "Number", StringValue: strconv.Itoa(statusOf(o))},
		"ErrorMessage": {DataType: "String", StringValue: msg},
	}
	body := string(o.Request.Payload)
	var err error
	switch arn.Kind {
	case ferry.KindQueue:
		if r.t.Queues == nil {
			return fmt.Errorf("no queue service for %s", arn)
		}
		_, err = r.t.Queues.SendMessage(ctx, arn.Name, ferry.OutgoingMessage{
			Body: body, Attributes: attrs, DedupID: dedup, TraceID: o.Request.TraceID, Hops: o.Request.Hops + 1})
	case ferry.KindTopic:
		if r.t.Topics == nil {
			return fmt.Errorf("no topic service for %s", arn)
		}
		_, err = r.t.Topics.Publish(ctx, arn.Name, ferry.Notification{
			Message: body, Attributes: attrs, DedupID: dedup, TraceID: o.Request.TraceID, Hops: o.Request.Hops + 1})
	default:
		return ferry.Errorf(ferry.EINVALID, "dead-letter target %s must be a queue or topic", arn)
	}
	if err != nil {
		return fmt.Errorf("dead-letter to %s: %w", arn, err)
	}
	return nil
}

func statusOf(o *ferry.Outcome) int {
	if o.StatusCode != 0 {
		return o.StatusCode
	}
	return 200
}

// DerivedID is a stable UUID derived from s, used as the request id of a
// destination function's invocation so a re-delivery is deduplicated.
func DerivedID(s string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(s)).String()
}
