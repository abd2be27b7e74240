package gateway

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

var anyMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// allowOrigin is the Access-Control-Allow-Origin value for origin, "" when
// the origin is not allowed.
func allowOrigin(c *CORS, origin string) string {
	if slices.Contains(c.Origins, "*") {
		if c.AllowCredentials && origin != "" {
			return origin // "*" is not valid with credentials
		}
		return "*"
	}
	if origin != "" && slices.Contains(c.Origins, origin) {
		return origin
	}
	if len(c.Origins) == 1 {
		return c.Origins[0]
	}
	return ""
}

// preflight answers an OPTIONS request for a path with CORS-enabled routes:
// 200 (REST, like the mock integration the Serverless Framework creates) or
// 204 (HTTP API).
func (g *Gateway) preflight(c *call, routes []*compiled) {
	cfg := routes[0].CORS
	rest := routes[0].Kind == KindREST
	h := c.w.Header()
	g.commonHeaders(c, rest)
	if o := allowOrigin(cfg, c.r.Header.Get("Origin")); o != "" {
		h.Set("Access-Control-Allow-Origin", o)
		if o != "*" {
			h.Add("Vary", "Origin")
		}
	}
	if len(cfg.Headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(cfg.Headers, ","))
	}
	var methods []string
	for _, r := range routes {
		switch {
		case len(r.CORS.Methods) > 0:
			methods = append(methods, r.CORS.Methods...)
		case r.method == "ANY":
			methods = append(methods, anyMethods...)
		default:
			methods = append(methods, "OPTIONS", r.method)
		}
	}
	for i := range methods {
		methods[i] = strings.ToUpper(methods[i])
	}
	slices.Sort(methods)
	h.Set("Access-Control-Allow-Methods", strings.Join(slices.Compact(methods), ","))
	if cfg.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if cfg.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(cfg.MaxAge))
	}
	if rest {
		h.Set("Content-Type", "application/json")
		c.w.WriteHeader(http.StatusOK)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// corsHeaders adds the CORS response headers of the call's route unless the
// response already carries Access-Control-Allow-Origin.
func (g *Gateway) corsHeaders(c *call) {
	if c.route == nil || c.route.CORS == nil {
		return
	}
	h := c.w.Header()
	if h.Get("Access-Control-Allow-Origin") != "" {
		return
	}
	cfg := c.route.CORS
	o := allowOrigin(cfg, c.r.Header.Get("Origin"))
	if o == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", o)
	if o != "*" {
		h.Add("Vary", "Origin")
	}
	if cfg.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(cfg.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(cfg.ExposeHeaders, ","))
	}
}
