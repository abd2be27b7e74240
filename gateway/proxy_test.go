package gateway

import (
	"crypto/md5"
	"encoding/hex"
	"testing"
)

func TestServiceProxies(t *testing.T) {
	t.Parallel()
	w := setup(t)
	ctx := t.Context()
	for _, q := range []string{"sink", "orders"} {
		if _, err := w.queues.CreateQueue(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.topics.CreateTopic(ctx, "payments", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.topics.Subscribe(ctx, "payments", "sqs", w.gw.opts.Realm.QueueARN("sink"),
		map[string]string{"RawMessageDelivery": "true"}); err != nil {
		t.Fatal(err)
	}
	w.routes(t,
		Route{Kind: KindREST, Method: "POST", Path: "/payments", CORS: DefaultCORS(),
			Proxy: &ServiceProxy{Kind: ProxySNS, Target: "payments"}},
		Route{Kind: KindREST, Method: "POST", Path: "/custom", Proxy: &ServiceProxy{
			Kind: ProxySNS, Target: w.gw.opts.Realm.TopicARN("payments"),
			RequestTemplates: map[string]string{"application/json": "Action=Publish&Message=$util.urlEncode($input.json('$.order'))" +
				"&MessageAttributes.entry.1.Name=kind&MessageAttributes.entry.1.Value.DataType=String" +
				"&MessageAttributes.entry.1.Value.StringValue=$util.urlEncode($input.path('$.kind'))"},
			ResponseTemplate: `{"id":"$input.path('$.PublishResponse.PublishResult.MessageId')","req":"$context.requestId"}`,
			StatusCode:       202,
		}},
		Route{Kind: KindREST, Method: "POST", Path: "/missing", Proxy: &ServiceProxy{Kind: ProxySNS, Target: "nosuchtopic"}},
		Route{Kind: KindREST, Method: "POST", Path: "/missing-templated", Proxy: &ServiceProxy{Kind: ProxySNS, Target: "nosuchtopic",
			ResponseTemplate: `{"status":"accepted"}`, ClientErrorTemplate: `{"status":"bad request","code":"$input.path('$.Error.Code')"}`,
			ServerErrorTemplate: `{"status":"error"}`}},
		Route{Kind: KindREST, Method: "POST", Path: "/orders", Proxy: &ServiceProxy{Kind: ProxySQS, Target: "orders"}},
	)

	t.Run("sns default template", func(t *testing.T) {
		const trace = "Root=1-65000000-aaaaaaaaaaaaaaaaaaaaaaaa"
		r := do(t, "POST", w.url+"/payments", `{"amount":5, "note":"a&b=c"}`,
			"Content-Type", "application/json", "X-Amzn-Trace-Id", trace, "Origin", "http://app.test")
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		id, _ := get(decodeJSON(t, r.body), "PublishResponse", "PublishResult", "MessageId").(string)
		if id == "" {
			t.Fatalf("no MessageId in %s", r.body)
		}
		if got := r.header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
		}
		msg := w.receiveOne(t, "sink")
		if msg.Body != `{"amount":5, "note":"a&b=c"}` {
			t.Errorf("message %q, want the request body", msg.Body)
		}
		if msg.TraceID != trace {
			t.Errorf("trace %q, want %q", msg.TraceID, trace)
		}
		if err := w.queues.DeleteMessage(ctx, "sink", msg.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("sns custom templates", func(t *testing.T) {
		r := do(t, "POST", w.url+"/custom", `{"order":{"id":9},"kind":"card"}`, "Content-Type", "application/json; charset=utf-8")
		if r.status != 202 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		out := decodeJSON(t, r.body)
		if out["id"] == "" || out["req"] != r.header.Get("x-amzn-RequestId") {
			t.Errorf("response %s, want the message id and request id", r.body)
		}
		msg := w.receiveOne(t, "sink")
		if msg.Body != `{"id":9}` {
			t.Errorf("message %q, want {\"id\":9}", msg.Body)
		}
		if err := w.queues.DeleteMessage(ctx, "sink", msg.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("sns unknown topic", func(t *testing.T) {
		r := do(t, "POST", w.url+"/missing", `x`)
		if r.status != 400 || get(decodeJSON(t, r.body), "Error", "Code") != "NotFound" {
			t.Errorf("%d %s, want 400 NotFound", r.status, r.body)
		}
		r = do(t, "POST", w.url+"/missing-templated", `x`)
		if r.status != 400 || r.body != `{"status":"bad request","code":"NotFound"}` {
			t.Errorf("clientError template: %d %s", r.status, r.body)
		}
	})

	t.Run("sqs default template", func(t *testing.T) {
		const body = "plain text + more"
		r := do(t, "POST", w.url+"/orders", body, "Content-Type", "text/plain")
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		res := get(decodeJSON(t, r.body), "SendMessageResponse", "SendMessageResult")
		msg := w.receiveOne(t, "orders")
		if msg.Body != body {
			t.Errorf("message %q, want %q", msg.Body, body)
		}
		if got := get(res, "MessageId"); got != msg.MessageID {
			t.Errorf("MessageId %v, want %s", got, msg.MessageID)
		}
		sum := md5.Sum([]byte(body))
		if got := get(res, "MD5OfMessageBody"); got != hex.EncodeToString(sum[:]) {
			t.Errorf("MD5OfMessageBody %v", got)
		}
		if !traceRE.MatchString(msg.TraceID) {
			t.Errorf("generated trace %q did not reach the queue", msg.TraceID)
		}
	})
}

func TestServedCountsRequestsPerRoute(t *testing.T) {
	t.Parallel()
	w := setup(t)
	if _, err := w.queues.CreateQueue(t.Context(), "counted", nil); err != nil {
		t.Fatal(err)
	}
	route := Route{Kind: KindHTTPAPI, Method: "POST", Path: "/count", Proxy: &ServiceProxy{Kind: ProxySQS, Target: "counted"}}
	w.routes(t, route)
	for range 3 {
		if r := do(t, "POST", w.url+"/count", "x"); r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	do(t, "POST", w.url+"/elsewhere", "x")
	if got := w.gw.Served(route); got != 3 {
		t.Fatalf("Served = %d, want 3", got)
	}
}
