package stack

import (
	"encoding/json"
	"github.com/ferry-run/ferry"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// mapGet returns the value of key in mapping m (following aliases and merge
// keys), or nil.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	return mapGetDepth(m, key, 0)
}

func mapGetDepth(m *yaml.Node, key string, depth int) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > 20 {
		return nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Value == key && k.Tag != "!!merge" {
			return m.Content[i+1]
		}
		if k.Tag == "!!merge" {
			merges = append(merges, m.Content[i+1])
		}
	}
	for _, mv := range merges {
		mv = deref(mv)
		if mv == nil {
			continue
		}
		srcs := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			srcs = mv.Content
		}
		for _, s := range srcs {
			if v := mapGetDepth(s, key, depth+1); v != nil {
				return v
			}
		}
	}
	return nil
}

// pair is one key/value of a resolved mapping.
type pair struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

// pairs lists a resolved mapping; a null node is an empty mapping.
func (l *loader) pairs(n *yaml.Node, path string) []pair {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.fail(n, "%s must be a mapping", path)
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{Key: n.Content[i].Value, KeyN: n.Content[i], Value: n.Content[i+1]})
	}
	return out
}

// items lists a resolved sequence; a null node is empty.
func (l *loader) items(n *yaml.Node, path string) []*yaml.Node {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.fail(n, "%s must be a list", path)
	}
	return n.Content
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// notEnforced are accepted keys whose promise Ferry cannot keep: they are
// reported, so nobody believes a permission boundary or a key is in force.
var notEnforced = map[string]string{
	"iam":                      "Ferry has no IAM; functions run with the Ferry process's permissions",
	"iamRoleStatements":        "Ferry has no IAM; functions run with the Ferry process's permissions",
	"iamManagedPolicies":       "Ferry has no IAM; functions run with the Ferry process's permissions",
	"iamRoleStatementsName":    "Ferry has no IAM; functions run with the Ferry process's permissions",
	"iamRoleStatementsInherit": "Ferry has no IAM; functions run with the Ferry process's permissions",
	"role":                     "Ferry has no IAM; functions run with the Ferry process's permissions",
	"cfnRole":                  "Ferry has no IAM; functions run with the Ferry process's permissions",
	"rolePermissionsBoundary":  "Ferry has no IAM; functions run with the Ferry process's permissions",
	"Policies":                 "Ferry has no IAM; functions run with the Ferry process's permissions",
	"Role":                     "Ferry has no IAM; functions run with the Ferry process's permissions",
	"PermissionsBoundary":      "Ferry has no IAM; functions run with the Ferry process's permissions",
	"kmsKeyArn":                "environment variables are not encrypted by Ferry",
	"architecture":             "functions run on this machine's architecture",
	"Architectures":            "functions run on this machine's architecture",
	"ephemeralStorageSize":     "/tmp is not limited by Ferry",
}

// checkKeys warns about every key of mapping n that is neither supported nor
// deliberately ignored (keys with no effect on a local runtime, such as
// descriptions and deployment settings), and about ignored keys whose
// promise Ferry cannot keep (IAM, encryption keys, architecture).
func (l *loader) checkKeys(n *yaml.Node, path, supported, ignored string) {
	known := map[string]bool{}
	for _, k := range strings.Fields(supported) {
		known[k] = true
	}
	skip := map[string]bool{}
	for _, k := range strings.Fields(ignored) {
		skip[k] = true
	}
	for _, p := range l.pairs(n, path) {
		switch {
		case known[p.Key]:
		case skip[p.Key] && notEnforced[p.Key] != "":
			l.warn(p.KeyN, join(path, p.Key), "accepted, not enforced: %s", notEnforced[p.Key])
		case !skip[p.Key]:
			l.warn(p.KeyN, join(path, p.Key), "not supported by Ferry; ignored")
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// str evaluates n to a string: a scalar, or an intrinsic function.
func (l *loader) str(n *yaml.Node, path string) string {
	l.step(n)
	if name, arg, ok := intrinsic(n); ok {
		return l.intrinsic(name, arg, n)
	}
	if n.Kind != yaml.ScalarNode {
		l.fail(n, "%s must be a string", path)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		l.fail(n, "%s: unknown tag %s", path, n.Tag)
	}
	if isNull(n) {
		return ""
	}
	if l.sls && strings.Contains(n.Value, "#{") {
		return l.sub(n.Value, '#', nil, n)
	}
	return n.Value
}

// optStr is str of mapGet, "" when absent.
func (l *loader) optStr(m *yaml.Node, key, path string) string {
	v := mapGet(m, key)
	if v == nil {
		return ""
	}
	return l.str(v, join(path, key))
}

// int evaluates n to an integer within [min, max].
func (l *loader) int(n *yaml.Node, path string, min, max int) int {
	s := l.str(n, path)
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
		l.fail(n, "%s must be an integer, got %q", path, s)
	}
	if f < float64(min) || f > float64(max) {
		l.fail(n, "%s must be between %d and %d, got %s", path, min, max, s)
	}
	return int(f)
}

// bool evaluates n to a boolean.
func (l *loader) bool(n *yaml.Node, path string) bool {
	s := l.str(n, path)
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		l.fail(n, "%s must be true or false, got %q", path, s)
	}
	return b
}

// strList evaluates a string or a list of strings.
func (l *loader) strList(n *yaml.Node, path string) []string {
	if n.Kind == yaml.SequenceNode && n.Tag != "!Split" && n.Tag != "!Join" {
		out := make([]string, 0, len(n.Content))
		for i, c := range n.Content {
			out = append(out, l.str(c, path+"["+strconv.Itoa(i)+"]"))
		}
		return out
	}
	return []string{l.str(n, path)}
}

// value evaluates n to JSON data: mappings, lists, typed scalars, and
// intrinsic functions as strings.
func (l *loader) value(n *yaml.Node, path string) any {
	l.step(n)
	if _, _, ok := intrinsic(n); ok {
		return l.str(n, path)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for _, p := range l.pairs(n, path) {
			m[p.Key] = l.value(p.Value, join(path, p.Key))
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			s = append(s, l.value(c, path+"["+strconv.Itoa(i)+"]"))
		}
		return s
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			b, _ := strconv.ParseBool(strings.ToLower(n.Value))
			return b
		case "!!int", "!!float":
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
			}
		}
		return l.str(n, path)
	}
	l.fail(n, "%s: unexpected YAML node", path)
	return nil
}

// json evaluates n to a JSON document; a string is taken as JSON text.
func (l *loader) json(n *yaml.Node, path string) string {
	if _, _, ok := intrinsic(n); ok || (n.Kind == yaml.ScalarNode && n.Tag == "!!str") {
		s := l.str(n, path)
		if !json.Valid([]byte(s)) {
			l.fail(n, "%s is not valid JSON", path)
		}
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l.value(n, path)); err != nil {
		l.fail(n, "%s: %v", path, err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// runtime evaluates the runtime of function fn. One Ferry cannot run (java*,
// ruby*, dotnet*, ...) is kept and reported, at its position, as a refused
// function: the others start, invoking this one answers a clear error, and
// --strict makes it an error.
func (l *loader) runtime(n *yaml.Node, path, fn string) string {
	rt := l.str(n, path)
	if _, err := ferry.RuntimeFamily(rt); err != nil {
		l.refuse(n, path, "function %s will not run: %s; the other functions start, and invoking this one answers InvalidRuntimeException", fn, ferry.ErrorMessage(err))
	}
	return rt
}

// runnable reports whether Ferry runs runtime rt.
func runnable(rt string) bool {
	_, err := ferry.RuntimeFamily(rt)
	return err == nil
}
