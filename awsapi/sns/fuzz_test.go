package snsapi_test

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// FuzzQueryRequest sends arbitrary form bodies through the handler on a
// real topic service: decoding never panics, every answer is well-formed
// SNS XML, and no input is an internal error.
func FuzzQueryRequest(f *testing.F) {
	b := setup(f)
	topic := "arn:aws:sns:us-east-1:000000000000:fz"
	for _, seed := range []string{
		"Action=CreateTopic&Version=2010-03-31&Name=fz",
		"Action=CreateTopic&Name=fz2&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=x&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=ListTopics&NextToken=dDE",
		"Action=Subscribe&TopicArn=" + topic + "&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:000000000000:q&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=%7B%22a%22%3A%5B%22b%22%5D%7D",
		"Action=Publish&TopicArn=" + topic + "&Message=hi&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=b",
		"Action=Publish&TargetArn=" + topic + "&MessageStructure=json&Message=%7B%22default%22%3A%22d%22%2C%22sqs%22%3A%22d%22%7D",
		"Action=Publish&TopicArn=" + topic + "&Message=m&MessageAttributes.entry.1.Name=b&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=AAEC",
		"Action=PublishBatch&TopicArn=" + topic + "&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=x&PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.2.Message=y&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Name=n",
		"Action=PublishBatch&TopicArn=" + topic + "&PublishBatchRequestEntries.member.99999999999999999999.Id=a",
		"Action=UntagResource&ResourceArn=" + topic + "&TagKeys.member.1=a&TagKeys.member.3=b",
		"Action=ConfirmSubscription&TopicArn=" + topic + "&Token=t",
		"Action=SetTopicAttributes&TopicArn=" + topic + "&AttributeName=DeliveryPolicy&AttributeValue=%7B",
		"Action=ListSubscriptionsByTopic&TopicArn=" + topic + "&NextToken=%00",
		"Action=Nope", "", "%zz", "Action=Publish&MessageAttributes.entry.-1.Name=x",
	} {
		f.Add(seed)
	}
	h := b.api.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("request %q took over 20 s; goroutines:\n%s", body, buf[:runtime.Stack(buf, true)])
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		var root struct{ XMLName xml.Name }
		if err := xml.Unmarshal(rec.Body.Bytes(), &root); err != nil {
			t.Fatalf("response to %q is not XML: %v\n%s", body, err, rec.Body.String())
		}
		name := root.XMLName.Local
		if rec.Code == 200 && !strings.HasSuffix(name, "Response") || rec.Code != 200 && name != "ErrorResponse" {
			t.Fatalf("status %d with root <%s> for %q", rec.Code, name, body)
		}
	})
}
