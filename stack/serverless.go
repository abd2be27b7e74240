package stack

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/ferry-run/ferry"
	"go.yaml.in/yaml/v3"
)

// Serverless Framework defaults for a function.
const (
	slsDefaultMemory  = 1024
	slsDefaultTimeout = 6 * time.Second
)

// Plugins whose configuration Ferry reads, or that change nothing locally.
var knownPlugins = map[string]bool{
	"serverless-apigateway-service-proxy": true,
	"serverless-pseudo-parameters":        true,
	"serverless-offline":                  true,
	"serverless-iam-roles-per-function":   true,
	"serverless-esbuild":                  true,
}

// defaultCORSHeaders are the headers `cors: true` allows.
var defaultCORSHeaders = []string{"Content-Type", "X-Amz-Date", "Authorization", "X-Api-Key", "X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id"}

// slsFunc is a function of a serverless file while it is built.
type slsFunc struct {
	key  string
	node *yaml.Node
	res  *resource
}

func (l *loader) serverless() *Stack {
	root := l.resolve(l.raw)
	l.checkKeys(root, "", "service provider functions resources custom plugins",
		"frameworkVersion configValidationMode variablesResolutionMode deprecationNotificationMode disabledDeprecations org app console dashboard package outputs")
	svcN := mapGet(root, "service")
	if svcN.Kind == yaml.MappingNode {
		svcN = mapGet(svcN, "name")
		if svcN == nil {
			l.fail(mapGet(root, "service"), "service needs a name")
		}
	}
	service := l.str(svcN, "service")
	if service == "" {
		l.fail(svcN, "service must not be empty")
	}
	provider := mapGet(root, "provider")
	if provider == nil {
		l.fail(root, "provider is required")
	}
	if n := mapGet(provider, "name"); n == nil || l.str(n, "provider.name") != "aws" {
		l.fail(provider, "provider.name must be aws")
	}
	l.checkKeys(provider, "provider", "name runtime memorySize timeout environment stage region apiGateway httpApi stackName",
		"profile deploymentBucket deploymentMethod deploymentPrefix iam iamRoleStatements iamManagedPolicies role cfnRole rolePermissionsBoundary stackTags tags stackPolicy logRetentionInDays versionFunctions architecture lambdaHashingVersion runtimeManagement disableRollback notificationArns eventBridge")
	stage := l.getStage(root)
	l.st = &Stack{Format: FormatServerless, File: l.file, Service: service, Stage: stage, Region: l.getRegion(root), Account: l.getAccount()}
	l.stackName = service + "-" + stage
	if v := mapGet(provider, "stackName"); v != nil {
		l.stackName = l.str(v, "provider.stackName")
	}
	l.plugins(mapGet(root, "plugins"))
	if ag := mapGet(provider, "apiGateway"); ag != nil {
		l.checkKeys(ag, "provider.apiGateway", "apiKeys", "shouldStartNameWithService description metrics")
		l.slsAPIKeys(mapGet(ag, "apiKeys"), "provider.apiGateway.apiKeys")
	}
	httpAPI := mapGet(provider, "httpApi")
	if httpAPI != nil {
		l.checkKeys(httpAPI, "provider.httpApi", "cors payload authorizers", "name disableDefaultEndpoint metrics useProviderTags")
	}

	// Register every logical id first: intrinsics may refer to any of them.
	var fns []*slsFunc
	for _, p := range l.pairs(mapGet(root, "functions"), "functions") {
		path := "functions." + p.Key
		if p.Value.Kind != yaml.MappingNode {
			l.fail(p.Value, "%s must be a mapping", path)
		}
		name := service + "-" + stage + "-" + p.Key
		if v := mapGet(p.Value, "name"); v != nil {
			name = l.str(v, path+".name")
		}
		r := &resource{id: normalizeFunctionName(p.Key) + "LambdaFunction", typ: typeLambda, name: name}
		l.addResource(r, p.KeyN)
		fns = append(fns, &slsFunc{key: p.Key, node: p.Value, res: r})
	}
	l.slsResources(mapGet(root, "resources"))
	generated := l.eventTopics(fns)
	l.buildResources()
	for _, r := range generated {
		l.st.Topics = append(l.st.Topics, Topic{Name: r.name, LogicalID: r.id})
	}
	providerEnv := map[string]string{}
	for _, p := range l.pairs(mapGet(provider, "environment"), "provider.environment") {
		providerEnv[p.Key] = l.str(p.Value, "provider.environment."+p.Key)
	}
	for _, f := range fns {
		l.slsFunction(f, fns, provider, httpAPI, providerEnv)
	}
	l.applyEventInvokeConfigs()
	if custom := mapGet(root, "custom"); custom != nil {
		l.serviceProxies(mapGet(custom, "apiGatewayServiceProxies"))
	}
	return l.st
}

// normalizeFunctionName is the Serverless Framework's logical id prefix of a function.
func normalizeFunctionName(key string) string {
	s := strings.NewReplacer("-", "Dash", "_", "Underscore").Replace(key)
	return upperFirst(s)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// alphaNumeric is the Serverless Framework's normalizeNameToAlphaNumericOnly.
func alphaNumeric(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return upperFirst(b.String())
}

func (l *loader) plugins(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		l.checkKeys(n, "plugins", "modules", "localPath")
		n = mapGet(n, "modules")
	}
	for i, p := range l.items(n, "plugins") {
		name := l.str(p, fmt.Sprintf("plugins[%d]", i))
		if !knownPlugins[name] {
			l.warn(p, fmt.Sprintf("plugins[%d]", i), "plugin %s is not supported by Ferry; ignored", name)
		}
	}
}

// slsResources registers resources.Resources (a mapping, or a list of them).
func (l *loader) slsResources(n *yaml.Node) {
	if n == nil {
		return
	}
	parts := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		parts = n.Content
	}
	for _, part := range parts {
		l.checkKeys(part, "resources", "Resources", "Outputs Description AWSTemplateFormatVersion")
		l.registerResources(mapGet(part, "Resources"), "resources.Resources")
	}
}

// eventTopics registers the topics the Serverless Framework creates for sns
// events given by topic name.
func (l *loader) eventTopics(fns []*slsFunc) []*resource {
	var out []*resource
	for _, f := range fns {
		for i, ev := range l.items(mapGet(f.node, "events"), "functions."+f.key+".events") {
			sns := mapGet(ev, "sns")
			if sns == nil || ev.Kind != yaml.MappingNode || len(ev.Content) != 2 {
				continue
			}
			path := fmt.Sprintf("functions.%s.events[%d].sns", f.key, i)
			var name string
			if sns.Kind == yaml.MappingNode {
				if mapGet(sns, "arn") != nil {
					continue
				}
				tn := mapGet(sns, "topicName")
				if tn == nil {
					l.fail(sns, "%s needs arn or topicName", path)
				}
				name = l.str(tn, path+".topicName")
			} else if name = l.str(sns, path); strings.HasPrefix(name, "arn:") {
				continue
			}
			if l.topicNamed(name) != nil {
				continue
			}
			r := &resource{id: "SNSTopic" + alphaNumeric(name), typ: typeTopic, name: name}
			if !ferry.ValidResourceName(name) {
				l.fail(sns, "%s: invalid topic name %q", path, name)
			}
			l.addResource(r, sns)
			out = append(out, r)
		}
	}
	return out
}

// topicNamed finds a topic resource by physical name.
func (l *loader) topicNamed(name string) *resource {
	for _, id := range l.order {
		if r := l.res[id]; r.typ == typeTopic && l.nameOf(r, r.node) == name {
			return r
		}
	}
	return nil
}

func (l *loader) slsFunction(sf *slsFunc, fns []*slsFunc, provider, httpAPI *yaml.Node, providerEnv map[string]string) {
	n, path := sf.node, "functions."+sf.key
	l.checkKeys(n, path, "handler runtime memorySize timeout environment reservedConcurrency maximumRetryAttempts maximumEventAge destinations onError events name package",
		"description tags role iamRoleStatements iamRoleStatementsName iamRoleStatementsInherit architecture logRetentionInDays disableLogs dependsOn kmsKeyArn ephemeralStorageSize")
	if pkg := mapGet(n, "package"); pkg != nil {
		l.checkKeys(pkg, path+".package", "", "individually patterns include exclude")
	}
	f := Function{Key: sf.key, LogicalID: sf.res.id}
	f.Name = sf.res.name
	f.CodeDir = l.dir
	pick := func(key string) (*yaml.Node, string) {
		if v := mapGet(n, key); v != nil {
			return v, path + "." + key
		}
		return mapGet(provider, key), "provider." + key
	}
	if v, p := pick("runtime"); v != nil {
		f.Runtime = l.runtime(v, p, f.Name)
	} else {
		l.fail(n, "%s: runtime is required (in the function or in provider)", path)
	}
	if v := mapGet(n, "handler"); v != nil {
		f.Handler = l.str(v, path+".handler")
		if err := ferry.ValidateHandler(f.Handler); err != nil {
			l.fail(v, "%s.handler: %s", path, ferry.ErrorMessage(err))
		}
	} else {
		l.fail(n, "%s: handler is required", path)
	}
	l.slsEsbuild(&f, n)
	f.Memory = slsDefaultMemory
	if v, p := pick("memorySize"); v != nil {
		f.Memory = l.int(v, p, 128, 10240)
	}
	f.Timeout = slsDefaultTimeout
	if v, p := pick("timeout"); v != nil {
		f.Timeout = seconds(l.int(v, p, 1, 900))
	}
	f.Env = map[string]string{}
	for k, v := range providerEnv {
		f.Env[k] = v
	}
	for _, p := range l.pairs(mapGet(n, "environment"), path+".environment") {
		f.Env[p.Key] = l.str(p.Value, path+".environment."+p.Key)
	}
	if len(f.Env) == 0 {
		f.Env = nil
	}
	if v := mapGet(n, "reservedConcurrency"); v != nil {
		c := l.int(v, path+".reservedConcurrency", 0, 1000000)
		f.ReservedConcurrency = &c
	}
	if v := mapGet(n, "maximumRetryAttempts"); v != nil {
		r := l.int(v, path+".maximumRetryAttempts", 0, 2)
		f.Async.MaximumRetryAttempts = &r
	}
	if v := mapGet(n, "maximumEventAge"); v != nil {
		f.Async.MaximumEventAge = seconds(l.int(v, path+".maximumEventAge", 60, 21600))
	}
	if d := mapGet(n, "destinations"); d != nil {
		l.checkKeys(d, path+".destinations", "onSuccess onFailure", "")
		if v := mapGet(d, "onSuccess"); v != nil {
			f.Async.OnSuccess = l.slsDestination(v, path+".destinations.onSuccess", "onSuccess", fns)
		}
		if v := mapGet(d, "onFailure"); v != nil {
			f.Async.OnFailure = l.slsDestination(v, path+".destinations.onFailure", "onFailure", fns)
		}
	}
	if v := mapGet(n, "onError"); v != nil {
		f.DeadLetterTarget = l.arn(v, path+".onError", ferry.KindQueue, ferry.KindTopic)
	}
	l.st.Functions = append(l.st.Functions, f)
	l.slsEvents(sf, f.Name, httpAPI)
}

// slsDestination evaluates a destination: an ARN, a function key of this
// service, or {type, arn}.
func (l *loader) slsDestination(n *yaml.Node, path, cond string, fns []*slsFunc) string {
	if _, _, isFn := intrinsic(n); !isFn && n.Kind == yaml.MappingNode {
		l.checkKeys(n, path, "type arn", "")
		t, a := mapGet(n, "type"), mapGet(n, "arn")
		if t == nil || a == nil {
			l.fail(n, "%s needs type and arn", path)
		}
		kind := map[string]string{"sqs": ferry.KindQueue, "sns": ferry.KindTopic, "eventBus": ferry.KindBus, "function": ferry.KindFunction}
		typ := l.str(t, path+".type")
		k, ok := kind[typ]
		if !ok {
			l.fail(t, "%s.type must be sqs, sns, eventBus or function, got %q", path, typ)
		}
		return l.arn(a, path+".arn", k)
	}
	s := l.str(n, path)
	if strings.HasPrefix(s, "arn:") {
		return l.destinationARN(n, path, cond)
	}
	for _, f := range fns {
		if f.key == s || f.res.name == s {
			return l.realm().FunctionARN(f.res.name)
		}
	}
	hint := ""
	if strings.HasPrefix(s, "http") {
		hint = " (Ref of a queue is its URL; use Fn::GetAtt <Queue>.Arn)"
	}
	l.fail(n, "%s: %q is neither an ARN nor a function of this service%s", path, s, hint)
	return ""
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }
