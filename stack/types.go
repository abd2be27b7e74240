package stack

import (
	"fmt"
	"os"

	"github.com/ferry-run/ferry"
)

// Format names the kind of file a Stack was read from.
const (
	FormatServerless = "serverless"
	FormatSAM        = "sam"
)

// Route kinds.
const (
	RouteREST    = "http"    // API Gateway REST API (v1 proxy event)
	RouteHTTPAPI = "httpApi" // API Gateway HTTP API (v2 event unless PayloadVersion is "1.0")
)

// Service proxy kinds.
const (
	ProxySNS = "sns"
	ProxySQS = "sqs"
)

// DefaultEndpoint is the base of the queue URLs that Ref of a queue yields.
const DefaultEndpoint = "http://localhost:4566"

// LoadOptions control how a stack file is read.
type LoadOptions struct {
	// Stage overrides provider.stage (serverless); default "dev".
	Stage string
	// Region and Account are the realm every ARN is built in; defaults are
	// provider.region (serverless) or ferry.DefaultRegion, and ferry.DefaultAccount.
	Region  string
	Account string
	// Env looks up ${env:NAME}; nil means os.LookupEnv.
	Env func(string) (string, bool)
	// Options are the --opt values for ${opt:name} (serverless) and the
	// parameter overrides for SAM Parameters.
	Options map[string]string
	// Endpoint is the base of queue URLs (Ref of an AWS::SQS::Queue); default DefaultEndpoint.
	Endpoint string
	// Strict turns every warning into an error.
	Strict bool
}

// Warning names a key of the stack file that Ferry does not honour.
type Warning struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Key     string `json:"key"`
	Message string `json:"message"`
	// Refused marks a function Ferry keeps but will not run (its runtime),
	// rather than an ignored key.
	Refused bool `json:"refused,omitempty"`
}

func (w Warning) String() string {
	if w.Refused {
		return fmt.Sprintf("%s:%d:%d: %s: %s", w.File, w.Line, w.Column, w.Key, w.Message)
	}
	return fmt.Sprintf("%s:%d:%d: unsupported key %q: %s", w.File, w.Line, w.Column, w.Key, w.Message)
}

// Stack is a stack file resolved to plain data: every variable, parameter and
// intrinsic function is replaced by its value and every ARN is built in the
// stack's realm.
type Stack struct {
	Format  string `json:"format"`  // FormatServerless or FormatSAM
	File    string `json:"file"`    // the file it was read from
	Service string `json:"service"` // serverless service; SAM: the folder name
	Stage   string `json:"stage,omitempty"`
	Region  string `json:"region"`
	Account string `json:"account"`

	Functions     []Function     `json:"functions"`
	Queues        []Queue        `json:"queues"`
	Topics        []Topic        `json:"topics"`
	Subscriptions []Subscription `json:"subscriptions"`
	Buses         []Bus          `json:"buses"`
	Rules         []Rule         `json:"rules"`
	Triggers      []QueueTrigger `json:"triggers"`
	Routes        []Route        `json:"routes"`
	Schedules     []Schedule     `json:"schedules"`
	// APIKeys are the keys a route with APIKeyRequired accepts (x-api-key).
	APIKeys []APIKey `json:"apiKeys,omitempty"`
}

// Function is a function of the stack. Name (in ferry.Function) is the name
// AWS would give it ("<service>-<stage>-<key>" for serverless); Key is the
// short name used in the file.
type Function struct {
	Key       string `json:"key"`
	LogicalID string `json:"logicalId"`
	Build     *Build `json:"build,omitempty"`
	ferry.Function
}

// Queue is an SQS-like queue. Attributes use the SQS attribute names
// (VisibilityTimeout, MessageRetentionPeriod, DelaySeconds, MaximumMessageSize,
// ReceiveMessageWaitTimeSeconds, RedrivePolicy as JSON with a resolved ARN).
type Queue struct {
	Name       string            `json:"name"`
	LogicalID  string            `json:"logicalId"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Topic is an SNS-like topic; its subscriptions are in Stack.Subscriptions.
type Topic struct {
	Name        string `json:"name"`
	LogicalID   string `json:"logicalId"`
	DisplayName string `json:"displayName,omitempty"`
}

// Subscription subscribes an endpoint to a topic.
type Subscription struct {
	LogicalID          string `json:"logicalId,omitempty"`
	Topic              string `json:"topic"`    // topic ARN
	Protocol           string `json:"protocol"` // lambda, sqs, http, https
	Endpoint           string `json:"endpoint"` // function or queue ARN, or URL
	FilterPolicy       string `json:"filterPolicy,omitempty"`
	FilterPolicyScope  string `json:"filterPolicyScope,omitempty"` // MessageAttributes (default) or MessageBody
	RawMessageDelivery bool   `json:"rawMessageDelivery,omitempty"`
	RedrivePolicy      string `json:"redrivePolicy,omitempty"` // JSON {"deadLetterTargetArn": ...}
}

// Bus is an event bus other than "default".
type Bus struct {
	Name      string `json:"name"`
	LogicalID string `json:"logicalId"`
}

// Rule routes events on a bus to targets.
type Rule struct {
	Name               string   `json:"name"`
	LogicalID          string   `json:"logicalId,omitempty"`
	Bus                string   `json:"bus"`               // bus name, "default" for the default bus
	Pattern            string   `json:"pattern,omitempty"` // event pattern JSON
	ScheduleExpression string   `json:"scheduleExpression,omitempty"`
	Enabled            bool     `json:"enabled"`
	Targets            []Target `json:"targets"`
}

// Target is a rule target.
type Target struct {
	ID               string            `json:"id"`
	Arn              string            `json:"arn"`
	Input            string            `json:"input,omitempty"`
	InputPath        string            `json:"inputPath,omitempty"`
	InputTransformer *InputTransformer `json:"inputTransformer,omitempty"`
}

// InputTransformer rewrites the event a target receives.
type InputTransformer struct {
	InputPathsMap map[string]string `json:"inputPathsMap,omitempty"`
	InputTemplate string            `json:"inputTemplate"`
}

// QueueTrigger is an event source mapping: a queue polled for a function.
type QueueTrigger struct {
	Queue                   string `json:"queue"`    // queue ARN
	Function                string `json:"function"` // function name
	BatchSize               int    `json:"batchSize"`
	MaximumBatchingWindow   int    `json:"maximumBatchingWindowSeconds,omitempty"`
	ReportBatchItemFailures bool   `json:"reportBatchItemFailures,omitempty"`
	Enabled                 bool   `json:"enabled"`
}

// Route is an HTTP gateway route to a function or, through a service proxy,
// to a topic or queue.
type Route struct {
	Kind           string        `json:"kind"`   // RouteREST or RouteHTTPAPI
	Method         string        `json:"method"` // upper case; ANY for any; "*" with Path "*" is the HTTP API catch-all
	Path           string        `json:"path"`
	Function       string        `json:"function,omitempty"`       // function name
	PayloadVersion string        `json:"payloadVersion,omitempty"` // httpApi: "2.0" or "1.0"
	CORS           *CORS         `json:"cors,omitempty"`
	Proxy          *ServiceProxy `json:"proxy,omitempty"`
	// APIKeyRequired (serverless private: true, SAM ApiKeyRequired) makes
	// the route answer 403 unless x-api-key holds one of Stack.APIKeys.
	APIKeyRequired bool        `json:"apiKeyRequired,omitempty"`
	Authorizer     *Authorizer `json:"authorizer,omitempty"`
	// Stage is the stage of the route's API (stage.go).
	Stage string `json:"stage,omitempty"`
}

// CORS is a route's cross-origin configuration.
type CORS struct {
	AllowOrigins     []string `json:"allowOrigins,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
	MaxAge           int      `json:"maxAge,omitempty"`
}

// ServiceProxy sends the request to a topic or queue without a function
// (the serverless-apigateway-service-proxy plugin).
type ServiceProxy struct {
	Kind   string `json:"kind"`   // ProxySNS or ProxySQS
	Target string `json:"target"` // topic or queue ARN
	// RequestTemplates maps a content type to a mapping template.
	RequestTemplates map[string]string `json:"requestTemplates,omitempty"`
	// ResponseTemplates maps success, clientError and serverError to templates.
	ResponseTemplates map[string]string `json:"responseTemplates,omitempty"`
	// Responses is the list form of response (proxyresponse.go).
	Responses []ProxyResponse `json:"responses,omitempty"`
}

// Schedule invokes a function on a rate or cron expression.
type Schedule struct {
	Name       string `json:"name"`
	Function   string `json:"function"` // function name
	Expression string `json:"expression"`
	Input      string `json:"input,omitempty"`
	InputPath  string `json:"inputPath,omitempty"`
	Enabled    bool   `json:"enabled"`
}

// Realm is the region and account of the stack.
func (s *Stack) Realm() ferry.Realm { return ferry.Realm{Region: s.Region, Account: s.Account} }

// Function returns the function with the given name or key.
func (s *Stack) Function(name string) (*Function, bool) {
	for i := range s.Functions {
		if f := &s.Functions[i]; f.Name == name || f.Key == name {
			return f, true
		}
	}
	return nil, false
}

// Validate checks the stack for names, ranges and ARNs that cannot work.
func (s *Stack) Validate() error {
	if s.Region == "" || s.Account == "" {
		return ferry.Errorf(ferry.EINVALID, "stack: region and account are required")
	}
	seen := map[string]bool{}
	unique := func(kind, name string) error {
		if seen[kind+"\x00"+name] {
			return ferry.Errorf(ferry.ECONFLICT, "stack: %s %q is defined twice", kind, name)
		}
		seen[kind+"\x00"+name] = true
		return nil
	}
	for i := range s.Functions {
		f := &s.Functions[i]
		if err := f.Validate(); err != nil {
			return ferry.Errorf(ferry.ErrorCode(err), "stack: function %q: %s", f.Key, ferry.ErrorMessage(err))
		}
		if err := unique("function", f.Name); err != nil {
			return err
		}
		if f.DeadLetterTarget != "" {
			if err := wantARN(f.DeadLetterTarget, ferry.KindQueue, ferry.KindTopic); err != nil {
				return err
			}
		}
		if fi, err := os.Stat(f.CodeDir); err != nil || !fi.IsDir() {
			return ferry.Errorf(ferry.EINVALID, "stack: function %q: code directory %q does not exist", f.Key, f.CodeDir)
		}
	}
	for _, q := range s.Queues {
		if !ferry.ValidResourceName(q.Name) {
			return ferry.Errorf(ferry.EINVALID, "stack: invalid queue name %q", q.Name)
		}
		if err := unique("queue", q.Name); err != nil {
			return err
		}
	}
	for _, t := range s.Topics {
		if !ferry.ValidResourceName(t.Name) {
			return ferry.Errorf(ferry.EINVALID, "stack: invalid topic name %q", t.Name)
		}
		if err := unique("topic", t.Name); err != nil {
			return err
		}
	}
	for _, b := range s.Buses {
		if b.Name == "" || b.Name == "default" {
			return ferry.Errorf(ferry.EINVALID, "stack: invalid event bus name %q", b.Name)
		}
		if err := unique("bus", b.Name); err != nil {
			return err
		}
	}
	for _, sub := range s.Subscriptions {
		if err := wantARN(sub.Topic, ferry.KindTopic); err != nil {
			return err
		}
		switch sub.Protocol {
		case "lambda":
			err := wantARN(sub.Endpoint, ferry.KindFunction)
			if err != nil {
				return err
			}
		case "sqs":
			if err := wantARN(sub.Endpoint, ferry.KindQueue); err != nil {
				return err
			}
		case "http", "https":
		default:
			return ferry.Errorf(ferry.EINVALID, "stack: subscription protocol %q is not supported", sub.Protocol)
		}
	}
	for _, r := range s.Rules {
		if err := unique("rule", r.Bus+"/"+r.Name); err != nil {
			return err
		}
		if r.Pattern == "" && r.ScheduleExpression == "" {
			return ferry.Errorf(ferry.EINVALID, "stack: rule %q needs an event pattern or a schedule expression", r.Name)
		}
		for _, t := range r.Targets {
			if err := wantARN(t.Arn, ferry.KindFunction, ferry.KindQueue, ferry.KindTopic, ferry.KindBus); err != nil {
				return err
			}
		}
	}
	for _, t := range s.Triggers {
		if err := wantARN(t.Queue, ferry.KindQueue); err != nil {
			return err
		}
		if t.BatchSize < 1 || t.BatchSize > 10000 {
			return ferry.Errorf(ferry.EINVALID, "stack: batch size %d of %s is not between 1 and 10000", t.BatchSize, t.Queue)
		}
	}
	for _, r := range s.Routes {
		if r.Method == "" || r.Path == "" || (r.Function == "") == (r.Proxy == nil) {
			return ferry.Errorf(ferry.EINVALID, "stack: route %s %s needs a method, a path and one function or proxy", r.Method, r.Path)
		}
		if err := unique("route", r.Kind+" "+r.Method+" "+r.Path); err != nil {
			return err
		}
		if r.APIKeyRequired && len(s.APIKeys) == 0 {
			return ferry.Errorf(ferry.EINVALID, "stack: route %s %s requires an API key, and the stack defines none", r.Method, r.Path)
		}
		if a := r.Authorizer; a != nil && (a.Type != AuthorizerJWT || a.Issuer == "" || len(a.Audience) == 0) {
			return ferry.Errorf(ferry.EINVALID, "stack: route %s %s: authorizer %q is not a JWT authorizer with an issuer and an audience", r.Method, r.Path, a.Name)
		}
		if p := r.Proxy; p != nil {
			kind := map[string]string{ProxySNS: ferry.KindTopic, ProxySQS: ferry.KindQueue}[p.Kind]
			if kind == "" {
				return ferry.Errorf(ferry.EINVALID, "stack: route %s %s: unknown proxy kind %q", r.Method, r.Path, p.Kind)
			}
			if err := wantARN(p.Target, kind); err != nil {
				return err
			}
		}
	}
	for _, sc := range s.Schedules {
		if !validSchedule(sc.Expression) {
			return ferry.Errorf(ferry.EINVALID, "stack: schedule %q: expression %q is not rate(...) or cron(...)", sc.Name, sc.Expression)
		}
	}
	return nil
}

// wantARN checks that s is an ARN of one of the kinds.
func wantARN(s string, kinds ...string) error {
	a, err := ferry.ParseARN(s)
	if err != nil {
		return ferry.Errorf(ferry.EINVALID, "stack: %s", ferry.ErrorMessage(err))
	}
	for _, k := range kinds {
		if a.Kind == k {
			return nil
		}
	}
	return ferry.Errorf(ferry.EINVALID, "stack: %s is a %s ARN, want %v", s, a.Kind, kinds)
}

func validSchedule(e string) bool {
	return len(e) > 6 && e[len(e)-1] == ')' && (e[:5] == "rate(" || e[:5] == "cron(")
}
