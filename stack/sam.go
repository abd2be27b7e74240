package stack

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ferry-run/ferry"
	"go.yaml.in/yaml/v3"
)

const samTransform = "AWS::Serverless-2016-10-31"

// Keys of AWS::Serverless::Function Ferry reads, and those without local effect.
const (
	samFunctionKeys    = "Handler Runtime CodeUri MemorySize Timeout Environment ReservedConcurrentExecutions Events EventInvokeConfig DeadLetterQueue FunctionName"
	samFunctionIgnored = "Description Tags Policies Role Architectures PermissionsBoundary Tracing PropagateTags"
)

func (l *loader) sam() *Stack {
	root := l.resolve(l.raw)
	l.checkKeys(root, "", "AWSTemplateFormatVersion Transform Globals Parameters Resources", "Description Outputs Metadata")
	if t := mapGet(root, "Transform"); t != nil {
		ok := false
		for _, s := range l.strList(t, "Transform") {
			if s == samTransform {
				ok = true
			} else {
				l.warn(t, "Transform", "transform %s is not supported by Ferry; ignored", s)
			}
		}
		if !ok && mapHasType(mapGet(root, "Resources"), "AWS::Serverless::") {
			l.fail(t, "AWS::Serverless resources need Transform: %s", samTransform)
		}
	}
	service := filepath.Base(l.dir)
	l.stackName = service
	l.st = &Stack{Format: FormatSAM, File: l.file, Service: service, Region: l.getRegion(root), Account: l.getAccount()}
	for _, p := range l.pairs(mapGet(root, "Parameters"), "Parameters") {
		l.checkKeys(p.Value, "Parameters."+p.Key, "Type Default", "Description AllowedValues AllowedPattern ConstraintDescription MinLength MaxLength MinValue MaxValue NoEcho")
		l.params[p.Key] = p.Value
	}
	globals := mapGet(mapGet(root, "Globals"), "Function")
	l.samGlobals = mapGet(root, "Globals")
	for _, p := range l.pairs(l.samGlobals, "Globals") {
		if p.Key == "Api" || p.Key == "HttpApi" {
			l.checkKeys(p.Value, "Globals."+p.Key, "Auth", "")
			continue
		}
		if p.Key != "Function" {
			l.warn(p.KeyN, "Globals."+p.Key, "Globals.%s is not supported by Ferry; ignored", p.Key)
		}
	}
	if globals != nil {
		l.checkKeys(globals, "Globals.Function", samFunctionKeys, samFunctionIgnored)
	}
	l.registerResources(mapGet(root, "Resources"), "Resources")
	l.buildResources()
	for _, id := range l.order {
		if r := l.res[id]; r.typ == typeSAMFunction {
			l.samFunction(r, globals)
		}
	}
	l.applyEventInvokeConfigs()
	l.samAPIKeys()
	return l.st
}

func mapHasType(n *yaml.Node, prefix string) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 1; i < len(n.Content); i += 2 {
		if t := mapGet(n.Content[i], "Type"); t != nil && strings.HasPrefix(t.Value, prefix) {
			return true
		}
	}
	return false
}

func (l *loader) samFunction(r *resource, globals *yaml.Node) {
	pp := l.resPath + "." + r.id + ".Properties"
	props := r.props
	l.checkKeys(props, pp, samFunctionKeys, samFunctionIgnored)
	pick := func(key string) (*yaml.Node, string) {
		if v := mapGet(props, key); v != nil {
			return v, join(pp, key)
		}
		return mapGet(globals, key), "Globals.Function." + key
	}
	f := Function{Key: r.id, LogicalID: r.id}
	f.Name = l.nameOf(r, r.node)
	if v, p := pick("Runtime"); v != nil {
		f.Runtime = l.runtime(v, p, f.Name)
	} else {
		l.fail(r.node, "%s: Runtime is required", pp)
	}
	if v, p := pick("Handler"); v != nil {
		f.Handler = l.str(v, p)
		if err := ferry.ValidateHandler(f.Handler); err != nil {
			l.fail(v, "%s: %s", p, ferry.ErrorMessage(err))
		}
	} else {
		l.fail(r.node, "%s: Handler is required", pp)
	}
	f.CodeDir = l.dir
	if v, p := pick("CodeUri"); v != nil {
		if v.Kind == yaml.MappingNode && !isIntrinsic(v) {
			l.fail(v, "%s: an S3 location is not supported by Ferry; use a local folder", p)
		}
		uri := l.str(v, p)
		if strings.HasPrefix(uri, "s3://") {
			l.fail(v, "%s: an S3 location is not supported by Ferry; use a local folder", p)
		}
		f.CodeDir = filepath.Join(l.dir, filepath.FromSlash(uri))
		if fi, err := os.Stat(f.CodeDir); err != nil || !fi.IsDir() {
			if runnable(f.Runtime) {
				l.fail(v, "%s: folder %q does not exist", p, uri)
			}
			f.CodeDir = l.dir // a refused function's artifact (a .jar, a .zip) is never run
		}
	}
	arch, _ := pick("Architectures")
	if runnable(f.Runtime) {
		// A refused function is not built (maven, gradle, dotnet, ...).
		l.samBuild(r, &f, arch)
	}
	f.Memory = ferry.DefaultMemoryMB
	if v, p := pick("MemorySize"); v != nil {
		f.Memory = l.int(v, p, 128, 10240)
	}
	f.Timeout = ferry.DefaultTimeout
	if v, p := pick("Timeout"); v != nil {
		f.Timeout = seconds(l.int(v, p, 1, 900))
	}
	f.Env = map[string]string{}
	for _, src := range []struct {
		n    *yaml.Node
		path string
	}{{mapGet(globals, "Environment"), "Globals.Function.Environment"}, {mapGet(props, "Environment"), pp + ".Environment"}} {
		if src.n == nil {
			continue
		}
		l.checkKeys(src.n, src.path, "Variables", "")
		for _, p := range l.pairs(mapGet(src.n, "Variables"), src.path+".Variables") {
			f.Env[p.Key] = l.str(p.Value, src.path+".Variables."+p.Key)
		}
	}
	if len(f.Env) == 0 {
		f.Env = nil
	}
	if v, p := pick("ReservedConcurrentExecutions"); v != nil {
		c := l.int(v, p, 0, 1000000)
		f.ReservedConcurrency = &c
	}
	if v, p := pick("DeadLetterQueue"); v != nil {
		l.checkKeys(v, p, "Type TargetArn", "")
		t, a := mapGet(v, "Type"), mapGet(v, "TargetArn")
		if t == nil || a == nil {
			l.fail(v, "%s needs Type and TargetArn", p)
		}
		switch typ := l.str(t, p+".Type"); typ {
		case "SQS":
			f.DeadLetterTarget = l.arn(a, p+".TargetArn", ferry.KindQueue)
		case "SNS":
			f.DeadLetterTarget = l.arn(a, p+".TargetArn", ferry.KindTopic)
		default:
			l.fail(t, "%s.Type must be SQS or SNS, got %q", p, typ)
		}
	}
	if v, p := pick("EventInvokeConfig"); v != nil {
		l.checkKeys(v, p, "MaximumRetryAttempts MaximumEventAgeInSeconds DestinationConfig", "")
		l.eventInvokeConfig(v, p, &f, true)
	}
	l.st.Functions = append(l.st.Functions, f)
	if v, p := pick("Events"); v != nil {
		l.samEvents(v, p, &f)
	}
}

// samDestination reads {Type: SQS|SNS|Lambda|EventBridge|S3Bucket, Destination}.
// Without Destination, SAM creates a queue or topic; Ferry does the same.
func (l *loader) samDestination(n *yaml.Node, path string, f *Function, cond string) string {
	l.checkKeys(n, path, "Type Destination", "")
	t := mapGet(n, "Type")
	if t == nil {
		l.fail(n, "%s needs Type", path)
	}
	typ := l.str(t, path+".Type")
	kind := map[string]string{"SQS": ferry.KindQueue, "SNS": ferry.KindTopic, "Lambda": ferry.KindFunction, "EventBridge": ferry.KindBus, "S3Bucket": ferry.KindBucket}[typ]
	if kind == ferry.KindBucket {
		l.fail(t, "%s.Type S3Bucket: Ferry has no S3 service, so a bucket cannot be a destination (use SQS, SNS, Lambda or EventBridge)", path)
	}
	if kind == "" {
		l.fail(t, "%s.Type must be SQS, SNS, Lambda or EventBridge, got %q", path, typ)
	}
	if d := mapGet(n, "Destination"); d != nil {
		return l.arn(d, path+".Destination", kind)
	}
	id := f.LogicalID + "EventInvokeConfig" + cond
	switch kind {
	case ferry.KindQueue:
		id += "Queue"
		l.addResource(&resource{id: id, typ: typeQueue, name: id}, n)
		l.st.Queues = append(l.st.Queues, Queue{Name: id, LogicalID: id})
		return l.realm().QueueARN(id)
	case ferry.KindTopic:
		id += "Topic"
		l.addResource(&resource{id: id, typ: typeTopic, name: id}, n)
		l.st.Topics = append(l.st.Topics, Topic{Name: id, LogicalID: id})
		return l.realm().TopicARN(id)
	}
	l.fail(n, "%s needs Destination for Type %s", path, typ)
	return ""
}

func (l *loader) samEvents(n *yaml.Node, path string, f *Function) {
	fnARN := l.realm().FunctionARN(f.Name)
	for _, ev := range l.pairs(n, path) {
		ep := join(path, ev.Key)
		l.checkKeys(ev.Value, ep, "Type Properties", "")
		tn := mapGet(ev.Value, "Type")
		if tn == nil {
			l.fail(ev.Value, "%s needs Type", ep)
		}
		typ := l.str(tn, ep+".Type")
		props := mapGet(ev.Value, "Properties")
		pp := ep + ".Properties"
		need := func(key string) *yaml.Node {
			v := mapGet(props, key)
			if v == nil {
				l.fail(ev.Value, "%s needs %s", pp, key)
			}
			return v
		}
		switch typ {
		case "SNS":
			l.checkKeys(props, pp, "Topic FilterPolicy FilterPolicyScope", "Region")
			s := Subscription{Protocol: "lambda", Endpoint: fnARN, Topic: l.arn(need("Topic"), pp+".Topic", ferry.KindTopic)}
			if v := mapGet(props, "FilterPolicy"); v != nil {
				s.FilterPolicy = l.json(v, pp+".FilterPolicy")
			}
			s.FilterPolicyScope = l.filterScope(mapGet(props, "FilterPolicyScope"), pp+".FilterPolicyScope")
			l.st.Subscriptions = append(l.st.Subscriptions, s)
		case "SQS":
			l.checkKeys(props, pp, "Queue BatchSize MaximumBatchingWindowInSeconds FunctionResponseTypes Enabled", "")
			t := QueueTrigger{Function: f.Name, Queue: l.queueARN(need("Queue"), pp+".Queue"), BatchSize: 10, Enabled: true}
			if v := mapGet(props, "BatchSize"); v != nil {
				t.BatchSize = l.int(v, pp+".BatchSize", 1, 10000)
			}
			if v := mapGet(props, "MaximumBatchingWindowInSeconds"); v != nil {
				t.MaximumBatchingWindow = l.int(v, pp+".MaximumBatchingWindowInSeconds", 0, 300)
			}
			if v := mapGet(props, "FunctionResponseTypes"); v != nil {
				for _, s := range l.strList(v, pp+".FunctionResponseTypes") {
					if s != "ReportBatchItemFailures" {
						l.fail(v, "%s.FunctionResponseTypes: unknown %q", pp, s)
					}
					t.ReportBatchItemFailures = true
				}
			}
			if v := mapGet(props, "Enabled"); v != nil {
				t.Enabled = l.bool(v, pp+".Enabled")
			}
			l.st.Triggers = append(l.st.Triggers, t)
		case "Api", "HttpApi":
			r := Route{Kind: RouteREST, Function: f.Name}
			if typ == "HttpApi" {
				l.checkKeys(props, pp, "Path Method PayloadFormatVersion Auth ApiId", "TimeoutInMillis")
				r.Kind, r.PayloadVersion, r.Method, r.Path = RouteHTTPAPI, "2.0", "*", "*"
				if v := mapGet(props, "PayloadFormatVersion"); v != nil {
					r.PayloadVersion = l.str(v, pp+".PayloadFormatVersion")
					if r.PayloadVersion != "1.0" && r.PayloadVersion != "2.0" {
						l.fail(v, "%s.PayloadFormatVersion must be 1.0 or 2.0", pp)
					}
				}
				if v := mapGet(props, "Path"); v != nil {
					r.Path, r.Method = normPath(l.str(v, pp+".Path")), "ANY"
				}
			} else {
				l.checkKeys(props, pp, "Path Method Auth RestApiId", "")
				r.Path = normPath(l.str(need("Path"), pp+".Path"))
				need("Method")
			}
			if v := mapGet(props, "Method"); v != nil {
				r.Method = l.method(v, pp+".Method", l.str(v, pp+".Method"))
			}
			l.samRouteAuth(props, pp, &r, typ == "HttpApi")
			r.Stage = l.samStage(props, pp, typ == "HttpApi")
			l.st.Routes = append(l.st.Routes, r)
		case "EventBridgeRule", "CloudWatchEvent":
			l.checkKeys(props, pp, "Pattern EventBusName Input InputPath InputTransformer RuleName State Target", "")
			rule := Rule{Name: f.LogicalID + ev.Key, LogicalID: f.LogicalID + ev.Key, Bus: "default", Enabled: true, Pattern: l.json(need("Pattern"), pp+".Pattern")}
			if v := mapGet(props, "RuleName"); v != nil {
				rule.Name = l.str(v, pp+".RuleName")
			}
			if v := mapGet(props, "EventBusName"); v != nil {
				rule.Bus = l.busName(v, pp+".EventBusName")
			}
			rule.Enabled = l.samState(props, pp)
			tg := Target{ID: f.LogicalID + ev.Key + "LambdaTarget", Arn: fnARN}
			if t := mapGet(props, "Target"); t != nil {
				l.checkKeys(t, pp+".Target", "Id", "")
				tg.ID = l.optStr(t, "Id", pp+".Target")
			}
			tg.Input, tg.InputPath, tg.InputTransformer = l.input(props, pp, "Input", "InputPath", "InputTransformer", "InputPathsMap", "InputTemplate")
			rule.Targets = []Target{tg}
			l.st.Rules = append(l.st.Rules, rule)
		case "Schedule":
			l.checkKeys(props, pp, "Schedule Input Enabled State Name", "Description")
			sc := Schedule{Name: f.LogicalID + ev.Key, Function: f.Name, Expression: l.schedule(need("Schedule"), pp+".Schedule")}
			if v := mapGet(props, "Name"); v != nil {
				sc.Name = l.str(v, pp+".Name")
			}
			if v := mapGet(props, "Input"); v != nil {
				sc.Input = l.json(v, pp+".Input")
			}
			sc.Enabled = l.samState(props, pp)
			l.st.Schedules = append(l.st.Schedules, sc)
		default:
			l.warn(tn, ep+".Type", "event type %s is not supported by Ferry; ignored", typ)
		}
	}
}

// samState reads Enabled (bool) or State (ENABLED/DISABLED); default enabled.
func (l *loader) samState(props *yaml.Node, pp string) bool {
	if v := mapGet(props, "Enabled"); v != nil {
		return l.bool(v, pp+".Enabled")
	}
	if v := mapGet(props, "State"); v != nil {
		switch s := l.str(v, pp+".State"); s {
		case "ENABLED":
			return true
		case "DISABLED":
			return false
		default:
			l.fail(v, "%s.State must be ENABLED or DISABLED, got %q", pp, s)
		}
	}
	return true
}
