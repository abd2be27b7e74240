package stack

import (
	"strconv"
	"strings"

	"github.com/ferry-run/ferry"
	"go.yaml.in/yaml/v3"
)

// Variable sources of the Serverless Framework. Only the first five are
// supported; the rest are named in an error. A ${...} that starts with none
// of them (such as ${AWS::Region} inside Fn::Sub) is left for CloudFormation.
var (
	varSources         = []string{"self:", "opt:", "sls:", "env:", "aws:"}
	unsupportedSources = []string{"file(", "ssm:", "cf:", "cf(", "s3:", "param:", "strToBool(", "git:", "sls:instanceId"}
)

func isVarExpr(expr string) bool {
	expr = strings.TrimSpace(expr)
	for _, s := range append(varSources, unsupportedSources...) {
		if strings.HasPrefix(expr, s) {
			return true
		}
	}
	return false
}

// resolve returns a copy of the raw node n with aliases and merge keys
// expanded, duplicate keys refused and, for serverless files, ${...}
// variables replaced. Results are memoized by node, so shared anchors are
// resolved once.
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	orig := n
	if n = deref(n); n == nil {
		l.fail(orig, "alias cycle")
	}
	if r, ok := l.resolved[n]; ok {
		return r
	}
	if l.busy[n] {
		l.fail(n, "circular variable reference")
	}
	l.busy[n] = true
	l.step(n)
	out := n
	switch n.Kind {
	case yaml.MappingNode:
		out = &yaml.Node{Kind: yaml.MappingNode, Tag: n.Tag, Style: n.Style, Line: n.Line, Column: n.Column}
		seen := map[string]*yaml.Node{}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Tag == "!!merge" {
				merges = append(merges, n.Content[i+1])
				continue
			}
			if k.Kind != yaml.ScalarNode {
				l.fail(k, "mapping keys must be strings")
			}
			if first, dup := seen[k.Value]; dup {
				l.fail(k, "duplicate key %q (first at line %d)", k.Value, first.Line)
			}
			seen[k.Value] = k
			out.Content = append(out.Content, k, l.resolve(n.Content[i+1]))
		}
		for _, mv := range merges {
			r := l.resolve(mv)
			srcs := []*yaml.Node{r}
			if r.Kind == yaml.SequenceNode {
				srcs = r.Content
			}
			for _, src := range srcs {
				if src.Kind != yaml.MappingNode {
					l.fail(src, "a merge key (<<) needs a mapping")
				}
				for i := 0; i+1 < len(src.Content); i += 2 {
					if k := src.Content[i]; seen[k.Value] == nil {
						seen[k.Value] = k
						out.Content = append(out.Content, k, src.Content[i+1])
					}
				}
			}
		}
	case yaml.SequenceNode:
		out = &yaml.Node{Kind: yaml.SequenceNode, Tag: n.Tag, Style: n.Style, Line: n.Line, Column: n.Column}
		for _, c := range n.Content {
			out.Content = append(out.Content, l.resolve(c))
		}
	case yaml.ScalarNode:
		if l.sls && strings.Contains(n.Value, "${") {
			out = l.interpolate(n)
		}
	case yaml.DocumentNode:
		l.fail(n, "nested document")
	}
	delete(l.busy, n)
	l.resolved[n] = out
	return out
}

// interpolate resolves the variables of scalar n. A scalar that is exactly one
// variable takes the variable's value, which may be a mapping or a list.
func (l *loader) interpolate(n *yaml.Node) *yaml.Node {
	s := strings.TrimSpace(n.Value)
	if strings.HasPrefix(s, "${") {
		if end := closing(s, 2); end == len(s)-1 && isVarExpr(s[2:end]) {
			v := l.evalVar(s[2:end], n)
			if v.Kind != yaml.ScalarNode {
				return v
			}
			c := *v
			c.Line, c.Column = n.Line, n.Column
			if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
				c.Tag = n.Tag
			}
			return &c
		}
	}
	c := *n
	c.Value = l.interpString(n.Value, n)
	return &c
}

// closing returns the index of the '}' that closes the "${" before start, or -1.
func closing(s string, start int) int {
	depth := 1
	for i := start; i < len(s); i++ {
		switch {
		case s[i] == '{':
			depth++
		case s[i] == '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// interpString replaces every variable in s by its (scalar) value.
func (l *loader) interpString(s string, at *yaml.Node) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := closing(s, i+2)
		if end < 0 {
			l.fail(at, "unterminated variable in %q", s)
		}
		b.WriteString(s[:i])
		expr := s[i+2 : end]
		if isVarExpr(expr) {
			v := l.evalVar(expr, at)
			if v.Kind != yaml.ScalarNode {
				l.fail(at, "variable ${%s} is a mapping or list and cannot be part of a string", expr)
			}
			b.WriteString(v.Value)
		} else {
			b.WriteString("${" + l.interpString(expr, at) + "}")
		}
		s = s[end+1:]
		l.step(at)
	}
}

// evalVar evaluates "source:address, fallback, ..." at node at.
func (l *loader) evalVar(expr string, at *yaml.Node) *yaml.Node {
	parts := splitTop(expr)
	for i, p := range parts {
		p = strings.TrimSpace(p)
		switch {
		case strings.HasPrefix(p, "${") && closing(p, 2) == len(p)-1:
			return l.evalVar(p[2:len(p)-1], at)
		case i == 0 || isVarExpr(p):
			if v, ok := l.lookupVar(p, at); ok {
				return v
			}
		default:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: unquote(p), Line: at.Line, Column: at.Column}
		}
	}
	l.fail(at, "variable ${%s} cannot be resolved: %s has no value", expr, strings.TrimSpace(parts[0]))
	return nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// splitTop splits a variable expression on the commas outside quotes,
// parentheses and nested ${...}.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '{' || c == '(':
			depth++
		case c == '}' || c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// lookupVar resolves one "source:address"; ok is false when it has no value.
func (l *loader) lookupVar(v string, at *yaml.Node) (*yaml.Node, bool) {
	if strings.Contains(v, "${") {
		v = l.interpString(v, at)
	}
	for _, s := range unsupportedSources {
		if strings.HasPrefix(v, s) {
			l.fail(at, "variable source %q in ${%s} is not supported by Ferry", strings.TrimRight(s, ":("), v)
		}
	}
	src, addr, ok := strings.Cut(v, ":")
	if !ok {
		l.fail(at, "invalid variable ${%s}", v)
	}
	addr = strings.TrimSpace(addr)
	scalar := func(s string) (*yaml.Node, bool) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: at.Line, Column: at.Column}, true
	}
	switch src {
	case "self":
		return l.lookupSelf(addr, at)
	case "opt":
		var s string
		switch addr {
		case "stage":
			s = l.opts.Stage
		case "region":
			s = l.opts.Region
		}
		if s == "" {
			s = l.opts.Options[addr]
		}
		if s == "" {
			return nil, false
		}
		return scalar(s)
	case "sls":
		if addr != "stage" {
			l.fail(at, "variable ${sls:%s} is not supported by Ferry (only ${sls:stage})", addr)
		}
		return scalar(l.getStage(at))
	case "env":
		if s, ok := l.opts.Env(addr); ok {
			return scalar(s)
		}
		return nil, false
	case "aws":
		switch addr {
		case "accountId":
			return scalar(l.getAccount())
		case "region":
			return scalar(l.getRegion(at))
		}
		l.fail(at, "variable ${aws:%s} is not supported by Ferry (only accountId and region)", addr)
	}
	l.fail(at, "unknown variable source %q in ${%s}", src, v)
	return nil, false
}

// lookupSelf resolves ${self:a.b.c} against the file itself.
func (l *loader) lookupSelf(addr string, at *yaml.Node) (*yaml.Node, bool) {
	cur := l.raw
	if addr != "" {
		for _, seg := range strings.Split(addr, ".") {
			cur = deref(cur)
			if cur != nil && cur.Kind == yaml.ScalarNode && strings.Contains(cur.Value, "${") {
				cur = l.resolve(cur)
			}
			if cur == nil {
				return nil, false
			}
			switch cur.Kind {
			case yaml.MappingNode:
				cur = mapGet(cur, seg)
			case yaml.SequenceNode:
				i, err := strconv.Atoi(seg)
				if err != nil || i < 0 || i >= len(cur.Content) {
					return nil, false
				}
				cur = cur.Content[i]
			default:
				return nil, false
			}
			if cur == nil {
				return nil, false
			}
		}
	}
	r := l.resolve(cur)
	if isNull(r) {
		return nil, false
	}
	return r, true
}

// getStage is --stage, else provider.stage, else "dev".
func (l *loader) getStage(at *yaml.Node) string {
	if l.opts.Stage != "" {
		return l.opts.Stage
	}
	if l.stage != "" {
		return l.stage
	}
	if l.stageBusy {
		l.fail(at, "provider.stage refers to itself")
	}
	l.stageBusy = true
	l.stage = "dev"
	if p := mapGet(mapGet(l.raw, "provider"), "stage"); p != nil {
		if r := l.resolve(p); r.Kind == yaml.ScalarNode && r.Value != "" {
			l.stage = r.Value
		}
	}
	l.stageBusy = false
	return l.stage
}

// getRegion is --region, else provider.region, else ferry.DefaultRegion.
func (l *loader) getRegion(at *yaml.Node) string {
	if l.region != "" {
		return l.region
	}
	l.region = ferry.DefaultRegion
	if l.opts.Region != "" {
		l.region = l.opts.Region
	} else if p := mapGet(mapGet(l.raw, "provider"), "region"); p != nil && l.sls {
		l.region = "" // a self-reference now is a cycle
		if r := l.resolve(p); r.Kind == yaml.ScalarNode && r.Value != "" {
			l.region = r.Value
		} else {
			l.region = ferry.DefaultRegion
		}
	}
	return l.region
}

func (l *loader) getAccount() string {
	if l.account == "" {
		l.account = ferry.DefaultAccount
		if l.opts.Account != "" {
			l.account = l.opts.Account
		}
	}
	return l.account
}
