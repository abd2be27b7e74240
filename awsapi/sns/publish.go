package snsapi

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/topic"
)

// deliveredProtocols are the MessageStructure=json keys that would reach a
// Ferry subscription; keys for other protocols (email, sms, APNS, ...) have
// no subscriber in Ferry and are ignored.
var deliveredProtocols = []string{topic.ProtocolLambda, topic.ProtocolSQS, topic.ProtocolHTTP, topic.ProtocolHTTPS}

// structuredMessage picks the message every subscription receives from a
// MessageStructure=json message: its "default" entry. A lambda, sqs, http
// or https entry that differs from the default would need a per-protocol
// message, which the topic service does not carry, so it is refused by name.
func structuredMessage(msg string) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(msg), &m); err != nil || m == nil {
		return "", invalidParameter("Message Structure - JSON message body failed to parse")
	}
	entries := make(map[string]string, len(m))
	for k, raw := range m {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", invalidParameter("Message Structure - the value of %q must be a string", k)
		}
		entries[k] = s
	}
	def, ok := entries["default"]
	if !ok {
		return "", invalidParameter("Message Structure - No default entry in JSON message body")
	}
	for _, p := range deliveredProtocols {
		if v, ok := entries[p]; ok && v != def {
			return "", invalidParameter("Message Structure - a %q message different from the default one is not supported by Ferry: every subscription receives the default message", p)
		}
	}
	return def, nil
}

// notification decodes the message fields shared by Publish and a
// PublishBatch entry, under prefix ("" or "PublishBatchRequestEntries.member.N.").
func notification(p params, prefix, traceID string) (ferry.Notification, error) {
	n := ferry.Notification{TraceID: traceID, GroupID: p.get(prefix + "MessageGroupId"), DedupID: p.get(prefix + "MessageDeduplicationId")}
	n.Message = p.get(prefix + "Message")
	if n.Message == "" {
		return n, invalidParameter("Empty message")
	}
	n.Subject = p.get(prefix + "Subject")
	switch s := p.get(prefix + "MessageStructure"); s {
	case "":
	case "json":
		m, err := structuredMessage(n.Message)
		if err != nil {
			return n, err
		}
		n.Message = m
	default:
		return n, invalidParameter("MessageStructure must be json, got %q", s)
	}
	attrs, err := p.messageAttributes(prefix + "MessageAttributes")
	if err != nil {
		return n, err
	}
	n.Attributes = attrs
	return n, nil
}

type publishResult struct {
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

func (a *API) publish(ctx context.Context, r *request) (any, error) {
	target, err := publishTarget(r.p)
	if err != nil {
		return nil, err
	}
	n, err := notification(r.p, "", r.traceID)
	if err == nil {
		err = fifoParams(target, n)
	}
	if err != nil {
		return nil, err
	}
	id, seq, err := a.topics.PublishSequenced(ctx, target, n)
	if err != nil {
		return nil, err
	}
	return publishResult{id, seq}, nil
}

// publishTarget returns the topic of a Publish: TopicArn, or a TargetArn
// naming a topic.
func publishTarget(p params) (string, error) {
	if p.get("PhoneNumber") != "" {
		return "", invalidParameter("PhoneNumber: SMS is not supported by Ferry")
	}
	topicArn, targetArn := p.get("TopicArn"), p.get("TargetArn")
	switch {
	case topicArn != "" && targetArn != "":
		return "", invalidParameter("only one of TopicArn and TargetArn may be given")
	case topicArn != "":
		return topicArn, nil
	case targetArn == "":
		return "", invalidParameter("TopicArn or TargetArn is required")
	}
	a, err := ferry.ParseARN(targetArn)
	if err != nil || a.Kind != ferry.KindTopic {
		return "", invalidParameter("TargetArn %q: only topic ARNs are supported by Ferry (no platform endpoints)", targetArn)
	}
	return targetArn, nil
}

type batchSuccessXML struct {
	ID             string `xml:"Id"`
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

type batchFailureXML struct {
	ID          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

type publishBatchResult struct {
	Successful members[batchSuccessXML] `xml:"Successful"`
	Failed     members[batchFailureXML] `xml:"Failed"`
}

// publishBatch publishes up to ten entries. An entry that does not decode
// fails alone; it still takes part in the request's checks (entry count,
// ids) as the topic service applies them.
func (a *API) publishBatch(ctx context.Context, r *request) (any, error) {
	arn, err := r.p.required("TopicArn")
	if err != nil {
		return nil, err
	}
	if _, err := a.topics.GetTopicAttributes(ctx, arn); err != nil {
		return nil, err // an unknown topic first, as the topic service checks it
	}
	idx, err := r.p.indicesUpTo("PublishBatchRequestEntries.member", topic.MaxBatchEntries, topic.ErrTooManyEntries)
	if err != nil {
		return nil, err
	}
	entries := make([]topic.BatchEntry, len(idx))
	decodeErr := make([]error, len(idx))
	for i, n := range idx {
		prefix := "PublishBatchRequestEntries.member." + strconv.Itoa(n) + "."
		entries[i].ID = r.p.get(prefix + "Id")
		note, err := notification(r.p, prefix, r.traceID)
		if err == nil {
			err = fifoParams(arn, note)
		}
		if err != nil {
			// An empty message makes the topic service fail the entry;
			// its error is replaced by this one below.
			decodeErr[i] = err
			continue
		}
		entries[i].Notification = note
	}
	results, err := a.topics.PublishBatch(ctx, arn, entries)
	if err != nil {
		return nil, err
	}
	var out publishBatchResult
	out.Successful.Members = []batchSuccessXML{}
	out.Failed.Members = []batchFailureXML{}
	for i, res := range results {
		err := res.Err
		if i < len(decodeErr) && decodeErr[i] != nil {
			err = decodeErr[i]
		}
		if err == nil {
			out.Successful.Members = append(out.Successful.Members, batchSuccessXML{res.ID, res.MessageID, res.SequenceNumber})
			continue
		}
		we := lookupError(err)
		msg := a.errorMessage(err, we, "PublishBatch")
		out.Failed.Members = append(out.Failed.Members, batchFailureXML{res.ID, we.code, msg, we.status < 500})
	}
	return out, nil
}
