package snsapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/ferry-run/ferry"
)

func TestPublishDelivers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "news")
	qsub := b.subscribe(t, arn, "sqs", queueArn+"env", nil)
	rawSub := b.subscribe(t, arn, "sqs", queueArn+"raw", map[string]string{"RawMessageDelivery": "true"})
	fsub := b.subscribe(t, arn, "lambda", functionArn+"reader", nil)

	attrs := map[string]types.MessageAttributeValue{
		"s":   {DataType: aws.String("String"), StringValue: aws.String("hello")},
		"n":   {DataType: aws.String("Number"), StringValue: aws.String("42.5")},
		"b":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 0xff}},
		"arr": {DataType: aws.String("String.Array"), StringValue: aws.String(`["x",1,true]`)},
	}
	id := b.publish(t, &sns.PublishInput{
		TopicArn: aws.String(arn), Message: aws.String("the news"), Subject: aws.String("Headline"),
		MessageAttributes: attrs,
	})
	if id == "" {
		t.Fatal("empty MessageId")
	}
	for _, s := range []string{qsub, rawSub, fsub} {
		if st := b.settled(t, s, 1); st.Delivered != 1 {
			t.Fatalf("subscription %s: %+v, want 1 delivered", s, st)
		}
	}

	env := decodeEnvelope(t, b.q.to("env")[0].Body)
	if env.Type != "Notification" || env.MessageID != id || env.TopicArn != arn || env.Message != "the news" || env.Subject != "Headline" {
		t.Errorf("envelope = %+v", env)
	}
	wantAttrs := map[string]struct{ Type, Value string }{
		"s": {"String", "hello"}, "n": {"Number", "42.5"},
		"b":   {"Binary", base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff})},
		"arr": {"String.Array", `["x",1,true]`},
	}
	for k, want := range wantAttrs {
		if got := env.MessageAttributes[k]; got != want {
			t.Errorf("envelope attribute %s = %+v, want %+v", k, got, want)
		}
	}
	if env.SigningCertURL == "" {
		t.Error("envelope has no SigningCertURL")
	}

	raw := b.q.to("raw")[0]
	if raw.Body != "the news" {
		t.Errorf("raw body = %q", raw.Body)
	}
	wantRaw := map[string]ferry.MessageAttribute{
		"s":   {DataType: "String", StringValue: "hello"},
		"n":   {DataType: "Number", StringValue: "42.5"},
		"b":   {DataType: "Binary", BinaryValue: []byte{0, 1, 2, 0xff}},
		"arr": {DataType: "String", StringValue: `["x",1,true]`},
	}
	for k, want := range wantRaw {
		got := raw.Attributes[k]
		if got.DataType != want.DataType || got.StringValue != want.StringValue || string(got.BinaryValue) != string(want.BinaryValue) {
			t.Errorf("raw attribute %s = %+v, want %+v", k, got, want)
		}
	}

	reqs := b.fn.all()
	if len(reqs) != 1 || reqs[0].Function != "reader" {
		t.Fatalf("function invokes = %+v, want one to reader", reqs)
	}
	var ev struct {
		Records []struct {
			EventSource string
			Sns         struct {
				MessageID string `json:"MessageId"`
				Message   string
				Subject   string
			}
		}
	}
	if err := json.Unmarshal(reqs[0].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 1 || ev.Records[0].EventSource != "aws:sns" || ev.Records[0].Sns.MessageID != id || ev.Records[0].Sns.Message != "the news" {
		t.Errorf("event = %s", reqs[0].Payload)
	}
}

func TestPublishTargetArn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "traced")
	sub := b.subscribe(t, arn, "lambda", functionArn+"fn", nil)
	// TargetArn naming a topic is the same as TopicArn.
	b.publish(t, &sns.PublishInput{TargetArn: aws.String(arn), Message: aws.String("via target")})
	b.settled(t, sub, 1)
	if got := b.fn.all(); len(got) != 1 {
		t.Fatalf("%d invokes, want 1", len(got))
	}
}

func TestPublishMessageStructure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "structured")
	sub := b.subscribe(t, arn, "sqs", queueArn+"q", map[string]string{"RawMessageDelivery": "true"})
	// Keys for protocols Ferry has no subscribers for are ignored; an sqs
	// entry equal to the default is accepted.
	b.publish(t, &sns.PublishInput{
		TopicArn: aws.String(arn), MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"plain","email":"for email","sqs":"plain"}`),
	})
	b.settled(t, sub, 1)
	if got := bodies(b.q.to("q")); !slices.Equal(got, []string{"plain"}) {
		t.Fatalf("queue got %v, want [plain]", got)
	}
	for _, msg := range []string{
		`{"sqs":"no default"}`,
		`not json`,
		`{"default":1}`,
		`{"default":"d","lambda":"different"}`,
	} {
		_, err := b.client.Publish(b.ctx, &sns.PublishInput{TopicArn: aws.String(arn), MessageStructure: aws.String("json"), Message: aws.String(msg)})
		wantErr[*types.InvalidParameterException](t, err)
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "t")
	str := func(dt, v string) map[string]types.MessageAttributeValue {
		return map[string]types.MessageAttributeValue{"a": {DataType: aws.String(dt), StringValue: aws.String(v)}}
	}
	_, err := b.client.Publish(b.ctx, &sns.PublishInput{TopicArn: aws.String(arn + "-missing"), Message: aws.String("m")})
	wantErr[*types.NotFoundException](t, err)

	invalid := map[string]*sns.PublishInput{
		"empty message":      {TopicArn: aws.String(arn), Message: aws.String("")},
		"no target":          {Message: aws.String("m")},
		"both targets":       {TopicArn: aws.String(arn), TargetArn: aws.String(arn), Message: aws.String("m")},
		"phone number":       {PhoneNumber: aws.String("+15555550100"), Message: aws.String("m")},
		"platform endpoint":  {TargetArn: aws.String("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/1"), Message: aws.String("m")},
		"group id":           {TopicArn: aws.String(arn), Message: aws.String("m"), MessageGroupId: aws.String("g")},
		"dedup id":           {TopicArn: aws.String(arn), Message: aws.String("m"), MessageDeduplicationId: aws.String("d")},
		"bad structure":      {TopicArn: aws.String(arn), Message: aws.String("m"), MessageStructure: aws.String("xml")},
		"not a number":       {TopicArn: aws.String(arn), Message: aws.String("m"), MessageAttributes: str("Number", "ten")},
		"reserved attribute": {TopicArn: aws.String(arn), Message: aws.String("m"), MessageAttributes: str("String", "x")},
		"too long":           {TopicArn: aws.String(arn), Message: aws.String(strings.Repeat("x", 256*1024+1))},
	}
	invalid["reserved attribute"].MessageAttributes = map[string]types.MessageAttributeValue{
		"AWS.thing": {DataType: aws.String("String"), StringValue: aws.String("x")},
	}
	for name, in := range invalid {
		t.Run(name, func(t *testing.T) {
			_, err := b.client.Publish(b.ctx, in)
			wantErr[*types.InvalidParameterException](t, err)
		})
	}

	// Attribute values that do not fit their type are ParameterValueInvalid.
	values := map[string]map[string]types.MessageAttributeValue{
		"unknown type":  str("Date", "x"),
		"empty string":  str("String", ""),
		"binary string": {"a": {DataType: aws.String("Binary"), StringValue: aws.String("x")}},
	}
	for name, attrs := range values {
		t.Run(name, func(t *testing.T) {
			_, err := b.client.Publish(b.ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("m"), MessageAttributes: attrs})
			e := wantErr[*types.InvalidParameterValueException](t, err)
			if e.ErrorCode() != "ParameterValueInvalid" {
				t.Errorf("code = %q", e.ErrorCode())
			}
		})
	}
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "batch")
	sub := b.subscribe(t, arn, "sqs", queueArn+"q", map[string]string{"RawMessageDelivery": "true"})
	out, err := b.client.PublishBatch(b.ctx, &sns.PublishBatchInput{
		TopicArn: aws.String(arn),
		PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
			{Id: aws.String("ok1"), Message: aws.String("one"), MessageAttributes: map[string]types.MessageAttributeValue{
				"k": {DataType: aws.String("String"), StringValue: aws.String("v")},
			}},
			{Id: aws.String("badattr"), Message: aws.String("two"), MessageAttributes: map[string]types.MessageAttributeValue{
				"k": {DataType: aws.String("Nope"), StringValue: aws.String("v")},
			}},
			{Id: aws.String("ok2"), Message: aws.String(`{"default":"three"}`), MessageStructure: aws.String("json")},
			{Id: aws.String("nodefault"), Message: aws.String(`{"sqs":"x"}`), MessageStructure: aws.String("json")},
			{Id: aws.String("badnum"), Message: aws.String("five"), MessageAttributes: map[string]types.MessageAttributeValue{
				"k": {DataType: aws.String("Number"), StringValue: aws.String("NaN?")},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ok []string
	for _, s := range out.Successful {
		ok = append(ok, aws.ToString(s.Id))
		if aws.ToString(s.MessageId) == "" {
			t.Errorf("entry %s has no MessageId", aws.ToString(s.Id))
		}
	}
	if !slices.Equal(ok, []string{"ok1", "ok2"}) {
		t.Errorf("Successful = %v, want [ok1 ok2]", ok)
	}
	failed := map[string]string{}
	for _, f := range out.Failed {
		failed[aws.ToString(f.Id)] = aws.ToString(f.Code)
		if !f.SenderFault || aws.ToString(f.Message) == "" {
			t.Errorf("failed entry %+v: want SenderFault and a message", f)
		}
	}
	want := map[string]string{"badattr": "ParameterValueInvalid", "nodefault": "InvalidParameter", "badnum": "InvalidParameter"}
	if fmt.Sprint(failed) != fmt.Sprint(want) {
		t.Errorf("Failed = %v, want %v", failed, want)
	}
	b.settled(t, sub, 2)
	got := bodies(b.q.to("q"))
	slices.Sort(got)
	if !slices.Equal(got, []string{"one", "three"}) {
		t.Errorf("queue got %v, want [one three]", got)
	}
}

func TestPublishBatchErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "batch")
	entries := func(ids ...string) []types.PublishBatchRequestEntry {
		out := []types.PublishBatchRequestEntry{}
		for _, id := range ids {
			out = append(out, types.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String("m")})
		}
		return out
	}
	call := func(topicArn string, e []types.PublishBatchRequestEntry) error {
		_, err := b.client.PublishBatch(b.ctx, &sns.PublishBatchInput{TopicArn: aws.String(topicArn), PublishBatchRequestEntries: e})
		return err
	}
	wantErr[*types.EmptyBatchRequestException](t, call(arn, entries()))
	wantErr[*types.TooManyEntriesInBatchRequestException](t, call(arn, entries("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")))
	wantErr[*types.BatchEntryIdsNotDistinctException](t, call(arn, entries("a", "b", "a")))
	wantErr[*types.InvalidBatchEntryIdException](t, call(arn, entries("not valid!")))
	wantErr[*types.NotFoundException](t, call(arn+"-missing", entries("a")))
	big := strings.Repeat("x", 200*1024)
	wantErr[*types.BatchRequestTooLongException](t, call(arn, []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String(big)}, {Id: aws.String("b"), Message: aws.String(big)},
	}))
}
