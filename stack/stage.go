package stack

import "go.yaml.in/yaml/v3"

// StageDefault is the stage of an HTTP API served at the root.
const StageDefault = "$default"

// SAM's implicit REST API (ServerlessRestApi) is deployed to the stage Prod.
const samImplicitStage = "Prod"

// samStage is the stage of the API a SAM Api or HttpApi event belongs to:
// the StageName of the API its RestApiId/ApiId names, Prod for the
// implicit REST API and $default for the implicit HTTP API.
func (l *loader) samStage(props *yaml.Node, pp string, http bool) string {
	idKey, def := "RestApiId", samImplicitStage
	if http {
		idKey, def = "ApiId", StageDefault
	}
	n := mapGet(props, idKey)
	if n == nil {
		return def
	}
	_, arg, _ := intrinsic(n) // checked by samAPIAuth
	r, ok := l.res[arg.Value]
	if !ok {
		return def
	}
	if v := mapGet(r.props, "StageName"); v != nil {
		if s := l.str(v, l.resPath+"."+r.id+".Properties.StageName"); s != "" {
			return s
		}
	}
	if !http {
		l.fail(r.node, "%s.%s.Properties.StageName is required for an AWS::Serverless::Api", l.resPath, r.id)
	}
	return StageDefault
}

// setRouteStages gives each route without a stage its API's: the
// stack's stage for a Serverless Framework REST API (served under /STAGE
// on AWS), $default for an HTTP API.
func (s *Stack) setRouteStages() {
	for i := range s.Routes {
		r := &s.Routes[i]
		switch {
		case r.Stage != "":
		case r.Kind == RouteHTTPAPI:
			r.Stage = StageDefault
		default:
			r.Stage = s.Stage
		}
	}
}
