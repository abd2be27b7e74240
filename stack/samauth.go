package stack

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// SAM API resource types whose Auth Ferry reads.
const (
	typeSAMApi     = "AWS::Serverless::Api"
	typeSAMHttpApi = "AWS::Serverless::HttpApi"
	typeAPIKey     = "AWS::ApiGateway::ApiKey"
)

// Keys of an AWS::Serverless::Api / HttpApi Auth, and of an event's Auth.
const (
	samRESTAuthKeys    = "ApiKeyRequired DefaultAuthorizer Authorizers UsagePlan ResourcePolicy AddDefaultAuthorizerToCorsPreflight AddApiKeyRequiredToCorsPreflight"
	samHTTPAuthKeys    = "Authorizers DefaultAuthorizer EnableIamAuthorizer"
	samRESTEventAuth   = "ApiKeyRequired Authorizer AuthorizationScopes ResourcePolicy"
	samHTTPEventAuth   = "Authorizer AuthorizationScopes"
	samAPIIgnoredProps = "Name Description Tags"
)

// buildSAMApi checks an AWS::Serverless::Api or HttpApi resource; its Auth
// is read by the routes that use the API.
func (l *loader) buildSAMApi(r *resource, pp string) {
	l.checkKeys(r.props, pp, "Auth StageName", samAPIIgnoredProps)
	if a := mapGet(r.props, "Auth"); a != nil {
		keys := samRESTAuthKeys
		if r.typ == typeSAMHttpApi {
			keys = samHTTPAuthKeys
		}
		l.checkKeys(a, pp+".Auth", keys, "InvokeRole")
	}
}

// buildAPIKey reads an AWS::ApiGateway::ApiKey.
func (l *loader) buildAPIKey(r *resource, pp string) {
	l.checkKeys(r.props, pp, "Name Value Enabled", "Description CustomerId GenerateDistinctId StageKeys Tags")
	if v := mapGet(r.props, "Enabled"); v != nil && !l.bool(v, pp+".Enabled") {
		return
	}
	k := APIKey{Name: r.id}
	if v := mapGet(r.props, "Name"); v != nil {
		k.Name = l.str(v, pp+".Name")
	}
	if v := mapGet(r.props, "Value"); v != nil {
		k.Value = l.str(v, pp+".Value")
		if len(k.Value) < 20 || len(k.Value) > 128 {
			l.fail(v, "%s.Value must be 20 to 128 characters, as API Gateway requires", pp)
		}
	}
	l.addAPIKey(r.node, pp, k)
}

// samAPIAuth finds the Auth of the API an event belongs to: the resource
// named by RestApiId/ApiId, or Globals.Api/HttpApi for the implicit API.
// It returns the API's logical id too.
func (l *loader) samAPIAuth(props *yaml.Node, pp string, http bool) (*yaml.Node, string, string) {
	idKey, want, global, implicit := "RestApiId", typeSAMApi, "Api", "ServerlessRestApi"
	if http {
		idKey, want, global, implicit = "ApiId", typeSAMHttpApi, "HttpApi", "ServerlessHttpApi"
	}
	n := mapGet(props, idKey)
	if n == nil {
		g := mapGet(l.samGlobals, global)
		return mapGet(g, "Auth"), "Globals." + global + ".Auth", implicit
	}
	name, arg, ok := intrinsic(n)
	if !ok || name != "Ref" || arg.Kind != yaml.ScalarNode {
		l.fail(n, "%s.%s must be !Ref of an %s of this template", pp, idKey, want)
	}
	r, found := l.res[arg.Value]
	if !found || r.typ != want {
		l.fail(n, "%s.%s: %q is not an %s of this template", pp, idKey, arg.Value, want)
	}
	return mapGet(r.props, "Auth"), l.resPath + "." + r.id + ".Properties.Auth", r.id
}

// samRouteAuth applies the event's and its API's Auth to r: API keys are
// honoured, JWT authorizers of an HTTP API are honoured, everything else is
// refused.
func (l *loader) samRouteAuth(props *yaml.Node, pp string, r *Route, http bool) {
	apiAuth, ap, apiID := l.samAPIAuth(props, pp, http)
	evAuth := mapGet(props, "Auth")
	ep := pp + ".Auth"
	if evAuth != nil {
		keys := samRESTEventAuth
		if http {
			keys = samHTTPEventAuth
		}
		l.checkKeys(evAuth, ep, keys, "InvokeRole")
	}
	for _, a := range []struct {
		n *yaml.Node
		p string
	}{{apiAuth, ap}, {evAuth, ep}} {
		if v := mapGet(a.n, "ResourcePolicy"); v != nil {
			l.refuseAuth(v, a.p+".ResourcePolicy", routeName(*r), "a resource policy")
		}
	}
	if !http {
		if v := mapGet(evAuth, "ApiKeyRequired"); v != nil {
			r.APIKeyRequired = l.bool(v, ep+".ApiKeyRequired")
		} else if v := mapGet(apiAuth, "ApiKeyRequired"); v != nil {
			r.APIKeyRequired = l.bool(v, ap+".ApiKeyRequired")
		}
		if r.APIKeyRequired {
			l.needAPIKey = append(l.needAPIKey, apiID+"ApiKey")
		}
	}
	an, apath := mapGet(evAuth, "Authorizer"), ep+".Authorizer"
	if an == nil {
		an, apath = mapGet(apiAuth, "DefaultAuthorizer"), ap+".DefaultAuthorizer"
	}
	if an == nil {
		return
	}
	name := l.str(an, apath)
	switch name {
	case "NONE":
		return
	case "AWS_IAM":
		l.refuseAuth(an, apath, routeName(*r), "the AWS_IAM authorizer")
	}
	defs := mapGet(apiAuth, "Authorizers")
	def := mapGet(defs, name)
	if def == nil {
		l.fail(an, "%s: route %s: authorizer %q is not defined in %s.Authorizers", apath, routeName(*r), name, ap)
	}
	dp := ap + ".Authorizers." + name
	if !http {
		what := fmt.Sprintf("the Lambda authorizer %q (%s:%d)", name, l.file, def.Line)
		if mapGet(def, "UserPoolArn") != nil {
			what = fmt.Sprintf("the Cognito user pool authorizer %q (%s:%d)", name, l.file, def.Line)
		}
		l.refuseAuth(an, apath, routeName(*r), what)
	}
	cfg := mapGet(def, "JwtConfiguration")
	if cfg == nil {
		l.refuseAuth(an, apath, routeName(*r), fmt.Sprintf("the Lambda authorizer %q (%s:%d)", name, l.file, def.Line))
	}
	l.checkKeys(def, dp, "JwtConfiguration IdentitySource AuthorizationScopes", "")
	l.checkKeys(cfg, dp+".JwtConfiguration", "issuer audience", "")
	var scopes []string
	if v := mapGet(def, "AuthorizationScopes"); v != nil {
		scopes = l.strList(v, dp+".AuthorizationScopes")
	}
	if v := mapGet(evAuth, "AuthorizationScopes"); v != nil {
		scopes = l.strList(v, ep+".AuthorizationScopes")
	}
	r.Authorizer = l.jwtAuthorizer(cfg, dp+".JwtConfiguration", name, "issuer", "audience", mapGet(def, "IdentitySource"), dp+".IdentitySource", scopes)
}

// samAPIKeys gives every API whose routes need a key one generated key when
// the template declares no AWS::ApiGateway::ApiKey (SAM's UsagePlan creates
// "<Api>ApiKey").
func (l *loader) samAPIKeys() {
	if len(l.st.APIKeys) > 0 {
		return
	}
	seen := map[string]bool{}
	for _, name := range l.needAPIKey {
		if !seen[name] {
			seen[name] = true
			l.st.APIKeys = append(l.st.APIKeys, APIKey{Name: name})
		}
	}
}
