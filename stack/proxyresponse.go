package stack

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ProxyResponse is one entry of a service proxy's list form of `response`
// (the plugin's "full response customization"): an API Gateway
// integration response. The first entry whose SelectionPattern matches the
// service's HTTP status code answers; the entry without a pattern is the
// default.
type ProxyResponse struct {
	StatusCode       int    `json:"statusCode"`
	SelectionPattern string `json:"selectionPattern,omitempty"`
	// Template is the application/json response template ("" passes the
	// service's answer on as is).
	Template string `json:"template,omitempty"`
	// Headers are static response headers, from responseParameters of the
	// form method.response.header.NAME: "'value'".
	Headers map[string]string `json:"headers,omitempty"`
}

// proxyResponses reads the list form of a service proxy's response.
func (l *loader) proxyResponses(n *yaml.Node, path string) []ProxyResponse {
	var out []ProxyResponse
	for i, item := range l.items(n, path) {
		ip := fmt.Sprintf("%s[%d]", path, i)
		l.checkKeys(item, ip, "statusCode selectionPattern responseParameters responseTemplates", "contentHandling")
		sc := mapGet(item, "statusCode")
		if sc == nil {
			l.fail(item, "%s needs statusCode", ip)
		}
		r := ProxyResponse{StatusCode: l.int(sc, ip+".statusCode", 100, 599)}
		if v := mapGet(item, "selectionPattern"); v != nil {
			r.SelectionPattern = l.str(v, ip+".selectionPattern")
			if _, err := regexp.Compile("^(?:" + r.SelectionPattern + ")$"); err != nil {
				l.fail(v, "%s.selectionPattern: %v", ip, err)
			}
		}
		for _, p := range l.pairs(mapGet(item, "responseTemplates"), ip+".responseTemplates") {
			if p.Key != "application/json" {
				l.warn(p.KeyN, join(ip+".responseTemplates", p.Key), "only the application/json template is used by Ferry; ignored")
				continue
			}
			r.Template = l.str(p.Value, join(ip+".responseTemplates", p.Key))
		}
		for _, p := range l.pairs(mapGet(item, "responseParameters"), ip+".responseParameters") {
			name, ok := strings.CutPrefix(p.Key, "method.response.header.")
			v := l.str(p.Value, join(ip+".responseParameters", p.Key))
			if !ok || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
				l.warn(p.KeyN, join(ip+".responseParameters", p.Key), "only static headers (method.response.header.NAME: \"'value'\") are supported by Ferry; ignored")
				continue
			}
			if r.Headers == nil {
				r.Headers = map[string]string{}
			}
			r.Headers[name] = v[1 : len(v)-1]
		}
		out = append(out, r)
	}
	return out
}
