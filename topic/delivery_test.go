package topic

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func verifySignature(t *testing.T, s *Service, env map[string]any) {
	t.Helper()
	blk, _ := pem.Decode(s.SigningCertificate())
	if blk == nil {
		t.Fatal("no signing certificate")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	str := func(k string) string { v, _ := env[k].(string); return v }
	toSign := "Message\n" + str("Message") + "\nMessageId\n" + str("MessageId") + "\n"
	if str("Subject") != "" {
		toSign += "Subject\n" + str("Subject") + "\n"
	}
	toSign += "Timestamp\n" + str("Timestamp") + "\nTopicArn\n" + str("TopicArn") + "\nType\n" + str("Type") + "\n"
	sig, err := base64.StdEncoding.DecodeString(str("Signature"))
	if err != nil {
		t.Fatal(err)
	}
	h := sha1.Sum([]byte(toSign))
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA1, h[:], sig); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
}

func TestFunctionDeliveryEvent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	topicArn := b.topic(t, "payments", nil)
	fnArn := ferry.DefaultRealm.FunctionARN("processPayment")
	sub := b.subscribe(t, topicArn, ProtocolLambda, fnArn, nil)

	id := b.publish(t, "payments", ferry.Notification{
		Subject: "paid", Message: `{"amount":10,"note":"a<b"}`, TraceID: "Root=1-abc", Hops: 2,
		Attributes: map[string]ferry.MessageAttribute{
			"kind": {DataType: "String", StringValue: "card"},
			"n":    {DataType: "Number", StringValue: "42"},
			"blob": {DataType: "Binary", BinaryValue: []byte{1, 2, 3}},
		},
	})
	waitFor(t, "function invoke", func() bool { return len(b.fn.all()) == 1 })
	req := b.fn.all()[0]

	if got, want := req.Function, "processPayment"; got != want {
		t.Errorf("function = %q, want %q", got, want)
	}
	if got, want := req.RequestID, uuid.NewSHA1(idNamespace, []byte(id+":"+sub[len(topicArn)+1:])).String(); got != want {
		t.Errorf("request id = %q, want %q", got, want)
	}
	if req.TraceID != "Root=1-abc" || req.Hops != 3 {
		t.Errorf("trace, hops = %q, %d; want Root=1-abc, 3", req.TraceID, req.Hops)
	}
	var ev struct {
		Records []map[string]any
	}
	if err := json.Unmarshal(req.Payload, &ev); err != nil {
		t.Fatalf("payload %s: %v", req.Payload, err)
	}
	if len(ev.Records) != 1 {
		t.Fatalf("records = %d, want 1", len(ev.Records))
	}
	rec := ev.Records[0]
	if got, want := keys(rec), []string{"EventSource", "EventSubscriptionArn", "EventVersion", "Sns"}; !reflect.DeepEqual(got, want) {
		t.Errorf("record keys = %v, want %v", got, want)
	}
	if rec["EventSource"] != "aws:sns" || rec["EventVersion"] != "1.0" || rec["EventSubscriptionArn"] != sub {
		t.Errorf("record header = %v", rec)
	}
	sns := rec["Sns"].(map[string]any)
	wantKeys := []string{"Message", "MessageAttributes", "MessageId", "Signature", "SignatureVersion", "SigningCertUrl",
		"Subject", "Timestamp", "TopicArn", "Type", "UnsubscribeUrl"}
	if got := keys(sns); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("Sns keys = %v, want %v", got, wantKeys)
	}
	for k, want := range map[string]any{
		"Type": "Notification", "MessageId": id, "TopicArn": topicArn, "Subject": "paid",
		"Message": `{"amount":10,"note":"a<b"}`, "SignatureVersion": "1",
		"SigningCertUrl": "http://127.0.0.1:4566" + CertificatePath,
		"UnsubscribeUrl": "http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(sub),
	} {
		if sns[k] != want {
			t.Errorf("Sns.%s = %v, want %v", k, sns[k], want)
		}
	}
	if ts, err := time.Parse("2006-01-02T15:04:05.000Z", sns["Timestamp"].(string)); err != nil || time.Since(ts) > time.Minute {
		t.Errorf("Timestamp = %v (%v)", sns["Timestamp"], err)
	}
	wantAttrs := map[string]any{
		"kind": map[string]any{"Type": "String", "Value": "card"},
		"n":    map[string]any{"Type": "Number", "Value": "42"},
		"blob": map[string]any{"Type": "Binary", "Value": "AQID"},
	}
	if got := sns["MessageAttributes"]; !reflect.DeepEqual(got, wantAttrs) {
		t.Errorf("MessageAttributes = %v, want %v", got, wantAttrs)
	}
	verifySignature(t, b.svc, sns)
}

func TestFunctionEventSubjectNullAndNoAttributes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "t", nil)
	b.subscribe(t, "t", ProtocolLambda, ferry.DefaultRealm.FunctionARN("f")+":live", nil)
	b.publish(t, "t", ferry.Notification{Message: "hi"})
	waitFor(t, "function invoke", func() bool { return len(b.fn.all()) == 1 })
	req := b.fn.all()[0]
	if req.Qualifier != "live" {
		t.Errorf("qualifier = %q, want live", req.Qualifier)
	}
	var ev struct {
		Records []struct{ Sns map[string]json.RawMessage }
	}
	if err := json.Unmarshal(req.Payload, &ev); err != nil {
		t.Fatal(err)
	}
	sns := ev.Records[0].Sns
	if got := string(sns["Subject"]); got != "null" {
		t.Errorf("Subject = %s, want null", got)
	}
	if got := string(sns["MessageAttributes"]); got != "{}" {
		t.Errorf("MessageAttributes = %s, want {}", got)
	}
}

func TestQueueDeliveryEnvelope(t *testing.T) {
	t.Parallel()
	b := setup(t)
	topicArn := b.topic(t, "orders", nil)
	sub := b.subscribe(t, "orders", ProtocolSQS, ferry.DefaultRealm.QueueARN("q1"), nil)
	id := b.publish(t, topicArn, ferry.Notification{
		Message: "hello & <world>", TraceID: "tr", Hops: 1,
		Attributes: map[string]ferry.MessageAttribute{"tags": {DataType: "String.Array", StringValue: `["a","b"]`}},
	})
	waitFor(t, "queue send", func() bool { return len(b.q.to("q1")) == 1 })
	msg := b.q.to("q1")[0]
	if got, want := msg.DedupID, id+":"+sub[len(topicArn)+1:]; got != want {
		t.Errorf("dedup id = %q, want %q", got, want)
	}
	if msg.TraceID != "tr" || msg.Hops != 1 {
		t.Errorf("trace, hops = %q, %d; want tr, 1", msg.TraceID, msg.Hops)
	}
	if len(msg.Attributes) != 0 {
		t.Errorf("queue attributes = %v, want none for an enveloped delivery", msg.Attributes)
	}
	var env map[string]any
	if err := json.Unmarshal([]byte(msg.Body), &env); err != nil {
		t.Fatalf("body %q: %v", msg.Body, err)
	}
	// No Subject was published: SNS leaves it out of the envelope.
	wantKeys := []string{"Message", "MessageAttributes", "MessageId", "Signature", "SignatureVersion", "SigningCertURL",
		"Timestamp", "TopicArn", "Type", "UnsubscribeURL"}
	if got := keys(env); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("envelope keys = %v, want %v", got, wantKeys)
	}
	if env["Type"] != "Notification" || env["MessageId"] != id || env["TopicArn"] != topicArn || env["Message"] != "hello & <world>" {
		t.Errorf("envelope = %v", env)
	}
	want := map[string]any{"tags": map[string]any{"Type": "String.Array", "Value": `["a","b"]`}}
	if !reflect.DeepEqual(env["MessageAttributes"], want) {
		t.Errorf("MessageAttributes = %v, want %v", env["MessageAttributes"], want)
	}
	if strings.Contains(msg.Body, `\u003c`) || strings.Contains(msg.Body, `\u0026`) {
		t.Errorf("body escapes HTML: %s", msg.Body)
	}
	verifySignature(t, b.svc, env)
}

func TestQueueRawDelivery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "raw", nil)
	b.subscribe(t, "raw", ProtocolSQS, ferry.DefaultRealm.QueueARN("rq"), map[string]string{AttrRawMessageDelivery: "true"})
	b.publish(t, "raw", ferry.Notification{
		Subject: "ignored", Message: `{"x":1}`,
		Attributes: map[string]ferry.MessageAttribute{
			"s":   {DataType: "String", StringValue: "v"},
			"arr": {DataType: "String.Array", StringValue: `[1,2]`},
			"bin": {DataType: "Binary", BinaryValue: []byte("zz")},
		},
	})
	waitFor(t, "queue send", func() bool { return len(b.q.to("rq")) == 1 })
	msg := b.q.to("rq")[0]
	if msg.Body != `{"x":1}` {
		t.Errorf("body = %q, want the raw message", msg.Body)
	}
	want := map[string]ferry.MessageAttribute{
		"s":   {DataType: "String", StringValue: "v"},
		"arr": {DataType: "String", StringValue: `[1,2]`},
		"bin": {DataType: "Binary", BinaryValue: []byte("zz")},
	}
	if !reflect.DeepEqual(msg.Attributes, want) {
		t.Errorf("attributes = %v, want %v", msg.Attributes, want)
	}
}

type httpHit struct {
	header http.Header
	body   string
}

// httpRecorder is an endpoint answering with the statuses in order (then 200).
type httpRecorder struct {
	mu       sync.Mutex
	hits     []httpHit
	statuses []int
}

func (h *httpRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.hits = append(h.hits, httpHit{r.Header.Clone(), string(body)})
	status := http.StatusOK
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	h.mu.Unlock()
	w.WriteHeader(status)
}

func (h *httpRecorder) all() []httpHit {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]httpHit(nil), h.hits...)
}

func newEndpoint(t *testing.T, statuses ...int) (*httpRecorder, string) {
	rec := &httpRecorder{statuses: statuses}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL + "/sns"
}

func TestHTTPDelivery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	topicArn := b.topic(t, "web", nil)
	rec, url := newEndpoint(t)
	sub := b.subscribe(t, "web", ProtocolHTTP, url, nil)
	id := b.publish(t, "web", ferry.Notification{Subject: "s", Message: "m"})
	waitFor(t, "HTTP POST", func() bool { return len(rec.all()) == 1 })
	hit := rec.all()[0]
	for k, want := range map[string]string{
		"Content-Type":               "text/plain; charset=UTF-8",
		"X-Amz-Sns-Message-Type":     "Notification",
		"X-Amz-Sns-Message-Id":       id,
		"X-Amz-Sns-Topic-Arn":        topicArn,
		"X-Amz-Sns-Subscription-Arn": sub,
	} {
		if got := hit.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	var env map[string]any
	if err := json.Unmarshal([]byte(hit.body), &env); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"Message", "MessageId", "Signature", "SignatureVersion", "SigningCertURL", "Subject",
		"Timestamp", "TopicArn", "Type", "UnsubscribeURL"}
	if got := keys(env); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("envelope keys = %v, want %v", got, wantKeys)
	}
	if env["Subject"] != "s" || env["Message"] != "m" || env["MessageId"] != id {
		t.Errorf("envelope = %v", env)
	}
	verifySignature(t, b.svc, env)
	waitFor(t, "delivered count", func() bool { return stats(t, b.svc, sub).Delivered == 1 })
}

func TestHTTPRawDeliveryAndContentType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "web", nil)
	rec, url := newEndpoint(t)
	b.subscribe(t, "web", ProtocolHTTP, url, map[string]string{
		AttrRawMessageDelivery: "true",
		AttrDeliveryPolicy:     `{"requestPolicy":{"headerContentType":"application/json"}}`,
	})
	b.publish(t, "web", ferry.Notification{Message: `{"a":1}`})
	waitFor(t, "HTTP POST", func() bool { return len(rec.all()) == 1 })
	hit := rec.all()[0]
	if hit.body != `{"a":1}` {
		t.Errorf("body = %q, want raw message", hit.body)
	}
	if got := hit.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := hit.header.Get("X-Amz-Sns-Rawdelivery"); got != "true" {
		t.Errorf("x-amz-sns-rawdelivery = %q, want true", got)
	}
}

func TestHTTPRetryThenSuccess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "web", nil)
	rec, url := newEndpoint(t, 500, 503)
	sub := b.subscribe(t, "web", ProtocolHTTP, url, map[string]string{
		AttrDeliveryPolicy: `{"healthyRetryPolicy":{"numRetries":3,"minDelayTarget":5,"maxDelayTarget":5}}`,
	})
	start := time.Now()
	b.publish(t, "web", ferry.Notification{Message: "m"})
	waitFor(t, "delivery", func() bool { return stats(t, b.svc, sub).Delivered == 1 })
	if got := len(rec.all()); got != 3 {
		t.Errorf("POSTs = %d, want 3 (two failures, one success)", got)
	}
	st := stats(t, b.svc, sub)
	if st.Retried != 2 || st.Failed != 0 {
		t.Errorf("stats = %+v, want 2 retries, 0 failed", st)
	}
	// Two retries of 5 policy seconds at 1 ms each.
	if el := time.Since(start); el < 10*time.Millisecond {
		t.Errorf("delivered after %s, want the retry delays (>= 10ms) applied", el)
	}
	ids := map[string]bool{}
	for _, h := range rec.all() {
		ids[h.header.Get("X-Amz-Sns-Message-Id")] = true
	}
	if len(ids) != 1 {
		t.Errorf("retries carried %d message ids, want 1", len(ids))
	}
}

func TestHTTPRetryExhaustedAndClientError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.topic(t, "web", nil)
	recFail, urlFail := newEndpoint(t, 500, 500, 500, 500, 500)
	subFail := b.subscribe(t, "web", ProtocolHTTP, urlFail, map[string]string{
		AttrDeliveryPolicy: `{"healthyRetryPolicy":{"numRetries":2,"minDelayTarget":1,"maxDelayTarget":2,"backoffFunction":"exponential"}}`,
	})
	rec4xx, url4xx := newEndpoint(t, 404)
	sub4xx := b.subscribe(t, "web", ProtocolHTTPS, "https"+url4xx[len("http"):], nil)
	_ = rec4xx
	// The https subscription cannot reach a plain-HTTP server: a transport error, retried.
	b.publish(t, "web", ferry.Notification{Message: "m"})
	waitFor(t, "give up", func() bool { return stats(t, b.svc, subFail).Failed == 1 })
	if got := len(recFail.all()); got != 3 {
		t.Errorf("POSTs = %d, want 3 (1 + numRetries 2)", got)
	}
	if st := stats(t, b.svc, sub4xx); st.Delivered != 0 {
		t.Errorf("https stats = %+v, want nothing delivered", st)
	}

	b.topic(t, "web2", nil)
	rec, url := newEndpoint(t, 404)
	sub := b.subscribe(t, "web2", ProtocolHTTP, url, nil)
	b.publish(t, "web2", ferry.Notification{Message: "m"})
	waitFor(t, "client error", func() bool { return stats(t, b.svc, sub).Failed == 1 })
	if got := len(rec.all()); got != 1 {
		t.Errorf("POSTs after a 404 = %d, want 1 (client errors are not retried)", got)
	}
}

func TestQueueRetryOnTransientError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fails := 4
	b.q.fail = func(string, ferry.OutgoingMessage) error {
		if fails > 0 {
			fails--
			return ferry.Errorf(ferry.EUNAVAILABLE, "queue stopping")
		}
		return nil
	}
	b.topic(t, "t", nil)
	sub := b.subscribe(t, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("q"), nil)
	b.publish(t, "t", ferry.Notification{Message: "m"})
	waitFor(t, "delivery", func() bool { return stats(t, b.svc, sub).Delivered == 1 })
	if got := stats(t, b.svc, sub).Retried; got != 4 {
		t.Errorf("retries = %d, want 4", got)
	}
	if got := len(b.q.to("q")); got != 1 {
		t.Errorf("sends = %d, want 1", got)
	}

	// An unknown queue is a client error: dropped, not retried.
	b.q.mu.Lock()
	b.q.fail = func(q string, _ ferry.OutgoingMessage) error {
		if q == "gone" {
			return ferry.Errorf(ferry.ENOTFOUND, "queue %q does not exist", q)
		}
		return nil
	}
	b.q.mu.Unlock()
	gone := b.subscribe(t, "t", ProtocolSQS, ferry.DefaultRealm.QueueARN("gone"), nil)
	b.publish(t, "t", ferry.Notification{Message: "m2"})
	waitFor(t, "failure", func() bool { return stats(t, b.svc, gone).Failed == 1 })
	if got := stats(t, b.svc, gone).Retried; got != 0 {
		t.Errorf("retries to an unknown queue = %d, want 0", got)
	}
}
