package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry/gateway"
	"github.com/ferry-run/ferry/web"
)

// rawPost sends a POST whose chunked body breaks after its first chunk and
// returns the answer.
func rawPost(t *testing.T, addr, path, headers string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := "POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\n" + headers +
		"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nzz\r\nnot a chunk\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype") + " " + string(b)
}

// TestMalformedChunkedBodyIsAClientError: a body with a broken chunked
// encoding is the client's mistake in every protocol: 400 with the
// protocol's error, never a 500 or an empty 200.
func TestMalformedChunkedBodyIsAClientError(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	createFunction(t, lambdaClient(m), nodeFn("probe"))
	if err := m.setRoutes([]gateway.Route{
		{Kind: gateway.KindREST, Method: "POST", Path: "/rest", Function: "probe"},
		{Kind: gateway.KindHTTPAPI, Method: "POST", Path: "/http", Function: "probe"},
	}); err != nil {
		t.Fatal(err)
	}
	api := strings.TrimPrefix(m.APIURL(), "http://")
	gw := strings.TrimPrefix(m.Gateway.URL(), "http://")
	tok := web.TokenHeader + ": " + dashToken(t, m) + "\r\n"
	for _, c := range []struct {
		name, addr, path, headers, want string
	}{
		{"lambda Invoke", api, "/2015-03-31/functions/probe/invocations", "X-Amz-Invocation-Type: Event\r\n", "InvalidRequestContentException"},
		{"lambda CreateFunction", api, "/2015-03-31/functions", "Content-Type: application/json\r\n", "InvalidRequestContentException"},
		{"sqs json", api, "/", "X-Amz-Target: AmazonSQS.SendMessage\r\nContent-Type: application/x-amz-json-1.0\r\n", "InvalidParameterValue"},
		{"sqs query", api, "/000000000000/q", "Content-Type: application/x-www-form-urlencoded\r\n", "MalformedQueryString"},
		{"sns query", api, "/", "Content-Type: application/x-www-form-urlencoded\r\n", "MalformedQueryString"},
		{"eventbridge", api, "/", "X-Amz-Target: AWSEvents.PutEvents\r\nContent-Type: application/x-amz-json-1.1\r\n", "SerializationException"},
		{"dashboard", api, "/_ferry/api/invoke", tok + "Content-Type: application/json\r\n", `"invalid"`},
		{"control", api, "/_ferry/control/redrive", tok + "Content-Type: application/json\r\n", `"invalid_json"`},
		{"gateway REST", gw, "/rest", "Content-Type: application/json\r\n", "Bad Request"},
		{"gateway HTTP API", gw, "/http", "Content-Type: application/json\r\n", "Bad Request"},
	} {
		code, body := rawPost(t, c.addr, c.path, c.headers)
		if code != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s; want 400 with %s", c.name, code, body, c.want)
		}
	}
}

// TestBadIDsAreClientErrors: ids and names that cannot exist are answered
// with the protocol's validation error or a 404, naming the field, and
// never reach the engine.
func TestBadIDsAreClientErrors(t *testing.T) {
	t.Parallel()
	m := setup(t, 1)
	long := strings.Repeat("a", 4000)
	tok := dashToken(t, m)
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", m.APIURL()+path, nil)
		req.Header.Set(web.TokenHeader, tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype") + " " + string(b)
	}
	post := func(target, ctype, body string) (int, string) {
		req, _ := http.NewRequest("POST", m.APIURL()+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		name       string
		code       int
		body, want string
	}{
		{"dashboard invocation", 404, "", "not found"},
		{"dashboard trace", 404, "", "not found"},
		{"dashboard peek", 400, "", "queue name"},
		{"control events", 400, "", "function name"},
		{"DescribeReplay", 400, "", "'ReplayName' failed to satisfy constraint"},
		{"DescribeRule", 400, "", "'Name' failed to satisfy constraint"},
		{"DescribeEventBus", 400, "", "'Name' failed to satisfy constraint"},
		{"PutTargets", 400, "", "'Targets.Id' failed to satisfy constraint"},
		{"SQS GetQueueUrl", 400, "", "QueueDoesNotExist"},
		{"SNS GetTopicAttributes", 400, "", "<Code>InvalidParameter</Code>"},
		{"Lambda GetFunction", 400, "", "InvalidParameterValueException"},
		{"Lambda destination", 400, "", "InvalidParameterValueException"},
	} {
		var code int
		var body string
		switch c.name {
		case "dashboard invocation":
			code, body = get("/_ferry/api/invocations/" + long)
		case "dashboard trace":
			code, body = get("/_ferry/api/trace/a.b*>")
		case "dashboard peek":
			code, body = get("/_ferry/api/queues/" + url.PathEscape("a b") + "/peek")
		case "control events":
			code, body = get("/_ferry/control/functions/" + long + "/events")
		case "DescribeReplay":
			code, body = post("AWSEvents.DescribeReplay", "application/x-amz-json-1.1", `{"ReplayName":"`+long+`"}`)
		case "DescribeRule":
			code, body = post("AWSEvents.DescribeRule", "application/x-amz-json-1.1", `{"Name":"a b"}`)
		case "DescribeEventBus":
			code, body = post("AWSEvents.DescribeEventBus", "application/x-amz-json-1.1", `{"Name":"`+long+`"}`)
		case "PutTargets":
			code, body = post("AWSEvents.PutTargets", "application/x-amz-json-1.1", `{"Rule":"r","Targets":[{"Id":"a*b","Arn":"arn:aws:sqs:us-east-1:000000000000:q"}]}`)
		case "SQS GetQueueUrl":
			code, body = post("AmazonSQS.GetQueueUrl", "application/x-amz-json-1.0", `{"QueueName":"`+long+`"}`)
		case "SNS GetTopicAttributes":
			resp, err := http.PostForm(m.APIURL()+"/", url.Values{"Action": {"GetTopicAttributes"}, "TopicArn": {"arn:aws:sns:us-east-1:000000000000:" + long}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, string(b)
		case "Lambda GetFunction":
			code, body = get("/2015-03-31/functions/" + long)
		case "Lambda destination":
			createFunction(t, lambdaClient(m), nodeFn("dest"))
			req, _ := http.NewRequest("PUT", m.APIURL()+"/2019-09-25/functions/dest/event-invoke-config",
				strings.NewReader(`{"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:`+long+`"}}}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body = resp.StatusCode, resp.Header.Get("X-Amzn-Errortype")+" "+string(b)
		}
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %.300s; want %d with %q", c.name, code, body, c.code, c.want)
		}
		if len(body) > 1200 {
			t.Errorf("%s: the answer is %d bytes; a long id must be shortened in it", c.name, len(body))
		}
	}
	// A malformed trace header starts a new trace instead of following the
	// event.
	req, _ := http.NewRequest("POST", m.APIURL()+"/2015-03-31/functions/dest/invocations", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-"+long)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("invoke with a 4,000-byte trace header: %d", resp.StatusCode)
	}
	inv := waitDone(t, m, resp.Header.Get("X-Amzn-RequestId"))
	if len(inv.TraceID) > 256 || !strings.HasPrefix(inv.TraceID, "Root=1-") {
		t.Errorf("trace id %.80q: want a new trace", inv.TraceID)
	}
	if m.Engine.Conn().IsClosed() {
		t.Fatal("the engine connection was closed")
	}
}
