package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// serveFunction invokes the route's function with the API Gateway event and
// maps its result to the HTTP response.
func (g *Gateway) serveFunction(c *call) {
	rest := c.isREST()
	var payload []byte
	var err error
	if c.route.v2 {
		payload, err = g.eventV2(c)
	} else {
		payload, err = g.eventV1(c)
	}
	if err != nil {
		g.log.Error("gateway: encoding event", "route", c.route.Route.String(), "err", err)
		g.fail(c, rest, errIntegration)
		return
	}
	req := &ferry.InvokeRequest{
		RequestID: uuid.NewString(), Function: c.route.Function, Payload: payload, TraceID: c.trace,
	}
	if strings.EqualFold(c.r.Header.Get("X-Amz-Invocation-Type"), ferry.InvokeEvent) {
		g.invokeAsync(c, req)
		return
	}
	res, err := g.opts.Invoker.Invoke(c.r.Context(), req)
	if err != nil {
		g.invokeError(c, err)
		return
	}
	if res.Failed() {
		g.log.Info("gateway: function failed", "function", req.Function, "requestId", res.RequestID,
			"errorType", res.ErrorType, "error", res.ErrorMessage)
		g.fail(c, rest, errIntegration)
		return
	}
	var resp *proxyResponse
	if c.route.v2 {
		resp, err = parseResponseV2(res.Payload)
	} else {
		resp, err = parseResponseV1(res.Payload)
	}
	if err != nil {
		g.log.Warn("gateway: malformed Lambda proxy response", "function", req.Function, "err", err)
		g.fail(c, rest, errIntegration)
		return
	}
	g.writeProxyResponse(c, resp)
}

func (g *Gateway) invokeAsync(c *call, req *ferry.InvokeRequest) {
	if g.opts.Async == nil {
		g.log.Error("gateway: asynchronous invocation requested but the gateway has no async invoker")
		g.fail(c, c.isREST(), errIntegration)
		return
	}
	if err := g.opts.Async.InvokeAsync(c.r.Context(), req); err != nil {
		g.invokeError(c, err)
		return
	}
	g.commonHeaders(c, c.isREST())
	g.corsHeaders(c)
	c.w.WriteHeader(http.StatusAccepted)
}

// invokeError maps an invoker error to the gateway's answer.
func (g *Gateway) invokeError(c *call, err error) {
	rest := c.isREST()
	switch ferry.ErrorCode(err) {
	case ferry.ETHROTTLED:
		g.fail(c, rest, errThrottled)
	case ferry.ETOOLARGE:
		g.fail(c, rest, errTooLarge)
	case ferry.EUNAVAILABLE:
		g.fail(c, rest, errUnavailable)
	case ferry.ERUNTIME:
		// The integration error, saying why: the function's runtime is one
		// Ferry cannot run (a stack warning said so at start).
		g.log.Warn("gateway: invoke", "function", c.route.Function, "err", err)
		e := errIntegration
		e[0].msg, e[1].msg = ferry.ErrorMessage(err), ferry.ErrorMessage(err)
		g.fail(c, rest, e)
	default:
		g.log.Warn("gateway: invoke", "function", c.route.Function, "err", err)
		g.fail(c, rest, errIntegration)
	}
}

// proxyResponse is a function's HTTP response.
type proxyResponse struct {
	status  int
	header  http.Header
	cookies []string
	body    []byte
}

// v1Keys are the fields a REST proxy response may have; any other field
// makes it malformed, as in API Gateway.
var v1Keys = map[string]bool{
	"statusCode": true, "headers": true, "multiValueHeaders": true, "body": true, "isBase64Encoded": true,
}

// parseResponseV1 maps a payload format 1.0 response.
func parseResponseV1(payload []byte) (*proxyResponse, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil || m == nil {
		return nil, fmt.Errorf("response is not a JSON object: %.200s", payload)
	}
	for k := range m {
		if !v1Keys[k] {
			return nil, fmt.Errorf("unexpected field %q", k)
		}
	}
	if _, ok := m["statusCode"]; !ok {
		return nil, fmt.Errorf("missing statusCode")
	}
	return parseStructured(m)
}

// parseResponseV2 maps a payload format 2.0 response: an object with
// statusCode is a structured response; any other JSON is the body of a 200
// application/json response.
func parseResponseV2(payload []byte) (*proxyResponse, error) {
	trimmed := bytes.TrimSpace(payload)
	if !json.Valid(trimmed) {
		return nil, fmt.Errorf("response is not JSON: %.200s", payload)
	}
	var m map[string]json.RawMessage
	if trimmed[0] == '{' && json.Unmarshal(trimmed, &m) == nil {
		if _, ok := m["statusCode"]; ok {
			return parseStructured(m)
		}
	}
	return &proxyResponse{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: trimmed}, nil
}

func parseStructured(m map[string]json.RawMessage) (*proxyResponse, error) {
	resp := &proxyResponse{header: http.Header{}}
	var err error
	if resp.status, err = statusCode(m["statusCode"]); err != nil {
		return nil, err
	}
	if raw, ok := m["headers"]; ok && !isNull(raw) {
		var hs map[string]any
		if err := json.Unmarshal(raw, &hs); err != nil {
			return nil, fmt.Errorf("headers must be an object: %w", err)
		}
		for k, v := range hs {
			s, err := scalarString(v)
			if err != nil {
				return nil, fmt.Errorf("header %q: %w", k, err)
			}
			resp.header.Set(k, s)
		}
	}
	if raw, ok := m["multiValueHeaders"]; ok && !isNull(raw) {
		var hs map[string][]any
		if err := json.Unmarshal(raw, &hs); err != nil {
			return nil, fmt.Errorf("multiValueHeaders must map names to lists: %w", err)
		}
		for k, vs := range hs {
			resp.header.Del(k)
			for _, v := range vs {
				s, err := scalarString(v)
				if err != nil {
					return nil, fmt.Errorf("header %q: %w", k, err)
				}
				resp.header.Add(k, s)
			}
		}
	}
	if raw, ok := m["cookies"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &resp.cookies); err != nil {
			return nil, fmt.Errorf("cookies must be a list of strings: %w", err)
		}
	}
	var body string
	if raw, ok := m["body"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("body must be a string")
		}
	}
	var b64 bool
	if raw, ok := m["isBase64Encoded"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &b64); err != nil {
			return nil, fmt.Errorf("isBase64Encoded must be a boolean")
		}
	}
	if b64 {
		if resp.body, err = base64.StdEncoding.DecodeString(body); err != nil {
			return nil, fmt.Errorf("body is not valid base64: %w", err)
		}
	} else {
		resp.body = []byte(body)
	}
	return resp, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// statusCode reads a status code given as a number or a numeric string.
func statusCode(raw json.RawMessage) (int, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("statusCode: %w", err)
	}
	var n int
	switch v := v.(type) {
	case float64:
		if v != float64(int(v)) {
			return 0, fmt.Errorf("statusCode %v is not an integer", v)
		}
		n = int(v)
	case string:
		i, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("statusCode %q is not a number", v)
		}
		n = i
	default:
		return 0, fmt.Errorf("statusCode must be a number")
	}
	if n < 100 || n > 599 {
		return 0, fmt.Errorf("statusCode %d is out of range", n)
	}
	return n, nil
}

// scalarString formats a header value given as a string, number or boolean.
func scalarString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("value must be a string, number or boolean")
}

// writeProxyResponse writes a function's response.
func (g *Gateway) writeProxyResponse(c *call, resp *proxyResponse) {
	rest := c.isREST()
	h := c.w.Header()
	for k, vs := range resp.header {
		h[k] = vs
	}
	for _, ck := range resp.cookies {
		h.Add("Set-Cookie", ck)
	}
	if rest && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	g.commonHeaders(c, rest)
	g.corsHeaders(c)
	c.w.WriteHeader(resp.status)
	c.w.Write(resp.body)
}
