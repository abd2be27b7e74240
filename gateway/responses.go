package gateway

import (
	"fmt"
	"regexp"
	"strconv"
)

// IntegrationResponse is one of a service proxy's integration responses
// (the plugin's list form of `response`), chosen as API Gateway chooses
// them: the first whose SelectionPattern matches the service's HTTP status
// code in full, else the one without a pattern. A call that no response
// selects fails as a misconfigured integration (500).
type IntegrationResponse struct {
	StatusCode       int
	SelectionPattern string
	// Template renders the answer from the service's JSON answer or error
	// document ($input); "" passes that on as is.
	Template string
	Headers  map[string]string
}

type compiledResponse struct {
	IntegrationResponse
	re  *regexp.Regexp // nil: the default response
	tpl *Template
}

func compileResponses(rs []IntegrationResponse) ([]compiledResponse, error) {
	out := make([]compiledResponse, len(rs))
	for i, r := range rs {
		if r.StatusCode < 100 || r.StatusCode > 599 {
			return nil, fmt.Errorf("response %d: status code must be 100-599, got %d", i, r.StatusCode)
		}
		out[i].IntegrationResponse = r
		if r.SelectionPattern != "" {
			re, err := regexp.Compile("^(?:" + r.SelectionPattern + ")$")
			if err != nil {
				return nil, fmt.Errorf("response %d: selection pattern: %w", i, err)
			}
			out[i].re = re
		}
		if r.Template != "" {
			t, err := ParseTemplate(r.Template)
			if err != nil {
				return nil, fmt.Errorf("response %d: template: %w", i, err)
			}
			out[i].tpl = t
		}
	}
	return out, nil
}

// selectResponse is the integration response for the service's status.
func selectResponse(rs []compiledResponse, status int) *compiledResponse {
	s := strconv.Itoa(status)
	var def *compiledResponse
	for i := range rs {
		switch r := &rs[i]; {
		case r.re != nil && r.re.MatchString(s):
			return r
		case r.re == nil && def == nil:
			def = r
		}
	}
	return def
}

// writeIntegrationResponse answers a proxy call through the route's
// integration responses, from the service's status and answer.
func (g *Gateway) writeIntegrationResponse(c *call, status int, answer []byte) {
	r := selectResponse(c.route.responses, status)
	if r == nil {
		g.log.Warn("gateway: no integration response selects the service's status", "route", c.route.Route.String(), "status", status)
		g.fail(c, true, errIntegration)
		return
	}
	out := answer
	if r.tpl != nil {
		s, err := r.tpl.render(&tplData{body: answer, context: g.templateContext(c), params: c.param})
		if err != nil {
			g.log.Warn("gateway: response template", "route", c.route.Route.String(), "err", err)
			g.fail(c, true, errIntegration)
			return
		}
		out = []byte(s)
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	g.commonHeaders(c, c.isREST())
	g.corsHeaders(c)
	c.w.WriteHeader(r.StatusCode)
	_, _ = c.w.Write(out)
}
