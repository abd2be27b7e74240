package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-run/ferry"
)

// Route kinds.
const (
	KindREST    = "http"    // API Gateway REST API, proxy event 1.0
	KindHTTPAPI = "httpApi" // API Gateway HTTP API, payload format 2.0 by default
)

// Service proxy kinds.
const (
	ProxySNS = "sns"
	ProxySQS = "sqs"
)

// DefaultRoute is the HTTP API catch-all route key.
const DefaultRoute = "$default"

// Route is one HTTP route to a function or, through a service proxy, to a
// topic or queue.
type Route struct {
	Kind   string // KindREST or KindHTTPAPI
	Method string // GET, POST, ...; "ANY" or "*" for any method
	// Path is "/payments", "/users/{id}", "/files/{proxy+}"; for an HTTP API
	// also "$default" (or "*") for the catch-all route.
	Path     string
	Function string // function name, for a function route
	// PayloadVersion is the HTTP API payload format: "2.0" (default) or "1.0".
	// REST routes always use 1.0.
	PayloadVersion string
	CORS           *CORS         // nil: no CORS handling
	Proxy          *ServiceProxy // instead of Function
	// APIKeyRequired makes the route answer 403 {"message":"Forbidden"}
	// unless the x-api-key header holds one of APIKeys.
	APIKeyRequired bool
	APIKeys        []string
	// JWT, on an HTTP API route, is the route's JWT authorizer: 401
	// {"message":"Unauthorized"} without a valid token.
	JWT *JWTAuth
	// Stage is the stage of the route's API (stage.go): in events, and a
	// path prefix unless it is $default. Default: Options.Stage for REST,
	// $default for an HTTP API.
	Stage string
}

// CORS is a route's cross-origin configuration. DefaultCORS is what
// `cors: true` means.
type CORS struct {
	Origins          []string // "*" allows any origin
	Headers          []string
	Methods          []string // default: OPTIONS and the route's method
	ExposeHeaders    []string
	AllowCredentials bool
	MaxAge           int // seconds; 0 leaves Access-Control-Max-Age out
}

// DefaultCORS returns the configuration of `cors: true` in the Serverless
// Framework.
func DefaultCORS() *CORS {
	return &CORS{
		Origins: []string{"*"},
		Headers: []string{"Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key",
			"X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id"},
	}
}

// ServiceProxy sends a request straight to a topic or queue.
type ServiceProxy struct {
	Kind   string // ProxySNS or ProxySQS
	Target string // topic or queue name, or its ARN
	// RequestTemplate is a mapping template (a VTL subset, see Template)
	// rendering an application/x-www-form-urlencoded SNS Publish or SQS
	// SendMessage call. Empty means the plugin's default: the request body
	// becomes the message.
	RequestTemplate string
	// RequestTemplates maps a request Content-Type to its template; a
	// matching entry wins over RequestTemplate.
	RequestTemplates map[string]string
	// ResponseTemplate renders the success response from the service's JSON
	// answer ($input); empty returns that answer as is.
	ResponseTemplate string
	// ClientErrorTemplate and ServerErrorTemplate render the answer when the
	// service call fails with a 4xx or 5xx error (the error document is
	// $input); empty returns that document as is.
	ClientErrorTemplate string
	ServerErrorTemplate string
	StatusCode          int // success status; default 200
	// Responses, when set, replace the three templates and StatusCode
	// (responses.go).
	Responses []IntegrationResponse
}

var validMethods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"HEAD": true, "OPTIONS": true, "ANY": true,
}

// String names a route in errors and logs.
func (r Route) String() string {
	target := "function " + r.Function
	if r.Proxy != nil {
		target = r.Proxy.Kind + " " + r.Proxy.Target
	}
	return fmt.Sprintf("%s %s %s -> %s", r.Kind, r.Method, r.Path, target)
}

// compiled is a validated route ready to match.
type compiled struct {
	Route
	index   int
	method  string // upper case; "ANY" for any
	pattern pattern
	v2      bool // HTTP API payload format 2.0
	isDef   bool // HTTP API $default
	reqTpl  *Template
	reqTpls map[string]*Template
	respTpl *Template
	// errTpls render 4xx (clientError) and 5xx (serverError) answers.
	clientTpl, serverTpl *Template
	responses            []compiledResponse
	stage                string // the API's stage (stage.go)
	target               string // proxy target name
	// keys returns the JWT authorizer's key set (refresh: fetch again).
	keys                    func(ctx context.Context, refresh bool) (*keySet, error)
	tokenHeader, tokenQuery string // where the JWT authorizer reads the token
}

// routeKey is the HTTP API route key ("POST /users/{id}", "$default").
func (c *compiled) routeKey() string {
	if c.isDef {
		return DefaultRoute
	}
	return c.method + " " + c.pattern.raw
}

// table is an immutable routing table.
type table struct {
	routes  []*compiled
	hasREST bool
}

func (g *Gateway) compile(routes []Route) (*table, error) {
	t := &table{}
	var errs []error
	seen := map[string]*compiled{}
	for i, r := range routes {
		c, err := g.compileRoute(i, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("route %d (%s): %w", i+1, r, err))
			continue
		}
		key := c.method + " " + c.pattern.shape()
		if c.isDef {
			key = DefaultRoute
		}
		if prev, ok := seen[key]; ok {
			errs = append(errs, fmt.Errorf("route %d (%s) conflicts with route %d (%s)", i+1, r, prev.index+1, prev.Route))
			continue
		}
		seen[key] = c
		if c.Kind == KindREST {
			t.hasREST = true
		}
		t.routes = append(t.routes, c)
	}
	if len(errs) > 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "gateway: %v", errors.Join(errs...))
	}
	return t, nil
}

func (g *Gateway) compileRoute(i int, r Route) (*compiled, error) {
	c := &compiled{Route: r, index: i, stage: g.stageOf(r)}
	switch r.Kind {
	case KindREST:
		if r.PayloadVersion != "" && r.PayloadVersion != "1.0" {
			return nil, fmt.Errorf("a REST route has payload format 1.0, not %q", r.PayloadVersion)
		}
	case KindHTTPAPI:
		switch r.PayloadVersion {
		case "", "2.0":
			c.v2 = true
		case "1.0":
		default:
			return nil, fmt.Errorf("payload version must be 1.0 or 2.0, got %q", r.PayloadVersion)
		}
	default:
		return nil, fmt.Errorf("kind must be %q or %q, got %q", KindREST, KindHTTPAPI, r.Kind)
	}
	m := strings.ToUpper(strings.TrimSpace(r.Method))
	switch m {
	case "*", "":
		m = "ANY"
	}
	if !validMethods[m] {
		return nil, fmt.Errorf("unsupported method %q", r.Method)
	}
	c.method = m
	if r.Path == DefaultRoute || r.Path == "*" {
		if r.Kind != KindHTTPAPI {
			return nil, fmt.Errorf("path %q is only valid for an HTTP API route", r.Path)
		}
		if m != "ANY" {
			return nil, fmt.Errorf("the %s route takes any method, not %s", DefaultRoute, m)
		}
		c.isDef = true
	} else {
		p, err := parsePattern(r.Path)
		if err != nil {
			return nil, err
		}
		c.pattern = p
	}
	switch {
	case r.Function != "" && r.Proxy != nil:
		return nil, errors.New("a route has either a function or a service proxy, not both")
	case r.Function != "":
		if !ferry.ValidResourceName(r.Function) {
			return nil, fmt.Errorf("invalid function name %q", r.Function)
		}
		if g.opts.Invoker == nil {
			return nil, errors.New("function routes need an invoker, and the gateway has none")
		}
	case r.Proxy != nil:
		if err := g.compileProxy(c, r.Proxy); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("a route needs a function or a service proxy")
	}
	if err := g.compileAuth(c, r); err != nil {
		return nil, err
	}
	if cors := r.CORS; cors != nil {
		if cors.MaxAge < 0 {
			return nil, fmt.Errorf("cors maxAge must be >= 0, got %d", cors.MaxAge)
		}
		if len(cors.Origins) == 0 {
			return nil, errors.New("cors needs at least one origin")
		}
	}
	return c, nil
}

func (g *Gateway) compileProxy(c *compiled, p *ServiceProxy) error {
	var kind string
	switch p.Kind {
	case ProxySNS:
		kind = ferry.KindTopic
		if g.opts.Topics == nil {
			return errors.New("sns service proxy needs a topic service, and the gateway has none")
		}
	case ProxySQS:
		kind = ferry.KindQueue
		if g.opts.Queues == nil {
			return errors.New("sqs service proxy needs a queue service, and the gateway has none")
		}
	default:
		return fmt.Errorf("service proxy kind must be %q or %q, got %q", ProxySNS, ProxySQS, p.Kind)
	}
	name := p.Target
	if strings.HasPrefix(name, "arn:") {
		a, err := ferry.ParseARN(name)
		if err != nil {
			return err
		}
		if a.Kind != kind {
			return fmt.Errorf("%s service proxy target %q is not a %s", p.Kind, name, kind)
		}
		name = a.Name
	}
	if !ferry.ValidResourceName(name) {
		return fmt.Errorf("invalid %s name %q", kind, p.Target)
	}
	c.target = name
	if p.StatusCode != 0 && (p.StatusCode < 100 || p.StatusCode > 599) {
		return fmt.Errorf("status code must be 100-599, got %d", p.StatusCode)
	}
	var err error
	src := p.RequestTemplate
	if src == "" {
		src = g.defaultRequestTemplate(p.Kind, name)
	}
	if c.reqTpl, err = ParseTemplate(src); err != nil {
		return fmt.Errorf("request template: %w", err)
	}
	for ct, s := range p.RequestTemplates {
		t, err := ParseTemplate(s)
		if err != nil {
			return fmt.Errorf("request template for %s: %w", ct, err)
		}
		if c.reqTpls == nil {
			c.reqTpls = map[string]*Template{}
		}
		c.reqTpls[strings.ToLower(ct)] = t
	}
	if c.responses, err = compileResponses(p.Responses); err != nil {
		return err
	}
	if p.ResponseTemplate != "" {
		if c.respTpl, err = ParseTemplate(p.ResponseTemplate); err != nil {
			return fmt.Errorf("response template: %w", err)
		}
	}
	if p.ClientErrorTemplate != "" {
		if c.clientTpl, err = ParseTemplate(p.ClientErrorTemplate); err != nil {
			return fmt.Errorf("clientError response template: %w", err)
		}
	}
	if p.ServerErrorTemplate != "" {
		if c.serverTpl, err = ParseTemplate(p.ServerErrorTemplate); err != nil {
			return fmt.Errorf("serverError response template: %w", err)
		}
	}
	return nil
}

// defaultRequestTemplate is the plugin's default mapping template.
func (g *Gateway) defaultRequestTemplate(kind, name string) string {
	if kind == ProxySNS {
		return "Action=Publish&Message=$util.urlEncode($input.body)&TopicArn=$util.urlEncode('" +
			g.opts.Realm.TopicARN(name) + "')"
	}
	return "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
}
