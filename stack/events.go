package stack

import (
	"fmt"
	"strings"

	"github.com/ferry-run/ferry"
	"go.yaml.in/yaml/v3"
)

// slsEvents builds the triggers, subscriptions, routes, rules and schedules
// of a serverless function's events.
func (l *loader) slsEvents(sf *slsFunc, fnName string, httpAPI *yaml.Node) {
	fnARN := l.realm().FunctionARN(fnName)
	rules, schedules := 0, 0
	for i, ev := range l.items(mapGet(sf.node, "events"), "functions."+sf.key+".events") {
		ep := fmt.Sprintf("functions.%s.events[%d]", sf.key, i)
		ps := l.pairs(ev, ep)
		if len(ps) != 1 {
			l.fail(ev, "%s must have exactly one event type", ep)
		}
		typ, body, path := ps[0].Key, ps[0].Value, ep+"."+ps[0].Key
		switch typ {
		case "http":
			l.st.Routes = append(l.st.Routes, l.slsHTTP(body, path, fnName))
		case "httpApi":
			l.st.Routes = append(l.st.Routes, l.slsHTTPAPI(body, path, fnName, httpAPI))
		case "sns":
			l.st.Subscriptions = append(l.st.Subscriptions, l.slsSNS(body, path, fnARN))
		case "sqs":
			l.st.Triggers = append(l.st.Triggers, l.slsSQS(body, path, fnName))
		case "eventBridge":
			rules++
			l.slsEventBridge(body, path, fnName, fnARN, rules)
		case "schedule":
			schedules++
			l.slsSchedule(body, path, fnName, schedules)
		default:
			l.warn(ps[0].KeyN, path, "event type %s is not supported by Ferry; ignored", typ)
		}
	}
}

// methodPath parses "METHOD /path".
func (l *loader) methodPath(n *yaml.Node, path string) (string, string) {
	s := strings.TrimSpace(l.str(n, path))
	if s == "*" {
		return "*", "*"
	}
	m, p, ok := strings.Cut(s, " ")
	if !ok {
		l.fail(n, "%s: want \"METHOD /path\", got %q", path, s)
	}
	return l.method(n, path, m), normPath(strings.TrimSpace(p))
}

func (l *loader) method(n *yaml.Node, path, m string) string {
	m = strings.ToUpper(strings.TrimSpace(m))
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY":
		return m
	case "*":
		return "ANY"
	}
	l.fail(n, "%s: unknown HTTP method %q", path, m)
	return ""
}

func normPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	return p
}

func (l *loader) slsHTTP(n *yaml.Node, path, fnName string) Route {
	r := Route{Kind: RouteREST, Function: fnName}
	if n.Kind == yaml.ScalarNode {
		r.Method, r.Path = l.methodPath(n, path)
		return r
	}
	l.checkKeys(n, path, "path method cors integration private authorizer", "description operationId")
	pn, mn := mapGet(n, "path"), mapGet(n, "method")
	if pn == nil || mn == nil {
		l.fail(n, "%s needs path and method", path)
	}
	r.Path = normPath(l.str(pn, path+".path"))
	r.Method = l.method(mn, path+".method", l.str(mn, path+".method"))
	if v := mapGet(n, "integration"); v != nil {
		if s := l.str(v, path+".integration"); s != "lambda-proxy" && s != "aws_proxy" {
			l.fail(v, "%s.integration %q is not supported by Ferry (only lambda-proxy)", path, s)
		}
	}
	if v := mapGet(n, "cors"); v != nil {
		r.CORS = l.restCORS(v, path+".cors", r.Method)
	}
	if v := mapGet(n, "private"); v != nil {
		r.APIKeyRequired = l.bool(v, path+".private")
		if r.APIKeyRequired && len(l.st.APIKeys) == 0 {
			l.fail(v, "%s.private: route %s requires an API key, and provider.apiGateway.apiKeys defines none", path, routeName(r))
		}
	}
	if v := mapGet(n, "authorizer"); v != nil {
		l.slsRESTAuthorizer(v, path+".authorizer", r)
	}
	return r
}

// corsList is a list-valued CORS key of a file and the field it sets.
type corsList struct {
	key   string
	field func(c *CORS) *[]string
}

func allowOrigins(c *CORS) *[]string  { return &c.AllowOrigins }
func allowHeaders(c *CORS) *[]string  { return &c.AllowHeaders }
func allowMethods(c *CORS) *[]string  { return &c.AllowMethods }
func exposeHeaders(c *CORS) *[]string { return &c.ExposeHeaders }

// restCORSLists are the list keys of an http event's cors; origins, read
// after origin, wins over it.
var restCORSLists = []corsList{
	{"origin", allowOrigins}, {"origins", allowOrigins}, {"headers", allowHeaders}, {"methods", allowMethods},
}

// httpAPICORSLists are the list keys of provider.httpApi.cors.
var httpAPICORSLists = []corsList{
	{"allowedOrigins", allowOrigins}, {"allowedHeaders", allowHeaders}, {"allowedMethods", allowMethods},
	{"exposedResponseHeaders", exposeHeaders},
}

// restCORS reads `cors: true` or {origin(s), headers, allowCredentials, maxAge}.
func (l *loader) restCORS(n *yaml.Node, path, method string) *CORS {
	return l.cors(n, path, method, restCORSLists, "cacheControl")
}

// httpAPICORS reads provider.httpApi.cors: true or {allowedOrigins, ...}.
func (l *loader) httpAPICORS(n *yaml.Node, path, method string) *CORS {
	return l.cors(n, path, method, httpAPICORSLists, "")
}

// cors reads `cors: true` (the defaults), false (nil) or a map of the keys
// in lists plus allowCredentials and maxAge; ignored keys are accepted
// without a warning.
func (l *loader) cors(n *yaml.Node, path, method string, lists []corsList, ignored string) *CORS {
	c := &CORS{AllowOrigins: []string{"*"}, AllowHeaders: defaultCORSHeaders, AllowMethods: []string{"OPTIONS", method}}
	if n.Kind == yaml.ScalarNode {
		if !l.bool(n, path) {
			return nil
		}
		return c
	}
	supported := "allowCredentials maxAge"
	for _, f := range lists {
		supported += " " + f.key
	}
	l.checkKeys(n, path, supported, ignored)
	for _, f := range lists {
		if v := mapGet(n, f.key); v != nil {
			*f.field(c) = l.strList(v, path+"."+f.key)
		}
	}
	if v := mapGet(n, "allowCredentials"); v != nil {
		c.AllowCredentials = l.bool(v, path+".allowCredentials")
	}
	if v := mapGet(n, "maxAge"); v != nil {
		c.MaxAge = l.int(v, path+".maxAge", 0, 86400)
	}
	return c
}

func (l *loader) slsHTTPAPI(n *yaml.Node, path, fnName string, httpAPI *yaml.Node) Route {
	r := Route{Kind: RouteHTTPAPI, Function: fnName, PayloadVersion: "2.0"}
	if v := mapGet(httpAPI, "payload"); v != nil {
		r.PayloadVersion = l.str(v, "provider.httpApi.payload")
		if r.PayloadVersion != "1.0" && r.PayloadVersion != "2.0" {
			l.fail(v, "provider.httpApi.payload must be '1.0' or '2.0', got %q", r.PayloadVersion)
		}
	}
	if n.Kind == yaml.ScalarNode {
		r.Method, r.Path = l.methodPath(n, path)
	} else {
		l.checkKeys(n, path, "path method authorizer", "")
		pn := mapGet(n, "path")
		if pn == nil {
			l.fail(n, "%s needs path", path)
		}
		r.Path = normPath(l.str(pn, path+".path"))
		r.Method = "ANY"
		if mn := mapGet(n, "method"); mn != nil {
			r.Method = l.method(mn, path+".method", l.str(mn, path+".method"))
		}
	}
	if v := mapGet(httpAPI, "cors"); v != nil {
		r.CORS = l.httpAPICORS(v, "provider.httpApi.cors", r.Method)
	}
	if n.Kind != yaml.ScalarNode {
		if v := mapGet(n, "authorizer"); v != nil {
			r.Authorizer = l.slsHTTPAPIAuthorizer(v, path+".authorizer", r, httpAPI)
		}
	}
	return r
}

func (l *loader) slsSNS(n *yaml.Node, path, fnARN string) Subscription {
	s := Subscription{Protocol: "lambda", Endpoint: fnARN}
	if n.Kind != yaml.MappingNode || isIntrinsic(n) {
		v := l.str(n, path)
		if strings.HasPrefix(v, "arn:") {
			s.Topic = l.arn(n, path, ferry.KindTopic)
		} else {
			s.Topic = l.realm().TopicARN(v)
		}
		return s
	}
	l.checkKeys(n, path, "arn topicName filterPolicy filterPolicyScope", "displayName")
	if a := mapGet(n, "arn"); a != nil {
		s.Topic = l.arn(a, path+".arn", ferry.KindTopic)
	} else {
		s.Topic = l.realm().TopicARN(l.optStr(n, "topicName", path))
	}
	if v := mapGet(n, "filterPolicy"); v != nil {
		s.FilterPolicy = l.json(v, path+".filterPolicy")
	}
	s.FilterPolicyScope = l.filterScope(mapGet(n, "filterPolicyScope"), path+".filterPolicyScope")
	return s
}

func isIntrinsic(n *yaml.Node) bool { _, _, ok := intrinsic(n); return ok }

func (l *loader) slsSQS(n *yaml.Node, path, fnName string) QueueTrigger {
	t := QueueTrigger{Function: fnName, BatchSize: 10, Enabled: true}
	if n.Kind != yaml.MappingNode || isIntrinsic(n) {
		t.Queue = l.queueARN(n, path)
		return t
	}
	l.checkKeys(n, path, "arn batchSize maximumBatchingWindow functionResponseType enabled", "")
	a := mapGet(n, "arn")
	if a == nil {
		l.fail(n, "%s needs arn", path)
	}
	t.Queue = l.queueARN(a, path+".arn")
	if v := mapGet(n, "batchSize"); v != nil {
		t.BatchSize = l.int(v, path+".batchSize", 1, 10000)
	}
	if v := mapGet(n, "maximumBatchingWindow"); v != nil {
		t.MaximumBatchingWindow = l.int(v, path+".maximumBatchingWindow", 0, 300)
	}
	if t.BatchSize > 10 && t.MaximumBatchingWindow == 0 {
		l.fail(mapGet(n, "batchSize"), "%s.batchSize above 10 needs maximumBatchingWindow of at least 1 second", path)
	}
	if v := mapGet(n, "functionResponseType"); v != nil {
		if s := l.str(v, path+".functionResponseType"); s != "ReportBatchItemFailures" {
			l.fail(v, "%s.functionResponseType must be ReportBatchItemFailures, got %q", path, s)
		}
		t.ReportBatchItemFailures = true
	}
	if v := mapGet(n, "enabled"); v != nil {
		t.Enabled = l.bool(v, path+".enabled")
	}
	return t
}

func (l *loader) slsEventBridge(n *yaml.Node, path, fnName, fnARN string, idx int) {
	l.checkKeys(n, path, "eventBus pattern schedule input inputPath inputTransformer name enabled", "description")
	rule := Rule{Name: fmt.Sprintf("%s-rule-%d", fnName, idx), Bus: "default", Enabled: true}
	if v := mapGet(n, "name"); v != nil {
		rule.Name = l.str(v, path+".name")
	}
	if v := mapGet(n, "eventBus"); v != nil {
		rule.Bus = l.busName(v, path+".eventBus")
		if rule.Bus != "default" && !l.hasBus(rule.Bus) {
			l.st.Buses = append(l.st.Buses, Bus{Name: rule.Bus, LogicalID: "EventBridgeEventBus" + alphaNumeric(rule.Bus)})
		}
	}
	if v := mapGet(n, "pattern"); v != nil {
		rule.Pattern = l.json(v, path+".pattern")
	}
	if v := mapGet(n, "schedule"); v != nil {
		rule.ScheduleExpression = l.schedule(v, path+".schedule")
	}
	if rule.Pattern == "" && rule.ScheduleExpression == "" {
		l.fail(n, "%s needs pattern or schedule", path)
	}
	if v := mapGet(n, "enabled"); v != nil {
		rule.Enabled = l.bool(v, path+".enabled")
	}
	tg := Target{ID: fnName + "-target", Arn: fnARN}
	tg.Input, tg.InputPath, tg.InputTransformer = l.input(n, path, "input", "inputPath", "inputTransformer", "inputPathsMap", "inputTemplate")
	rule.Targets = []Target{tg}
	l.st.Rules = append(l.st.Rules, rule)
}

func (l *loader) hasBus(name string) bool {
	for _, b := range l.st.Buses {
		if b.Name == name {
			return true
		}
	}
	for _, id := range l.order {
		if r := l.res[id]; r.typ == typeBus && l.nameOf(r, r.node) == name {
			return true
		}
	}
	return false
}

func (l *loader) slsSchedule(n *yaml.Node, path, fnName string, idx int) {
	sc := Schedule{Function: fnName, Enabled: true, Name: fmt.Sprintf("%s-schedule-%d", fnName, idx)}
	var rates []string
	if n.Kind == yaml.ScalarNode || isIntrinsic(n) {
		rates = []string{l.schedule(n, path)}
	} else {
		l.checkKeys(n, path, "rate enabled input inputPath name", "description method")
		rn := mapGet(n, "rate")
		if rn == nil {
			l.fail(n, "%s needs rate", path)
		}
		for _, r := range l.strList(rn, path+".rate") {
			if !validSchedule(r) {
				l.fail(rn, "%s.rate: %q is not rate(...) or cron(...)", path, r)
			}
			rates = append(rates, r)
		}
		if v := mapGet(n, "enabled"); v != nil {
			sc.Enabled = l.bool(v, path+".enabled")
		}
		if v := mapGet(n, "name"); v != nil {
			sc.Name = l.str(v, path+".name")
		}
		sc.Input, sc.InputPath, _ = l.input(n, path, "input", "inputPath", "\x00", "", "")
	}
	for i, r := range rates {
		s := sc
		s.Expression = r
		if len(rates) > 1 {
			s.Name = fmt.Sprintf("%s-%d", sc.Name, i+1)
		}
		l.st.Schedules = append(l.st.Schedules, s)
	}
}

// serviceProxies reads custom.apiGatewayServiceProxies.
func (l *loader) serviceProxies(n *yaml.Node) {
	for i, item := range l.items(n, "custom.apiGatewayServiceProxies") {
		ip := fmt.Sprintf("custom.apiGatewayServiceProxies[%d]", i)
		ps := l.pairs(item, ip)
		if len(ps) != 1 {
			l.fail(item, "%s must have exactly one service (sns, sqs)", ip)
		}
		kind, body, path := ps[0].Key, ps[0].Value, ip+"."+ps[0].Key
		var nameKey string
		switch kind {
		case ProxySNS:
			nameKey = "topicName"
		case ProxySQS:
			nameKey = "queueName"
		default:
			l.warn(ps[0].KeyN, path, "service proxy %s is not supported by Ferry (sns, sqs); ignored", kind)
			continue
		}
		l.checkKeys(body, path, "path method cors request response private authorizationType authorizerId authorizationScopes "+nameKey, "")
		pn, mn, tn := mapGet(body, "path"), mapGet(body, "method"), mapGet(body, nameKey)
		if pn == nil || mn == nil || tn == nil {
			l.fail(body, "%s needs path, method and %s", path, nameKey)
		}
		r := Route{Kind: RouteREST, Path: normPath(l.str(pn, path+".path"))}
		r.Method = l.method(mn, path+".method", l.str(mn, path+".method"))
		p := &ServiceProxy{Kind: kind}
		name := l.str(tn, path+"."+nameKey)
		switch {
		case strings.HasPrefix(name, "arn:") && kind == ProxySNS:
			p.Target = l.arn(tn, path+"."+nameKey, ferry.KindTopic)
		case strings.HasPrefix(name, "arn:"):
			p.Target = l.arn(tn, path+"."+nameKey, ferry.KindQueue)
		case !ferry.ValidResourceName(name):
			l.fail(tn, "%s.%s: invalid name %q", path, nameKey, name)
		case kind == ProxySNS:
			p.Target = l.realm().TopicARN(name)
		default:
			p.Target = l.realm().QueueARN(name)
		}
		if v := mapGet(body, "cors"); v != nil {
			r.CORS = l.restCORS(v, path+".cors", r.Method)
		}
		if req := mapGet(body, "request"); req != nil {
			l.checkKeys(req, path+".request", "template", "")
			p.RequestTemplates = l.templates(mapGet(req, "template"), path+".request.template")
		}
		if resp := mapGet(body, "response"); resp != nil {
			if resp.Kind == yaml.SequenceNode {
				p.Responses = l.proxyResponses(resp, path+".response")
			} else {
				l.checkKeys(resp, path+".response", "template", "")
				p.ResponseTemplates = l.templates(mapGet(resp, "template"), path+".response.template")
			}
		}
		r.Proxy = p
		l.proxyAuth(body, path, &r)
		l.st.Routes = append(l.st.Routes, r)
	}
}

func (l *loader) templates(n *yaml.Node, path string) map[string]string {
	var out map[string]string
	for _, p := range l.pairs(n, path) {
		if out == nil {
			out = map[string]string{}
		}
		out[p.Key] = l.str(p.Value, join(path, p.Key))
	}
	return out
}
