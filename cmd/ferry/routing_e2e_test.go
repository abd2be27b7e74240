package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAPIRoutingByProtocol: the one API port tells the SQS and SNS query
// protocols, the JSON protocols and Lambda's REST paths apart.
func TestAPIRoutingByProtocol(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	createQueue(t, m, "routed")
	form := func(path string, v url.Values) (int, string) {
		t.Helper()
		resp, err := http.PostForm(m.APIURL()+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, path string
		form       url.Values
		wantCode   int
		want       string
	}{
		{"sqs query ListQueues", "/", url.Values{"Action": {"ListQueues"}, "Version": {"2012-11-05"}}, 200, "<ListQueuesResponse"},
		{"sqs query SendMessage on a queue URL", "/000000000000/routed", url.Values{"Action": {"SendMessage"}, "MessageBody": {"hi"}}, 200, "<SendMessageResponse"},
		{"sns query CreateTopic", "/", url.Values{"Action": {"CreateTopic"}, "Name": {"routed"}, "Version": {"2010-03-31"}}, 200, "<CreateTopicResponse"},
		{"sns query ListTopics", "/", url.Values{"Action": {"ListTopics"}}, 200, "arn:aws:sns:us-east-1:000000000000:routed"},
		{"unknown action", "/", url.Values{"Action": {"Frobnicate"}}, 400, "<Code>InvalidAction</Code>"},
	} {
		code, body := form(tc.path, tc.form)
		if code != tc.wantCode || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	for _, tc := range []struct{ target, ctype, want string }{
		{"AmazonSQS.ListQueues", "application/x-amz-json-1.0", `"QueueUrls"`},
		{"AWSEvents.ListEventBuses", "application/x-amz-json-1.1", `"EventBuses"`},
	} {
		req, _ := http.NewRequest("POST", m.APIURL()+"/", strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", tc.target)
		req.Header.Set("Content-Type", tc.ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s", tc.target, resp.StatusCode, b)
		}
	}
	resp, err := http.Get(m.APIURL() + "/2015-03-31/functions/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"Functions"`) {
		t.Errorf("lambda ListFunctions: %d %s", resp.StatusCode, b)
	}
}
