package stack

import (
	"encoding/json"
	"strconv"

	"github.com/ferry-run/ferry"
	"go.yaml.in/yaml/v3"
)

// Resource types accepted without effect: permissions are not enforced by Ferry.
var permissionTypes = map[string]bool{
	"AWS::IAM::Role": true, "AWS::IAM::Policy": true, "AWS::IAM::ManagedPolicy": true,
	"AWS::Lambda::Permission": true, "AWS::SQS::QueuePolicy": true, "AWS::SNS::TopicPolicy": true,
	"AWS::Events::EventBusPolicy": true,
}

// registerResources records the logical ids of a Resources mapping so that
// intrinsics can refer to them before they are built.
func (l *loader) registerResources(n *yaml.Node, path string) {
	for _, p := range l.pairs(n, path) {
		rp := join(path, p.Key)
		typ := mapGet(p.Value, "Type")
		if typ == nil || typ.Kind != yaml.ScalarNode {
			l.fail(p.Value, "%s: a resource needs a Type", rp)
		}
		props := mapGet(p.Value, "Properties")
		if props != nil && !isNull(props) && props.Kind != yaml.MappingNode {
			l.fail(props, "%s.Properties must be a mapping", rp)
		}
		l.addResource(&resource{id: p.Key, typ: typ.Value, node: p.Value, props: props}, p.KeyN)
	}
}

// buildResources turns the registered AWS::* resources into the stack.
func (l *loader) buildResources() {
	for _, id := range l.order {
		r := l.res[id]
		if r.node == nil {
			continue
		}
		path := l.resPath + "." + id
		l.checkKeys(r.node, path, "Type Properties Condition", "DependsOn DeletionPolicy UpdateReplacePolicy Metadata")
		if c := mapGet(r.node, "Condition"); c != nil {
			l.warn(c, path+".Condition", "conditions are not supported by Ferry; the resource is always created")
		}
		pp := path + ".Properties"
		switch {
		case r.typ == typeQueue:
			l.buildQueue(r, pp)
		case r.typ == typeTopic:
			l.buildTopic(r, pp)
		case r.typ == typeSubscription:
			l.checkKeys(r.props, pp, "TopicArn Protocol Endpoint FilterPolicy FilterPolicyScope RawMessageDelivery RedrivePolicy", "Region")
			l.st.Subscriptions = append(l.st.Subscriptions, l.subscription(r.props, pp, id))
		case r.typ == typeBus:
			l.checkKeys(r.props, pp, "Name", "Tags Description")
			name := l.nameOf(r, r.node)
			if name == "default" {
				l.fail(r.node, "%s: the default event bus exists already", path)
			}
			l.st.Buses = append(l.st.Buses, Bus{Name: name, LogicalID: id})
		case r.typ == typeRule:
			l.buildRule(r, pp)
		case r.typ == typeLambda:
			// generated for a serverless function; built from functions:
		case r.typ == typeSAMFunction:
			// built by sam()
		case r.typ == "AWS::Lambda::EventInvokeConfig":
			// applied after the functions are built
		case r.typ == typeSAMApi || r.typ == typeSAMHttpApi:
			l.buildSAMApi(r, pp)
		case r.typ == typeAPIKey:
			l.buildAPIKey(r, pp)
		case permissionTypes[r.typ]:
		default:
			l.warn(mapGet(r.node, "Type"), path+".Type", "resource type %s is not supported by Ferry; ignored", r.typ)
		}
	}
}

func (l *loader) buildQueue(r *resource, pp string) {
	l.checkKeys(r.props, pp, "QueueName VisibilityTimeout MessageRetentionPeriod DelaySeconds MaximumMessageSize ReceiveMessageWaitTimeSeconds RedrivePolicy", "Tags SqsManagedSseEnabled")
	q := Queue{Name: l.nameOf(r, r.node), LogicalID: r.id, Attributes: map[string]string{}}
	ranges := []struct {
		key      string
		min, max int
	}{
		{"VisibilityTimeout", 0, 43200},
		{"MessageRetentionPeriod", 60, 1209600},
		{"DelaySeconds", 0, 900},
		{"MaximumMessageSize", 1024, 1048576},
		{"ReceiveMessageWaitTimeSeconds", 0, 20},
	}
	for _, rg := range ranges {
		if v := mapGet(r.props, rg.key); v != nil {
			q.Attributes[rg.key] = strconv.Itoa(l.int(v, join(pp, rg.key), rg.min, rg.max))
		}
	}
	if v := mapGet(r.props, "RedrivePolicy"); v != nil {
		q.Attributes["RedrivePolicy"] = l.redrivePolicy(v, join(pp, "RedrivePolicy"), true)
	}
	if len(q.Attributes) == 0 {
		q.Attributes = nil
	}
	l.st.Queues = append(l.st.Queues, q)
}

// redrivePolicy evaluates {deadLetterTargetArn, maxReceiveCount} (a mapping
// or JSON text) to JSON with the ARN resolved.
func (l *loader) redrivePolicy(n *yaml.Node, path string, queue bool) string {
	if n.Kind == yaml.ScalarNode {
		s := l.str(n, path)
		var v struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			l.fail(n, "%s is not valid JSON: %v", path, err)
		}
		node := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
		node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "deadLetterTargetArn"},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.DeadLetterTargetArn, Line: n.Line, Column: n.Column})
		if v.MaxReceiveCount != nil {
			b, _ := json.Marshal(v.MaxReceiveCount)
			node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "maxReceiveCount"},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(b), Line: n.Line, Column: n.Column})
		}
		n = node
	}
	if queue {
		l.checkKeys(n, path, "deadLetterTargetArn maxReceiveCount", "")
	} else {
		l.checkKeys(n, path, "deadLetterTargetArn", "")
	}
	t := mapGet(n, "deadLetterTargetArn")
	if t == nil {
		l.fail(n, "%s needs deadLetterTargetArn", path)
	}
	out := map[string]any{"deadLetterTargetArn": l.arn(t, join(path, "deadLetterTargetArn"), ferry.KindQueue)}
	if queue {
		c := mapGet(n, "maxReceiveCount")
		if c == nil {
			l.fail(n, "%s needs maxReceiveCount", path)
		}
		out["maxReceiveCount"] = l.int(c, join(path, "maxReceiveCount"), 1, 1000)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func (l *loader) buildTopic(r *resource, pp string) {
	l.checkKeys(r.props, pp, "TopicName DisplayName Subscription", "Tags")
	t := Topic{Name: l.nameOf(r, r.node), LogicalID: r.id, DisplayName: l.optStr(r.props, "DisplayName", pp)}
	arn := l.realm().TopicARN(t.Name)
	for i, s := range l.items(mapGet(r.props, "Subscription"), join(pp, "Subscription")) {
		sp := join(pp, "Subscription") + "[" + strconv.Itoa(i) + "]"
		l.checkKeys(s, sp, "Protocol Endpoint", "")
		sub := Subscription{Topic: arn}
		sub.Protocol, sub.Endpoint = l.endpoint(s, sp)
		l.st.Subscriptions = append(l.st.Subscriptions, sub)
	}
	l.st.Topics = append(l.st.Topics, t)
}

// endpoint evaluates the Protocol and Endpoint of a subscription.
func (l *loader) endpoint(n *yaml.Node, path string) (protocol, endpoint string) {
	pn, en := mapGet(n, "Protocol"), mapGet(n, "Endpoint")
	if pn == nil || en == nil {
		l.fail(n, "%s needs Protocol and Endpoint", path)
	}
	protocol = l.str(pn, join(path, "Protocol"))
	switch protocol {
	case "lambda":
		endpoint = l.arn(en, join(path, "Endpoint"), ferry.KindFunction)
	case "sqs":
		endpoint = l.arn(en, join(path, "Endpoint"), ferry.KindQueue)
	case "http", "https":
		endpoint = l.str(en, join(path, "Endpoint"))
	default:
		l.fail(pn, "%s: protocol %q is not supported by Ferry (lambda, sqs, http, https)", join(path, "Protocol"), protocol)
	}
	return protocol, endpoint
}

// subscription builds an AWS::SNS::Subscription.
func (l *loader) subscription(props *yaml.Node, pp, id string) Subscription {
	ta := mapGet(props, "TopicArn")
	if ta == nil {
		l.fail(props, "%s needs TopicArn", pp)
	}
	s := Subscription{LogicalID: id, Topic: l.arn(ta, join(pp, "TopicArn"), ferry.KindTopic)}
	s.Protocol, s.Endpoint = l.endpoint(props, pp)
	if v := mapGet(props, "FilterPolicy"); v != nil {
		s.FilterPolicy = l.json(v, join(pp, "FilterPolicy"))
	}
	s.FilterPolicyScope = l.filterScope(mapGet(props, "FilterPolicyScope"), join(pp, "FilterPolicyScope"))
	if v := mapGet(props, "RawMessageDelivery"); v != nil {
		s.RawMessageDelivery = l.bool(v, join(pp, "RawMessageDelivery"))
	}
	if v := mapGet(props, "RedrivePolicy"); v != nil {
		s.RedrivePolicy = l.redrivePolicy(v, join(pp, "RedrivePolicy"), false)
	}
	return s
}

func (l *loader) filterScope(n *yaml.Node, path string) string {
	if n == nil {
		return ""
	}
	s := l.str(n, path)
	if s != "MessageAttributes" && s != "MessageBody" {
		l.fail(n, "%s must be MessageAttributes or MessageBody, got %q", path, s)
	}
	return s
}

func (l *loader) buildRule(r *resource, pp string) {
	l.checkKeys(r.props, pp, "Name EventBusName EventPattern ScheduleExpression State Targets", "Description RoleArn")
	rule := Rule{Name: l.nameOf(r, r.node), LogicalID: r.id, Bus: l.ruleBus(r), Enabled: true}
	if v := mapGet(r.props, "EventPattern"); v != nil {
		rule.Pattern = l.json(v, join(pp, "EventPattern"))
	}
	if v := mapGet(r.props, "ScheduleExpression"); v != nil {
		rule.ScheduleExpression = l.schedule(v, join(pp, "ScheduleExpression"))
	}
	if v := mapGet(r.props, "State"); v != nil {
		switch s := l.str(v, join(pp, "State")); s {
		case "ENABLED":
		case "DISABLED":
			rule.Enabled = false
		default:
			l.fail(v, "%s must be ENABLED or DISABLED, got %q", join(pp, "State"), s)
		}
	}
	if rule.Pattern == "" && rule.ScheduleExpression == "" {
		l.fail(r.node, "%s needs EventPattern or ScheduleExpression", pp)
	}
	for i, t := range l.items(mapGet(r.props, "Targets"), join(pp, "Targets")) {
		tp := join(pp, "Targets") + "[" + strconv.Itoa(i) + "]"
		l.checkKeys(t, tp, "Id Arn Input InputPath InputTransformer", "RoleArn")
		id, arn := mapGet(t, "Id"), mapGet(t, "Arn")
		if id == nil || arn == nil {
			l.fail(t, "%s needs Id and Arn", tp)
		}
		tg := Target{ID: l.str(id, join(tp, "Id")), Arn: l.arn(arn, join(tp, "Arn"), ferry.KindFunction, ferry.KindQueue, ferry.KindTopic, ferry.KindBus)}
		tg.Input, tg.InputPath, tg.InputTransformer = l.input(t, tp, "Input", "InputPath", "InputTransformer", "InputPathsMap", "InputTemplate")
		rule.Targets = append(rule.Targets, tg)
	}
	l.st.Rules = append(l.st.Rules, rule)
}

// input evaluates the Input/InputPath/InputTransformer keys (named per file
// format) of a target.
func (l *loader) input(n *yaml.Node, path, inKey, pathKey, trKey, mapKey, tmplKey string) (string, string, *InputTransformer) {
	var in, inPath string
	if v := mapGet(n, inKey); v != nil {
		in = l.json(v, join(path, inKey))
	}
	if v := mapGet(n, pathKey); v != nil {
		inPath = l.str(v, join(path, pathKey))
	}
	v := mapGet(n, trKey)
	if v == nil {
		return in, inPath, nil
	}
	tp := join(path, trKey)
	l.checkKeys(v, tp, mapKey+" "+tmplKey, "")
	tmpl := mapGet(v, tmplKey)
	if tmpl == nil {
		l.fail(v, "%s needs %s", tp, tmplKey)
	}
	tr := &InputTransformer{InputTemplate: l.str(tmpl, join(tp, tmplKey))}
	for _, p := range l.pairs(mapGet(v, mapKey), join(tp, mapKey)) {
		if tr.InputPathsMap == nil {
			tr.InputPathsMap = map[string]string{}
		}
		tr.InputPathsMap[p.Key] = l.str(p.Value, join(tp, mapKey+"."+p.Key))
	}
	return in, inPath, tr
}

// schedule evaluates a rate(...) or cron(...) expression.
func (l *loader) schedule(n *yaml.Node, path string) string {
	s := l.str(n, path)
	if !validSchedule(s) {
		l.fail(n, "%s: %q is not rate(...) or cron(...)", path, s)
	}
	return s
}

// applyEventInvokeConfigs applies AWS::Lambda::EventInvokeConfig resources.
func (l *loader) applyEventInvokeConfigs() {
	for _, id := range l.order {
		r := l.res[id]
		if r.typ != "AWS::Lambda::EventInvokeConfig" || r.node == nil {
			continue
		}
		pp := l.resPath + "." + id + ".Properties"
		l.checkKeys(r.props, pp, "FunctionName Qualifier MaximumRetryAttempts MaximumEventAgeInSeconds DestinationConfig", "")
		fnN := mapGet(r.props, "FunctionName")
		if fnN == nil {
			l.fail(r.node, "%s needs FunctionName", pp)
		}
		name := l.str(fnN, join(pp, "FunctionName"))
		f, ok := l.st.Function(name)
		if !ok {
			l.fail(fnN, "%s: function %q is not in this stack", join(pp, "FunctionName"), name)
		}
		if q := mapGet(r.props, "Qualifier"); q != nil {
			if s := l.str(q, join(pp, "Qualifier")); s != ferry.LatestVersion {
				l.fail(q, "%s: only $LATEST is supported by Ferry, got %q", join(pp, "Qualifier"), s)
			}
		}
		l.eventInvokeConfig(r.props, pp, f, false)
	}
}

// eventInvokeConfig reads MaximumRetryAttempts, MaximumEventAgeInSeconds and
// DestinationConfig (CloudFormation and SAM spelling) into f.
func (l *loader) eventInvokeConfig(n *yaml.Node, path string, f *Function, sam bool) {
	if v := mapGet(n, "MaximumRetryAttempts"); v != nil {
		r := l.int(v, join(path, "MaximumRetryAttempts"), 0, 2)
		f.Async.MaximumRetryAttempts = &r
	}
	if v := mapGet(n, "MaximumEventAgeInSeconds"); v != nil {
		f.Async.MaximumEventAge = seconds(l.int(v, join(path, "MaximumEventAgeInSeconds"), 60, 21600))
	}
	dc := mapGet(n, "DestinationConfig")
	if dc == nil {
		return
	}
	dp := join(path, "DestinationConfig")
	l.checkKeys(dc, dp, "OnSuccess OnFailure", "")
	for _, cond := range []string{"OnSuccess", "OnFailure"} {
		d := mapGet(dc, cond)
		if d == nil {
			continue
		}
		cp := join(dp, cond)
		var arn string
		if sam {
			arn = l.samDestination(d, cp, f, cond)
		} else {
			l.checkKeys(d, cp, "Destination", "")
			dn := mapGet(d, "Destination")
			if dn == nil {
				l.fail(d, "%s needs Destination", cp)
			}
			arn = l.destinationARN(dn, join(cp, "Destination"), cond)
		}
		if cond == "OnSuccess" {
			f.Async.OnSuccess = arn
		} else {
			f.Async.OnFailure = arn
		}
	}
}

// destinationARN evaluates a destination ARN: a function, queue, topic or
// bus. An S3 bucket (which AWS allows on failure) is refused by name: Ferry
// has no S3 service to deliver to.
func (l *loader) destinationARN(n *yaml.Node, path, cond string) string {
	return l.arn(n, path, ferry.KindFunction, ferry.KindQueue, ferry.KindTopic, ferry.KindBus)
}
