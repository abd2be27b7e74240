package gateway

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-run/ferry"
)

// serviceError is an SNS/SQS error as API Gateway passes it through.
type serviceError struct {
	status int
	code   string
	msg    string
}

func (e *serviceError) Error() string { return e.code + ": " + e.msg }

func badParam(format string, args ...any) *serviceError {
	return &serviceError{http.StatusBadRequest, "InvalidParameter", fmt.Sprintf(format, args...)}
}

// serveProxy renders the request template into an SNS Publish or SQS
// SendMessage call, makes it, and answers with the service's JSON response
// (or the response template rendered from it).
func (g *Gateway) serveProxy(c *call) {
	rt := c.route
	tpl := rt.reqTpl
	if t, ok := rt.reqTpls[mediaType(c.r.Header.Get("Content-Type"))]; ok {
		tpl = t
	}
	data := &tplData{body: c.body, context: g.templateContext(c), params: c.param}
	rendered, err := tpl.render(data)
	if err != nil {
		g.writeServiceError(c, &serviceError{http.StatusBadRequest, "BadRequestException", err.Error()})
		return
	}
	form, err := url.ParseQuery(strings.TrimSpace(rendered))
	if err != nil {
		g.writeServiceError(c, badParam("the request template did not render a form-encoded request: %v", err))
		return
	}
	var answer any
	var serr *serviceError
	if rt.Proxy.Kind == ProxySNS {
		answer, serr = g.publish(c, form)
	} else {
		answer, serr = g.send(c, form)
	}
	if serr != nil {
		g.writeServiceError(c, serr)
		return
	}
	out, _ := json.Marshal(answer)
	if len(rt.responses) > 0 {
		g.writeIntegrationResponse(c, http.StatusOK, out)
		return
	}
	if rt.respTpl != nil {
		s, err := rt.respTpl.render(&tplData{body: out, context: data.context, params: c.param})
		if err != nil {
			g.log.Warn("gateway: response template", "route", rt.Route.String(), "err", err)
			g.fail(c, true, errIntegration)
			return
		}
		out = []byte(s)
	}
	status := rt.Proxy.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	g.commonHeaders(c, c.isREST())
	g.corsHeaders(c)
	c.w.WriteHeader(status)
	c.w.Write(out)
}

// param is $input.params(name): a path, query string or header parameter.
func (c *call) param(name string) string {
	if v, ok := c.params[name]; ok {
		return v
	}
	if q := c.r.URL.Query(); q.Has(name) {
		return q.Get(name)
	}
	return c.r.Header.Get(name)
}

// templateContext is $context for the call.
func (g *Gateway) templateContext(c *call) map[string]string {
	return map[string]string{
		"requestId": c.requestID, "extendedRequestId": c.requestID, "stage": c.route.stage,
		"httpMethod": c.r.Method, "resourcePath": c.resourcePath(), "path": c.r.URL.Path,
		"protocol": c.r.Proto, "accountId": g.opts.Realm.Account, "apiId": apiID, "domainName": c.r.Host,
		"requestTime": c.now.UTC().Format(requestTimeLayout), "requestTimeEpoch": strconv.FormatInt(c.now.UnixMilli(), 10),
		"identity.sourceIp": sourceIP(c.r), "identity.userAgent": c.r.UserAgent(),
	}
}

// snsKnown are the Publish parameters Ferry understands.
var snsKnown = map[string]bool{"Action": true, "Version": true, "TopicArn": true, "Message": true, "Subject": true}

// publish makes an SNS Publish call from form parameters.
func (g *Gateway) publish(c *call, form url.Values) (any, *serviceError) {
	if a := form.Get("Action"); a != "Publish" {
		return nil, badParam("Action must be Publish, got %q", a)
	}
	topic := c.route.target
	if arn := form.Get("TopicArn"); arn != "" {
		a, err := ferry.ParseARN(arn)
		if err != nil || a.Kind != ferry.KindTopic {
			return nil, badParam("Invalid parameter: TopicArn %q", arn)
		}
		topic = a.Name
	}
	for k := range form {
		if !snsKnown[k] && !strings.HasPrefix(k, "MessageAttributes.entry.") {
			return nil, badParam("parameter %s is not supported by Ferry's service proxy", k)
		}
	}
	msg := form.Get("Message")
	if msg == "" {
		return nil, badParam("Invalid parameter: Empty message")
	}
	attrs, serr := formAttributes(form, "MessageAttributes.entry.", "Value")
	if serr != nil {
		return nil, serr
	}
	id, err := g.opts.Topics.Publish(c.r.Context(), topic, ferry.Notification{
		Subject: form.Get("Subject"), Message: msg, Attributes: attrs, TraceID: c.trace, Hops: 0,
	})
	if err != nil {
		return nil, g.serviceErr(c, err, "NotFound", "Topic does not exist")
	}
	return map[string]any{"PublishResponse": map[string]any{
		"PublishResult":    map[string]any{"MessageId": id, "SequenceNumber": nil},
		"ResponseMetadata": map[string]any{"RequestId": c.requestID},
	}}, nil
}

var sqsKnown = map[string]bool{"Action": true, "Version": true, "MessageBody": true, "DelaySeconds": true, "QueueUrl": true}

// send makes an SQS SendMessage call from form parameters.
func (g *Gateway) send(c *call, form url.Values) (any, *serviceError) {
	if a := form.Get("Action"); a != "SendMessage" {
		return nil, &serviceError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Action must be SendMessage, got %q", a)}
	}
	for k := range form {
		if !sqsKnown[k] && !strings.HasPrefix(k, "MessageAttribute.") {
			return nil, &serviceError{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("parameter %s is not supported by Ferry's service proxy", k)}
		}
	}
	body := form.Get("MessageBody")
	if body == "" {
		return nil, &serviceError{http.StatusBadRequest, "MissingParameter", "The request must contain the parameter MessageBody."}
	}
	msg := ferry.OutgoingMessage{Body: body, TraceID: c.trace, Hops: 0}
	if d := form.Get("DelaySeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 900 {
			return nil, &serviceError{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("DelaySeconds must be 0-900, got %q", d)}
		}
		msg.Delay = time.Duration(n) * time.Second
	}
	attrs, serr := formAttributes(form, "MessageAttribute.", "Value")
	if serr != nil {
		return nil, serr
	}
	msg.Attributes = attrs
	id, err := g.opts.Queues.SendMessage(c.r.Context(), c.route.target, msg)
	if err != nil {
		return nil, g.serviceErr(c, err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
	}
	sum := md5.Sum([]byte(body))
	return map[string]any{"SendMessageResponse": map[string]any{
		"ResponseMetadata": map[string]any{"RequestId": c.requestID},
		"SendMessageResult": map[string]any{
			"MD5OfMessageAttributes": nil, "MD5OfMessageBody": hex.EncodeToString(sum[:]),
			"MD5OfMessageSystemAttributes": nil, "MessageId": id, "SequenceNumber": nil,
		},
	}}, nil
}

// formAttributes reads prefix.N.Name / prefix.N.<value>.DataType /
// .StringValue / .BinaryValue.
func formAttributes(form url.Values, prefix, value string) (map[string]ferry.MessageAttribute, *serviceError) {
	idx := map[int]bool{}
	for k := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(n)
		if err != nil || i < 1 {
			return nil, badParam("bad message attribute parameter %s", k)
		}
		idx[i] = true
	}
	if len(idx) == 0 {
		return nil, nil
	}
	order := make([]int, 0, len(idx))
	for i := range idx {
		order = append(order, i)
	}
	sort.Ints(order)
	attrs := map[string]ferry.MessageAttribute{}
	for _, i := range order {
		p := prefix + strconv.Itoa(i) + "."
		name := form.Get(p + "Name")
		if name == "" {
			return nil, badParam("message attribute %d has no Name", i)
		}
		a := ferry.MessageAttribute{
			DataType:    form.Get(p + value + ".DataType"),
			StringValue: form.Get(p + value + ".StringValue"),
		}
		if a.DataType == "" {
			return nil, badParam("message attribute %q has no DataType", name)
		}
		if bv := form.Get(p + value + ".BinaryValue"); bv != "" {
			b, err := base64.StdEncoding.DecodeString(bv)
			if err != nil {
				return nil, badParam("message attribute %q: BinaryValue is not base64", name)
			}
			a.BinaryValue = b
		}
		attrs[name] = a
	}
	return attrs, nil
}

// serviceErr maps a topic or queue service error.
func (g *Gateway) serviceErr(c *call, err error, notFoundCode, notFoundMsg string) *serviceError {
	switch ferry.ErrorCode(err) {
	case ferry.ENOTFOUND:
		return &serviceError{http.StatusBadRequest, notFoundCode, notFoundMsg}
	case ferry.EINVALID, ferry.ETOOLARGE, ferry.EINVALIDJSON:
		return badParam("%s", ferry.ErrorMessage(err))
	case ferry.ETHROTTLED:
		return &serviceError{http.StatusBadRequest, "Throttling", ferry.ErrorMessage(err)}
	}
	g.log.Error("gateway: service proxy", "route", c.route.Route.String(), "err", err)
	return &serviceError{http.StatusInternalServerError, "InternalError", "internal error"}
}

// writeServiceError answers with the service's error document, as API
// Gateway passes it through for the plugin's 400 and 500 integration
// responses.
func (g *Gateway) writeServiceError(c *call, e *serviceError) {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	out, _ := json.Marshal(map[string]any{
		"Error":     map[string]any{"Code": e.code, "Message": e.msg, "Type": typ},
		"RequestId": c.requestID,
	})
	if len(c.route.responses) > 0 {
		g.writeIntegrationResponse(c, e.status, out)
		return
	}
	tpl := c.route.clientTpl
	if e.status >= 500 {
		tpl = c.route.serverTpl
	}
	if tpl != nil {
		if s, err := tpl.render(&tplData{body: out, context: g.templateContext(c), params: c.param}); err == nil {
			out = []byte(s)
		} else {
			g.log.Warn("gateway: error response template", "route", c.route.Route.String(), "err", err)
		}
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	g.commonHeaders(c, c.isREST())
	g.corsHeaders(c)
	c.w.WriteHeader(e.status)
	c.w.Write(out)
}
