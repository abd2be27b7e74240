package gateway

import "strings"

// stageOf is the stage of r's API: r.Stage, else the gateway's stage for a
// REST route and $default for an HTTP API route.
func (g *Gateway) stageOf(r Route) string {
	switch {
	case r.Stage != "":
		return r.Stage
	case r.Kind == KindHTTPAPI:
		return v2Stage
	}
	return g.opts.Stage
}

// findStaged routes a request. API Gateway serves an API whose stage is
// not $default under /STAGE (/Prod/hello for a SAM API); a request whose
// path starts with the stage of the route it then matches is routed as
// API Gateway would. Ferry serves every route at the root as well.
func (t *table) findStaged(method, path string) lookup {
	if rest, ok := strings.CutPrefix(path, "/"); ok {
		stage, sub, _ := strings.Cut(rest, "/")
		if stage != "" && stage != v2Stage && t.hasStage(stage) {
			if l := t.find(method, "/"+sub); l.route != nil && !l.route.isDef && l.route.stage == stage {
				l.stagePrefix = "/" + stage
				return l
			}
		}
	}
	return t.find(method, path)
}

func (t *table) hasStage(stage string) bool {
	for _, c := range t.routes {
		if c.stage == stage {
			return true
		}
	}
	return false
}
