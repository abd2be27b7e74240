package sqsapi

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/queue"
)

// maxBatch is the most entries a batch request may hold.
const maxBatch = queue.MaxBatch

// Message system attribute names.
const (
	sysAll                 = "All"
	sysSenderID            = "SenderId"
	sysSentTimestamp       = "SentTimestamp"
	sysReceiveCount        = "ApproximateReceiveCount"
	sysFirstReceive        = "ApproximateFirstReceiveTimestamp"
	sysTraceHeader         = "AWSTraceHeader"
	sysDeadLetterSourceARN = "DeadLetterQueueSourceArn"
)

// receivableSys are the system attributes a receive may ask for;
// DeadLetterQueueSourceArn is accepted and never returned, the FIFO ones
// are returned for FIFO queues.
var receivableSys = map[string]bool{
	sysAll: true, sysSenderID: true, sysSentTimestamp: true, sysReceiveCount: true,
	sysFirstReceive: true, sysTraceHeader: true, sysDeadLetterSourceARN: true,
	sysSequenceNumber: true, sysDedupID: true, sysGroupID: true,
}

// outgoing converts the members of a send to a queue message.
func outgoing(f sendFields) (ferry.OutgoingMessage, error) {
	var m ferry.OutgoingMessage
	if f.MessageBody == nil {
		return m, fail(errMissingParameter, "the request must contain the parameter MessageBody")
	}
	m.Body = *f.MessageBody
	if f.DelaySeconds != nil {
		d := *f.DelaySeconds
		if d < 0 || d > int(queue.MaxDelay/time.Second) {
			return m, fail(errInvalidParameter, "DelaySeconds must be from 0 to 900, got %d", d)
		}
		m.Delay, m.HasDelay = time.Duration(d)*time.Second, true
	}
	var err error
	if m.Attributes, err = messageAttributes("MessageAttributes", f.MessageAttributes); err != nil {
		return m, err
	}
	for k, v := range f.MessageSystemAttributes {
		if k != sysTraceHeader {
			return m, fail(errInvalidParameter, "message system attribute %s is not supported (only AWSTraceHeader)", k)
		}
		if v.DataType != "String" || v.StringValue == nil || *v.StringValue == "" {
			return m, fail(errInvalidParameter, "message system attribute AWSTraceHeader must be a non-empty String")
		}
		m.TraceID = *v.StringValue
	}
	return m, nil
}

// messageAttributes converts wire attributes; the list values SQS reserves
// are refused by name.
func messageAttributes(member string, in map[string]attrValue) (map[string]ferry.MessageAttribute, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]ferry.MessageAttribute, len(in))
	for k, v := range in {
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return nil, fail(errInvalidParameter, "%s %q: StringListValues and BinaryListValues are not supported", member, k)
		}
		a := ferry.MessageAttribute{DataType: v.DataType, BinaryValue: v.BinaryValue}
		if v.StringValue != nil {
			a.StringValue = *v.StringValue
		}
		out[k] = a
	}
	return out, nil
}

// systemMD5 is MD5OfMessageSystemAttributes for a sent message.
func systemMD5(m ferry.OutgoingMessage) string {
	if m.TraceID == "" {
		return ""
	}
	return queue.MD5OfAttributes(map[string]ferry.MessageAttribute{sysTraceHeader: {DataType: "String", StringValue: m.TraceID}})
}

func (a *API) sendMessage(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	m, err := outgoing(c.in.sendFields)
	if err == nil {
		err = fifoFields(&m, c.in.sendFields, name)
	}
	if err != nil {
		return nil, err
	}
	r, err := a.queues.Send(ctx, name, m)
	if err != nil {
		return nil, err
	}
	return sendResult{MD5OfMessageBody: r.MD5OfBody, MD5OfMessageAttributes: r.MD5OfMessageAttributes,
		MD5OfMessageSystemAttributes: systemMD5(m), MessageID: r.MessageID, SequenceNumber: r.SequenceNumber}, nil
}

// checkBatch enforces SQS's rules on a batch's entry ids.
func checkBatch(entries []entry) error {
	if len(entries) == 0 {
		return fail(errEmptyBatch, "there should be at least one entry in the request")
	}
	if len(entries) > maxBatch {
		return fail(errTooManyEntries, "maximum number of entries per request are %d, you have sent %d", maxBatch, len(entries))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !ferry.ValidResourceName(e.ID) {
			return fail(errInvalidBatchID, "a batch entry id can only contain alphanumeric characters, hyphens and underscores and be at most 80 characters long, got %q", e.ID)
		}
		if seen[e.ID] {
			return fail(errIDsNotDistinct, "id %s repeated", e.ID)
		}
		seen[e.ID] = true
	}
	return nil
}

func (a *API) sendMessageBatch(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if err := checkBatch(c.in.Entries); err != nil {
		return nil, err
	}
	out := sendBatchResult{Successful: []sendBatchEntry{}, Failed: []batchError{}}
	var entries []queue.SendEntry
	msgs := map[string]ferry.OutgoingMessage{}
	size := 0
	for _, e := range c.in.Entries {
		m, err := outgoing(e.sendFields)
		if err == nil {
			err = fifoFields(&m, e.sendFields, name)
		}
		if err != nil {
			out.Failed = append(out.Failed, entryError(e.ID, err))
			continue
		}
		size += len(m.Body)
		for k, v := range m.Attributes {
			size += len(k) + len(v.DataType) + len(v.StringValue) + len(v.BinaryValue)
		}
		msgs[e.ID] = m
		entries = append(entries, queue.SendEntry{ID: e.ID, Message: m})
	}
	if err := a.checkBatchSize(ctx, name, size); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		if _, err := a.queues.Info(name); err != nil {
			return nil, err
		}
		return out, nil
	}
	res, err := a.queues.SendMessageBatch(ctx, name, entries)
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		if r.Err != nil {
			out.Failed = append(out.Failed, entryError(r.ID, r.Err))
			continue
		}
		out.Successful = append(out.Successful, sendBatchEntry{ID: r.ID, sendResult: sendResult{
			MD5OfMessageBody: r.MD5OfBody, MD5OfMessageAttributes: r.MD5OfMessageAttributes,
			MD5OfMessageSystemAttributes: systemMD5(msgs[r.ID]), MessageID: r.MessageID, SequenceNumber: r.SequenceNumber}})
	}
	return out, nil
}

// checkBatchSize refuses a batch larger in total than the queue's
// MaximumMessageSize, as BatchRequestTooLong.
func (a *API) checkBatchSize(ctx context.Context, name string, size int) error {
	attrs, err := a.queues.GetQueueAttributes(ctx, name, []string{queue.AttrMaximumMessageSize})
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(attrs[queue.AttrMaximumMessageSize])
	if limit > 0 && size > limit {
		return fail(errBatchTooLong, "batch requests cannot be longer than %d bytes, got %d", limit, size)
	}
	return nil
}

func (a *API) receiveMessage(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	in := c.in
	opts := ferry.ReceiveOptions{MaxMessages: 1}
	if n := in.MaxNumberOfMessages; n != nil {
		if *n < 1 || *n > maxBatch {
			return nil, fail(errInvalidParameter, "MaxNumberOfMessages must be from 1 to %d, got %d", maxBatch, *n)
		}
		opts.MaxMessages = *n
	}
	if w := in.WaitTimeSeconds; w != nil {
		if *w < 0 || *w > int(queue.MaxWait/time.Second) {
			return nil, fail(errInvalidParameter, "WaitTimeSeconds must be from 0 to 20, got %d", *w)
		}
		opts.WaitTime = time.Duration(*w) * time.Second
	}
	if v := in.VisibilityTimeout; v != nil {
		if *v < 0 || *v > int(queue.MaxVisibility/time.Second) {
			return nil, fail(errInvalidParameter, "VisibilityTimeout must be from 0 to 43200, got %d", *v)
		}
		opts.Visibility, opts.HasVisibility = time.Duration(*v)*time.Second, true
	}
	sys := map[string]bool{}
	for _, n := range append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...) {
		if !receivableSys[n] {
			return nil, fail(errInvalidAttrName, "unknown message system attribute %s", n)
		}
		sys[n] = true
	}
	filter, err := newAttrFilter(in.MessageAttributeNames)
	if err != nil {
		return nil, err
	}
	msgs, err := a.queues.ReceiveMessages(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	out := receiveResult{}
	for _, m := range msgs {
		out.Messages = append(out.Messages, received(m, sys, filter))
	}
	return out, nil
}

// received renders a message with the asked-for attributes.
func received(m ferry.Message, sys map[string]bool, filter attrFilter) message {
	out := message{MessageID: m.MessageID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: m.MD5OfBody, Body: m.Body}
	all := sys[sysAll]
	put := func(k, v string) {
		if (all || sys[k]) && v != "" {
			if out.Attributes == nil {
				out.Attributes = attrMap{}
			}
			out.Attributes[k] = v
		}
	}
	put(sysSenderID, m.SenderID)
	put(sysSentTimestamp, strconv.FormatInt(m.SentTimestamp, 10))
	put(sysReceiveCount, strconv.Itoa(m.ReceiveCount))
	put(sysFirstReceive, strconv.FormatInt(m.FirstReceiveTimestamp, 10))
	put(sysTraceHeader, m.TraceID)
	put(sysGroupID, m.GroupID)
	put(sysDedupID, m.DedupID)
	put(sysSequenceNumber, m.SequenceNumber)
	kept := map[string]ferry.MessageAttribute{}
	for k, v := range m.Attributes {
		if filter.match(k) {
			kept[k] = v
		}
	}
	if len(kept) > 0 {
		out.MessageAttributes = msgAttrMap{}
		for k, v := range kept {
			out.MessageAttributes[k] = msgAttr{StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: v.DataType}
		}
		out.MD5OfMessageAttributes = queue.MD5OfAttributes(kept)
	}
	return out
}

// attrFilter selects message attributes by MessageAttributeNames: "All" or
// ".*" for every one, "prefix.*" for a prefix, else exact names.
type attrFilter struct {
	all      bool
	names    map[string]bool
	prefixes []string
}

func newAttrFilter(names []string) (attrFilter, error) {
	f := attrFilter{names: map[string]bool{}}
	for _, n := range names {
		switch {
		case n == "All" || n == ".*":
			f.all = true
		case strings.HasSuffix(n, ".*"):
			f.prefixes = append(f.prefixes, strings.TrimSuffix(n, "*"))
		case n == "" || len(n) > 256:
			return f, fail(errInvalidParameter, "message attribute name %q is invalid", n)
		default:
			f.names[n] = true
		}
	}
	return f, nil
}

func (f attrFilter) match(name string) bool {
	if f.all || f.names[name] {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (a *API) deleteMessage(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if c.in.ReceiptHandle == "" {
		return nil, fail(errMissingParameter, "the request must contain the parameter ReceiptHandle")
	}
	return nil, a.queues.DeleteMessage(ctx, name, c.in.ReceiptHandle)
}

func (a *API) changeMessageVisibility(ctx context.Context, c *call) (any, error) {
	name, err := a.queue(c)
	if err != nil {
		return nil, err
	}
	if c.in.ReceiptHandle == "" {
		return nil, fail(errMissingParameter, "the request must contain the parameter ReceiptHandle")
	}
	if c.in.VisibilityTimeout == nil {
		return nil, fail(errMissingParameter, "the request must contain the parameter VisibilityTimeout")
	}
	return nil, a.queues.ChangeMessageVisibility(ctx, name, c.in.ReceiptHandle, time.Duration(*c.in.VisibilityTimeout)*time.Second)
}

// handleEntries validates a DeleteMessageBatch or
// ChangeMessageVisibilityBatch request's entries.
func (a *API) handleEntries(c *call) (string, []queue.HandleEntry, error) {
	name, err := a.queue(c)
	if err != nil {
		return "", nil, err
	}
	if err := checkBatch(c.in.Entries); err != nil {
		return "", nil, err
	}
	out := make([]queue.HandleEntry, len(c.in.Entries))
	for i, e := range c.in.Entries {
		out[i] = queue.HandleEntry{ID: e.ID, ReceiptHandle: e.ReceiptHandle}
		if e.VisibilityTimeout != nil {
			out[i].Visibility = time.Duration(*e.VisibilityTimeout) * time.Second
		}
	}
	return name, out, nil
}

func (a *API) deleteMessageBatch(ctx context.Context, c *call) (any, error) {
	ok, failed, err := a.handleBatch(ctx, c, a.queues.DeleteMessageBatch)
	if err != nil {
		return nil, err
	}
	return deleteBatchResult{Successful: ok, Failed: failed}, nil
}

func (a *API) changeMessageVisibilityBatch(ctx context.Context, c *call) (any, error) {
	ok, failed, err := a.handleBatch(ctx, c, a.queues.ChangeMessageVisibilityBatch)
	if err != nil {
		return nil, err
	}
	return changeBatchResult{Successful: ok, Failed: failed}, nil
}

// handleBatch runs a batch operation on receipt handles and splits its
// results into the entries that succeeded and those that failed (both
// non-nil, so they render as empty lists).
func (a *API) handleBatch(ctx context.Context, c *call, op func(context.Context, string, []queue.HandleEntry) ([]queue.EntryResult, error)) ([]idEntry, []batchError, error) {
	name, entries, err := a.handleEntries(c)
	if err != nil {
		return nil, nil, err
	}
	res, err := op(ctx, name, entries)
	if err != nil {
		return nil, nil, err
	}
	ok, failed := []idEntry{}, []batchError{}
	for _, r := range res {
		if r.Err != nil {
			failed = append(failed, entryError(r.ID, r.Err))
		} else {
			ok = append(ok, idEntry{r.ID})
		}
	}
	return ok, failed, nil
}
