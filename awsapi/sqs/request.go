package sqsapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// request is the input of every operation, decoded from either protocol.
// Each operation reads the members it defines; members of other
// operations are ignored, as SQS ignores unknown members.
type request struct {
	QueueURL               string            `json:"QueueUrl"`
	QueueName              string            `json:"QueueName"`
	QueueNamePrefix        string            `json:"QueueNamePrefix"`
	QueueOwnerAWSAccountID string            `json:"QueueOwnerAWSAccountId"`
	NextToken              string            `json:"NextToken"`
	MaxResults             *int              `json:"MaxResults"`
	Attributes             map[string]string `json:"Attributes"`
	// CreateTags is CreateQueue's "tags"; Tags is TagQueue's "Tags".
	CreateTags map[string]string `json:"tags"`
	Tags       map[string]string `json:"Tags"`
	TagKeys    []string          `json:"TagKeys"`

	AttributeNames              []string `json:"AttributeNames"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames"`
	MessageAttributeNames       []string `json:"MessageAttributeNames"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int     `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int     `json:"WaitTimeSeconds"`
	ReceiveRequestAttemptID     string   `json:"ReceiveRequestAttemptId"`

	sendFields
	ReceiptHandle string  `json:"ReceiptHandle"`
	Entries       []entry `json:"Entries"`

	SourceARN                    string `json:"SourceArn"`
	DestinationARN               string `json:"DestinationArn"`
	MaxNumberOfMessagesPerSecond *int   `json:"MaxNumberOfMessagesPerSecond"`
	TaskHandle                   string `json:"TaskHandle"`

	// AddPermission and RemovePermission.
	Label         string   `json:"Label"`
	AWSAccountIDs []string `json:"AWSAccountIds"`
	Actions       []string `json:"Actions"`
}

// sendFields are the members of SendMessage and of a SendMessageBatch entry.
type sendFields struct {
	MessageBody             *string              `json:"MessageBody"`
	DelaySeconds            *int                 `json:"DelaySeconds"`
	MessageAttributes       map[string]attrValue `json:"MessageAttributes"`
	MessageSystemAttributes map[string]attrValue `json:"MessageSystemAttributes"`
	MessageDeduplicationID  string               `json:"MessageDeduplicationId"`
	MessageGroupID          string               `json:"MessageGroupId"`
}

// entry is one entry of a batch operation.
type entry struct {
	ID string `json:"Id"`
	sendFields
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout"`
}

// attrValue is a message attribute value on the wire.
type attrValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue"`
	BinaryValue      []byte   `json:"BinaryValue"`
	StringListValues []string `json:"StringListValues"`
	BinaryListValues [][]byte `json:"BinaryListValues"`
}

// maxBody bounds a request body: a 1 MiB message may grow several times
// when JSON-escaped or form-encoded.
const maxBody = 8 << 20

// maxParams bounds the parameters of a query request (a full batch of ten
// messages with ten attributes each needs about 600).
const maxParams = 4096

// decodeJSON decodes a JSON 1.0 request body. An empty body is an empty
// request.
func decodeJSON(body []byte) (*request, error) {
	in := &request{}
	if len(bytes.TrimSpace(body)) == 0 {
		return in, nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return nil, fail(errInvalidParameter, "the request body is not a valid JSON object: %v", err)
	}
	return in, nil
}

// decodeQuery decodes the query protocol's parameters.
func decodeQuery(v url.Values) (*request, error) {
	if len(v) > maxParams {
		return nil, fail(errInvalidParameter, "the request has %d parameters; at most %d are accepted", len(v), maxParams)
	}
	q := queryParams(v)
	in := &request{
		QueueURL:                    q.get("QueueUrl"),
		QueueName:                   q.get("QueueName"),
		QueueNamePrefix:             q.get("QueueNamePrefix"),
		QueueOwnerAWSAccountID:      q.get("QueueOwnerAWSAccountId"),
		NextToken:                   q.get("NextToken"),
		ReceiptHandle:               q.get("ReceiptHandle"),
		ReceiveRequestAttemptID:     q.get("ReceiveRequestAttemptId"),
		SourceARN:                   q.get("SourceArn"),
		DestinationARN:              q.get("DestinationArn"),
		TaskHandle:                  q.get("TaskHandle"),
		Label:                       q.get("Label"),
		AWSAccountIDs:               q.list("AWSAccountId"),
		Actions:                     q.list("ActionName"),
		AttributeNames:              q.list("AttributeName"),
		MessageSystemAttributeNames: q.list("MessageSystemAttributeName"),
		MessageAttributeNames:       q.list("MessageAttributeName"),
		TagKeys:                     q.list("TagKey"),
		Attributes:                  q.pairs("Attribute", "Name", "Value"),
	}
	var err error
	for _, p := range []struct {
		name string
		dst  **int
	}{
		{"MaxResults", &in.MaxResults},
		{"MaxNumberOfMessages", &in.MaxNumberOfMessages},
		{"VisibilityTimeout", &in.VisibilityTimeout},
		{"WaitTimeSeconds", &in.WaitTimeSeconds},
		{"MaxNumberOfMessagesPerSecond", &in.MaxNumberOfMessagesPerSecond},
	} {
		if *p.dst, err = q.int(p.name); err != nil {
			return nil, err
		}
	}
	if tags := q.pairs("Tag", "Key", "Value"); tags != nil {
		in.CreateTags, in.Tags = tags, tags
	}
	if in.sendFields, err = q.send(""); err != nil {
		return nil, err
	}
	for _, prefix := range []string{"SendMessageBatchRequestEntry", "DeleteMessageBatchRequestEntry", "ChangeMessageVisibilityBatchRequestEntry"} {
		idx := q.indexes(prefix)
		if len(idx) > maxBatch+1 {
			idx = idx[:maxBatch+1] // enough to report the batch as too long
		}
		for _, i := range idx {
			p := prefix + "." + strconv.Itoa(i) + "."
			e := entry{ID: q.get(p + "Id"), ReceiptHandle: q.get(p + "ReceiptHandle")}
			if e.VisibilityTimeout, err = q.int(p + "VisibilityTimeout"); err != nil {
				return nil, err
			}
			if e.sendFields, err = q.send(p); err != nil {
				return nil, err
			}
			in.Entries = append(in.Entries, e)
		}
	}
	return in, nil
}

// queryParams reads flattened query protocol members.
type queryParams url.Values

func (q queryParams) get(k string) string { return url.Values(q).Get(k) }

func (q queryParams) has(k string) bool { _, ok := q[k]; return ok }

func (q queryParams) int(k string) (*int, error) {
	if !q.has(k) {
		return nil, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(q.get(k)))
	if err != nil {
		return nil, fail(errInvalidParameter, "value %q for parameter %s is not an integer", q.get(k), k)
	}
	return &n, nil
}

// indexes returns, in ascending order, every N for which a parameter
// prefix.N or prefix.N.<member> is present.
func (q queryParams) indexes(prefix string) []int {
	seen := map[int]bool{}
	for k := range q {
		rest, ok := strings.CutPrefix(k, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && strconv.Itoa(n) == num {
			seen[n] = true
		}
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// list reads prefix.1, prefix.2, ...
func (q queryParams) list(prefix string) []string {
	var out []string
	for _, i := range q.indexes(prefix) {
		if k := prefix + "." + strconv.Itoa(i); q.has(k) {
			out = append(out, q.get(k))
		}
	}
	return out
}

// pairs reads a map flattened as prefix.N.<key> / prefix.N.<value>.
func (q queryParams) pairs(prefix, key, value string) map[string]string {
	var out map[string]string
	for _, i := range q.indexes(prefix) {
		p := prefix + "." + strconv.Itoa(i) + "."
		if !q.has(p + key) {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[q.get(p+key)] = q.get(p + value)
	}
	return out
}

// send reads the members of a message under prefix ("" for SendMessage,
// "SendMessageBatchRequestEntry.N." for a batch entry).
func (q queryParams) send(prefix string) (sendFields, error) {
	var f sendFields
	if k := prefix + "MessageBody"; q.has(k) {
		b := q.get(k)
		f.MessageBody = &b
	}
	var err error
	if f.DelaySeconds, err = q.int(prefix + "DelaySeconds"); err != nil {
		return f, err
	}
	f.MessageDeduplicationID = q.get(prefix + "MessageDeduplicationId")
	f.MessageGroupID = q.get(prefix + "MessageGroupId")
	if f.MessageAttributes, err = q.attrs(prefix + "MessageAttribute"); err != nil {
		return f, err
	}
	if f.MessageSystemAttributes, err = q.attrs(prefix + "MessageSystemAttribute"); err != nil {
		return f, err
	}
	return f, nil
}

// attrs reads message attributes: prefix.N.Name and prefix.N.Value.<member>.
func (q queryParams) attrs(prefix string) (map[string]attrValue, error) {
	var out map[string]attrValue
	for _, i := range q.indexes(prefix) {
		p := prefix + "." + strconv.Itoa(i) + "."
		if !q.has(p + "Name") {
			continue
		}
		v := attrValue{DataType: q.get(p + "Value.DataType")}
		if k := p + "Value.StringValue"; q.has(k) {
			s := q.get(k)
			v.StringValue = &s
		}
		if k := p + "Value.BinaryValue"; q.has(k) {
			b, err := base64.StdEncoding.DecodeString(q.get(k))
			if err != nil {
				return nil, fail(errInvalidParameter, "%s is not valid base64", k)
			}
			v.BinaryValue = b
		}
		v.StringListValues = q.list(p + "Value.StringListValue")
		for _, s := range q.list(p + "Value.BinaryListValue") {
			v.BinaryListValues = append(v.BinaryListValues, []byte(s))
		}
		if out == nil {
			out = map[string]attrValue{}
		}
		out[q.get(p+"Name")] = v
	}
	return out, nil
}
