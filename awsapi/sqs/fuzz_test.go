package sqsapi

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/ferry-run/ferry"
)

// checkDecoded runs what every operation does with a decoded request before
// it reaches the queue service, and checks that every refusal is a wire
// error (so it maps to a named SQS error, never to InternalError).
func checkDecoded(t *testing.T, in *request) {
	a := New(Config{})
	c := &call{in: in, r: httptest.NewRequest("POST", "/", nil)}
	wire := func(what string, err error) {
		var we *wireErr
		if err != nil && !errors.As(err, &we) {
			t.Fatalf("%s: error %v (%T) is not a wire error", what, err, err)
		}
	}
	name, err := a.queue(c)
	wire("queue", err)
	if err == nil && !ferry.ValidQueueName(name) {
		t.Fatalf("queue resolved to invalid name %q", name)
	}
	wire("checkBatch", checkBatch(in.Entries))
	_, err = outgoing(in.sendFields)
	wire("outgoing", err)
	for _, e := range in.Entries {
		_, err = outgoing(e.sendFields)
		wire("outgoing entry", err)
	}
	_, err = newAttrFilter(in.MessageAttributeNames)
	wire("attribute filter", err)
	_, _, err = paginate([]string{"a", "b", "c"}, in.MaxResults, in.NextToken)
	wire("paginate", err)
	wire("settable", checkSettable(in.Attributes))
}

func FuzzJSONRequest(f *testing.F) {
	f.Add([]byte(`{"QueueUrl":"http://localhost:4566/000000000000/q","MessageBody":"hi","DelaySeconds":3,"MessageAttributes":{"a":{"DataType":"String","StringValue":"v"}}}`))
	f.Add([]byte(`{"QueueUrl":"q","Entries":[{"Id":"a","ReceiptHandle":"r","VisibilityTimeout":5},{"Id":"a"}]}`))
	f.Add([]byte(`{"QueueName":"q","Attributes":{"VisibilityTimeout":"5"},"tags":{"k":"v"}}`))
	f.Add([]byte(`{"QueueUrl":"arn:aws:sqs:us-east-1:000000000000:q","MessageAttributeNames":["All","a.*"],"MaxNumberOfMessages":11}`))
	f.Add([]byte(`{"MaxResults":0,"NextToken":"!!"}`))
	f.Add([]byte(`{"MessageAttributes":{"b":{"DataType":"Binary","BinaryValue":"AAE="}}}`))
	f.Add([]byte(`[1,2`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeJSON(body)
		if err != nil {
			var we *wireErr
			if !errors.As(err, &we) {
				t.Fatalf("decode error %v is not a wire error", err)
			}
			return
		}
		checkDecoded(t, in)
	})
}

func FuzzQueryRequest(f *testing.F) {
	f.Add("Action=SendMessage&QueueUrl=http%3A%2F%2Fh%2F000000000000%2Fq&MessageBody=x&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v")
	f.Add("Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=b&SendMessageBatchRequestEntry.2.Id=a")
	f.Add("Action=CreateQueue&QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5&Tag.1.Key=k&Tag.1.Value=v")
	f.Add("Action=ReceiveMessage&AttributeName.1=All&MessageAttributeName.1=a.*&MaxNumberOfMessages=x")
	f.Add("MessageAttribute.1.Name=b&MessageAttribute.1.Value.BinaryValue=%%%&AttributeName.01=x&AttributeName.-1=y")
	f.Add("DeleteMessageBatchRequestEntry.99999999999999999999.Id=a&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=9")
	f.Fuzz(func(t *testing.T, query string) {
		v, _ := url.ParseQuery(query) // keeps what parses, as ParseForm does
		in, err := decodeQuery(v)
		if err != nil {
			var we *wireErr
			if !errors.As(err, &we) {
				t.Fatalf("decode error %v is not a wire error", err)
			}
			return
		}
		if len(in.Entries) > 3*(maxBatch+1) {
			t.Fatalf("decoded %d entries; the decoder should stop past %d per kind", len(in.Entries), maxBatch+1)
		}
		checkDecoded(t, in)
	})
}
