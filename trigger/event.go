package trigger

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/ferry-run/ferry"
)

// record is one message of the SQS event, fields in AWS's order.
type record struct {
	MessageID         string                   `json:"messageId"`
	ReceiptHandle     string                   `json:"receiptHandle"`
	Body              string                   `json:"body"`
	Attributes        map[string]string        `json:"attributes"`
	MessageAttributes map[string]eventAttrJSON `json:"messageAttributes"`
	MD5OfBody         string                   `json:"md5OfBody"`
	EventSource       string                   `json:"eventSource"`
	EventSourceARN    string                   `json:"eventSourceARN"`
	AWSRegion         string                   `json:"awsRegion"`
}

// eventAttrJSON is a message attribute as the SQS event carries it: the
// list fields are always present (empty), the value field matching the
// data type is set.
type eventAttrJSON struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// encodeRecord returns the JSON of msg as an SQS event record.
func encodeRecord(msg *ferry.Message, queueARN, region string) json.RawMessage {
	attrs := map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(msg.ReceiveCount),
		"SentTimestamp":                    strconv.FormatInt(msg.SentTimestamp, 10),
		"SenderId":                         msg.SenderID,
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(msg.FirstReceiveTimestamp, 10),
	}
	if msg.TraceID != "" {
		attrs["AWSTraceHeader"] = msg.TraceID
	}
	fifoRecordAttrs(attrs, msg)
	mattrs := make(map[string]eventAttrJSON, len(msg.Attributes))
	for name, a := range msg.Attributes {
		ea := eventAttrJSON{StringListValues: []string{}, BinaryListValues: [][]byte{}, DataType: a.DataType}
		if a.BinaryValue != nil {
			ea.BinaryValue = a.BinaryValue
		} else {
			v := a.StringValue
			ea.StringValue = &v
		}
		mattrs[name] = ea
	}
	r := record{
		MessageID: msg.MessageID, ReceiptHandle: msg.ReceiptHandle, Body: msg.Body,
		Attributes: attrs, MessageAttributes: mattrs, MD5OfBody: msg.MD5OfBody,
		EventSource: "aws:sqs", EventSourceARN: queueARN, AWSRegion: region,
	}
	b, err := json.Marshal(r)
	if err != nil {
		// Only strings, maps and byte slices: Marshal cannot fail.
		panic(err)
	}
	return b
}

// encodeEvent joins records into {"Records":[...]}.
func encodeEvent(records []json.RawMessage) json.RawMessage {
	n := len(`{"Records":[]}`) + len(records)
	for _, r := range records {
		n += len(r)
	}
	var b bytes.Buffer
	b.Grow(n)
	b.WriteString(`{"Records":[`)
	for i, r := range records {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// batchResponse is a function's partial batch response.
type batchResponse struct {
	BatchItemFailures []struct {
		ItemIdentifier *string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

// failedItems parses a partial batch response against the batch's message
// ids. ok is false when the response is invalid, which fails the whole
// batch: not JSON, not an object (null aside), or an item whose
// itemIdentifier is missing, empty or not in the batch. A null response,
// {} and an empty or null list mean every message succeeded.
func failedItems(payload json.RawMessage, ids map[string]bool) (failed map[string]bool, ok bool) {
	p := bytes.TrimSpace(payload)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		return nil, true
	}
	if p[0] != '{' {
		return nil, false
	}
	var resp batchResponse
	if err := json.Unmarshal(p, &resp); err != nil {
		return nil, false
	}
	failed = map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == nil || *f.ItemIdentifier == "" || !ids[*f.ItemIdentifier] {
			return nil, false
		}
		failed[*f.ItemIdentifier] = true
	}
	return failed, true
}
