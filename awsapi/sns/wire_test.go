package snsapi_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// post sends a raw query request and returns status, headers and body.
func (b *bundle) post(t testing.TB, form url.Values, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return send(t, req)
}

func form(kv ...string) url.Values {
	v := url.Values{"Version": {"2010-03-31"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestWireGolden compares raw responses, with ids normalised, to
// testdata/<case>.xml (go test -update rewrites them).
func TestWireGolden(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := "arn:aws:sns:us-east-1:000000000000:golden"
	steps := []struct {
		name   string
		form   url.Values
		status int
	}{
		{"create_topic", form("Action", "CreateTopic", "Name", "golden",
			"Attributes.entry.1.key", "DisplayName", "Attributes.entry.1.value", "Golden <&>"), 200},
		{"get_topic_attributes", form("Action", "GetTopicAttributes", "TopicArn", arn), 200},
		{"list_topics", form("Action", "ListTopics"), 200},
		{"subscribe", form("Action", "Subscribe", "TopicArn", arn, "Protocol", "sqs",
			"Endpoint", "arn:aws:sqs:us-east-1:000000000000:q",
			"Attributes.entry.1.key", "RawMessageDelivery", "Attributes.entry.1.value", "true"), 200},
		{"publish", form("Action", "Publish", "TopicArn", arn, "Message", "hi",
			"MessageAttributes.entry.1.Name", "k", "MessageAttributes.entry.1.Value.DataType", "String",
			"MessageAttributes.entry.1.Value.StringValue", "v"), 200},
		{"publish_batch", form("Action", "PublishBatch", "TopicArn", arn,
			"PublishBatchRequestEntries.member.1.Id", "a", "PublishBatchRequestEntries.member.1.Message", "one",
			"PublishBatchRequestEntries.member.2.Id", "b", "PublishBatchRequestEntries.member.2.Message", "two",
			"PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Name", "k",
			"PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.DataType", "Bogus",
			"PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.StringValue", "v"), 200},
		{"list_tags", form("Action", "ListTagsForResource", "ResourceArn", arn), 200},
		{"empty_batch", form("Action", "PublishBatch", "TopicArn", arn), 400},
		{"delete_topic", form("Action", "DeleteTopic", "TopicArn", arn), 200},
		{"publish_not_found", form("Action", "Publish", "TopicArn", arn, "Message", "hi"), 404},
		{"invalid_action", form("Action", "SendMessage"), 400},
	}
	for _, s := range steps {
		status, h, body := b.post(t, s.form, nil)
		if status != s.status {
			t.Errorf("%s: status %d, want %d: %s", s.name, status, s.status, body)
		}
		if ct := h.Get("Content-Type"); ct != "text/xml" {
			t.Errorf("%s: Content-Type %q", s.name, ct)
		}
		reqID := h.Get("x-amzn-RequestId")
		if !uuidRE.MatchString(reqID) || !bytes.Contains(body, []byte(reqID)) {
			t.Errorf("%s: x-amzn-RequestId %q missing or not in the body", s.name, reqID)
		}
		got := uuidRE.ReplaceAll(body, []byte("00000000-0000-0000-0000-000000000000"))
		path := filepath.Join("testdata", s.name+".xml")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: body differs from %s\ngot:\n%s\nwant:\n%s", s.name, path, got, want)
		}
	}
}

func TestWireErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "wire")
	many := form("Action", "PublishBatch", "TopicArn", arn)
	for i := 1; i <= 150; i++ {
		many.Set(fmt.Sprintf("PublishBatchRequestEntries.member.%d.Id", i), fmt.Sprint("e", i))
		many.Set(fmt.Sprintf("PublishBatchRequestEntries.member.%d.Message", i), "m")
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"missing action", url.Values{"Version": {"2010-03-31"}}, 400, "MissingAction"},
		{"unknown action", form("Action", "CreatePlatformApplication"), 400, "InvalidAction"},
		{"wrong version", url.Values{"Action": {"ListTopics"}, "Version": {"2012-11-05"}}, 400, "InvalidParameter"},
		{"missing name", form("Action", "CreateTopic"), 400, "InvalidParameter"},
		{"bad index", form("Action", "CreateTopic", "Name", "x", "Attributes.entry.0.key", "DisplayName"), 400, "InvalidParameter"},
		{"duplicate key", url.Values{"Action": {"CreateTopic"}, "Name": {"x"},
			"Attributes.entry.1.key": {"DisplayName"}, "Attributes.entry.2.key": {"DisplayName"}}, 400, "InvalidParameter"},
		{"too many batch entries", many, 400, "TooManyEntriesInBatchRequest"},
		{"bad boolean", form("Action", "Subscribe", "TopicArn", "arn:aws:sns:us-east-1:000000000000:x",
			"Protocol", "sqs", "Endpoint", "arn:aws:sqs:us-east-1:000000000000:q", "ReturnSubscriptionArn", "maybe"), 400, "InvalidParameter"},
		{"bad base64", form("Action", "Publish", "TopicArn", "arn:aws:sns:us-east-1:000000000000:x", "Message", "m",
			"MessageAttributes.entry.1.Name", "b", "MessageAttributes.entry.1.Value.DataType", "Binary",
			"MessageAttributes.entry.1.Value.BinaryValue", "***"), 400, "ParameterValueInvalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := b.post(t, tt.form, nil)
			var e struct {
				Error struct{ Type, Code, Message string }
			}
			if err := xml.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if status != tt.status || e.Error.Code != tt.code || e.Error.Type != "Sender" || e.Error.Message == "" {
				t.Errorf("got %d %+v, want %d %s", status, e.Error, tt.status, tt.code)
			}
		})
	}

	// A POST without Content-Type is read as a form.
	req, _ := http.NewRequest(http.MethodPost, b.url+"/", strings.NewReader("Action=ListTopics&Version=2010-03-31"))
	if status, body := do(t, req); status != 200 || !bytes.Contains(body, []byte(arn)) {
		t.Errorf("POST without Content-Type: %d %s", status, body)
	}

	// Only GET and POST carry query requests.
	req, _ = http.NewRequest(http.MethodPut, b.url+"/?Action=ListTopics", nil)
	if status, _ := do(t, req); status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: status %d, want 405", status)
	}
}

// do sends req and returns status and body.
func do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	status, _, body := send(t, req)
	return status, body
}

// send sends req and returns status, headers and body.
func send(t testing.TB, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// TestUnsubscribeURL follows the UnsubscribeURL form SNS puts in
// notifications: a GET with the query in the URL.
func TestUnsubscribeURL(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "t")
	sub := b.subscribe(t, arn, "sqs", queueArn+"q", nil)
	resp, err := http.Get(b.url + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(sub))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("<UnsubscribeResponse")) {
		t.Fatalf("GET Unsubscribe: %d %s", resp.StatusCode, body)
	}
	if _, err := b.svc.DeliveryStats(sub); err == nil {
		t.Error("subscription still exists after GET Unsubscribe")
	}
}

func TestTraceHeaderCarried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	arn := b.topic(t, "traced")
	sub := b.subscribe(t, arn, "lambda", functionArn+"fn", nil)
	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	status, _, body := b.post(t, form("Action", "Publish", "TopicArn", arn, "Message", "m"),
		http.Header{"X-Amzn-Trace-Id": {trace}})
	if status != 200 {
		t.Fatalf("publish: %d %s", status, body)
	}
	b.settled(t, sub, 1)
	if got := b.fn.all(); len(got) != 1 || got[0].TraceID != trace {
		t.Fatalf("invokes = %+v, want one with trace %q", got, trace)
	}
}

func TestCertificateAndActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, err := http.Get(b.url + b.api.CertificatePath())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, b.svc.SigningCertificate()) || !bytes.HasPrefix(body, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("certificate: %d %q", resp.StatusCode, body)
	}
	for action, want := range map[string]bool{
		"Publish": true, "PublishBatch": true, "CreateTopic": true, "ListSubscriptionsByTopic": true,
		"SendMessage": false, "ReceiveMessage": false, "CreateQueue": false, "": false,
	} {
		if got := b.api.QueryAction(action); got != want {
			t.Errorf("QueryAction(%q) = %v, want %v", action, got, want)
		}
	}
}
