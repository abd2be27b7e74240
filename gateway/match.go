package gateway

import (
	"fmt"
	"strings"
)

// Segment kinds, in increasing order of specificity.
const (
	segGreedy = iota + 1
	segParam
	segLiteral
)

type segment struct {
	kind int
	text string // literal text or parameter name
}

// pattern is a parsed resource path.
type pattern struct {
	raw  string
	segs []segment
}

// parsePattern parses "/a/{b}/{c+}". The root is "/".
func parsePattern(raw string) (pattern, error) {
	p := pattern{raw: raw}
	if !strings.HasPrefix(raw, "/") {
		return p, fmt.Errorf("path %q must start with /", raw)
	}
	if raw == "/" {
		return p, nil
	}
	trimmed := strings.TrimSuffix(raw[1:], "/")
	names := map[string]bool{}
	parts := strings.Split(trimmed, "/")
	for i, part := range parts {
		switch {
		case part == "":
			return p, fmt.Errorf("path %q has an empty segment", raw)
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}"):
			name := part[1 : len(part)-1]
			kind := segParam
			if strings.HasSuffix(name, "+") {
				kind, name = segGreedy, strings.TrimSuffix(name, "+")
				if i != len(parts)-1 {
					return p, fmt.Errorf("path %q: greedy parameter {%s+} must be the last segment", raw, name)
				}
			}
			if !validParamName(name) {
				return p, fmt.Errorf("path %q: invalid parameter name %q", raw, name)
			}
			if names[name] {
				return p, fmt.Errorf("path %q: parameter %q appears twice", raw, name)
			}
			names[name] = true
			p.segs = append(p.segs, segment{kind, name})
		case strings.ContainsAny(part, "{}"):
			return p, fmt.Errorf("path %q: a parameter must be a whole segment, got %q", raw, part)
		default:
			for _, r := range part {
				if r <= ' ' || r == 0x7f || r == '?' || r == '#' || r == '%' {
					return p, fmt.Errorf("path %q: invalid character %q in %q", raw, r, part)
				}
			}
			p.segs = append(p.segs, segment{segLiteral, part})
		}
	}
	return p, nil
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

// shape is the pattern with parameter names erased: two routes with the same
// method and shape conflict.
func (p pattern) shape() string {
	var b strings.Builder
	for _, s := range p.segs {
		b.WriteByte('/')
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segParam:
			b.WriteString("{}")
		case segGreedy:
			b.WriteString("{+}")
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// splitPath splits a request path into segments; "/" and "" are no segments.
// One trailing slash is ignored.
func splitPath(path string) []string {
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimSuffix(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// match reports whether parts match the pattern, with its parameters and a
// specificity score (compare with moreSpecific).
func (p pattern) match(parts []string) (params map[string]string, score []int, ok bool) {
	score = make([]int, 0, len(p.segs))
	for i, s := range p.segs {
		if s.kind == segGreedy {
			if i >= len(parts) {
				return nil, nil, false
			}
			rest := strings.Join(parts[i:], "/")
			if params == nil {
				params = map[string]string{}
			}
			params[s.text] = rest
			return params, append(score, segGreedy), true
		}
		if i >= len(parts) || parts[i] == "" {
			return nil, nil, false
		}
		switch s.kind {
		case segLiteral:
			if parts[i] != s.text {
				return nil, nil, false
			}
		case segParam:
			if params == nil {
				params = map[string]string{}
			}
			params[s.text] = parts[i]
		}
		score = append(score, s.kind)
	}
	if len(parts) != len(p.segs) {
		return nil, nil, false
	}
	return params, score, true
}

// moreSpecific reports whether score a beats score b: compared segment by
// segment, a literal beats a parameter, which beats a greedy parameter; a
// longer exact match beats a greedy one.
func moreSpecific(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return len(a) > len(b)
}

// MatchPath matches a request path against a route path pattern and returns
// the path parameters. It is the matcher the gateway uses.
func MatchPath(routePath, requestPath string) (map[string]string, bool) {
	p, err := parsePattern(routePath)
	if err != nil {
		return nil, false
	}
	params, _, ok := p.match(splitPath(requestPath))
	return params, ok
}

// lookup is the result of routing a request.
type lookup struct {
	route  *compiled
	params map[string]string
	// pathKnown is set when some route matched the path but not the method.
	pathKnown *compiled
	// stagePrefix is "/STAGE" when the request path began with it.
	stagePrefix string
}

// find routes a request.
func (t *table) find(method, path string) lookup {
	parts := splitPath(path)
	var best lookup
	var bestScore []int
	var bestExact bool
	var def *compiled
	for _, c := range t.routes {
		if c.isDef {
			def = c
			continue
		}
		params, score, ok := c.pattern.match(parts)
		if !ok {
			continue
		}
		methodOK := c.method == method || c.method == "ANY"
		if !methodOK {
			if best.pathKnown == nil {
				best.pathKnown = c
			}
			continue
		}
		exact := c.method == method
		if best.route == nil || moreSpecific(score, bestScore) ||
			(!moreSpecific(bestScore, score) && exact && !bestExact) {
			best.route, best.params, bestScore, bestExact = c, params, score, exact
		}
	}
	if best.route == nil && def != nil {
		best.route = def
	}
	return best
}

// corsFor returns the CORS-enabled routes whose path matches, most specific
// first, for a preflight request.
func (t *table) corsFor(path string) []*compiled {
	parts := splitPath(path)
	var out []*compiled
	var bestScore []int
	for _, c := range t.routes {
		if c.CORS == nil {
			continue
		}
		if c.isDef {
			continue
		}
		_, score, ok := c.pattern.match(parts)
		if !ok {
			continue
		}
		switch {
		case out == nil || moreSpecific(score, bestScore):
			out, bestScore = []*compiled{c}, score
		case !moreSpecific(bestScore, score):
			out = append(out, c)
		}
	}
	if out == nil {
		for _, c := range t.routes {
			if c.isDef && c.CORS != nil {
				out = append(out, c)
			}
		}
	}
	return out
}
