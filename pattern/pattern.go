// Package pattern owns Ferry's one matcher for EventBridge event patterns and
// SNS subscription filter policies (attribute and message-body scope).
//
// A pattern is compiled once into a small tree (fields ANDed, the values of a
// field ORed, "$or" groups of alternative sub-patterns) and then matched
// against decoded JSON values without allocation on the hot path. Supported
// operators: exact strings, numbers, booleans and null; prefix and suffix
// (plain or {"equals-ignore-case": ...}); equals-ignore-case; wildcard ("*",
// with \* and \\ escapes); anything-but (a value, a list, or
// {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": ...}); numeric (=, <,
// <=, >, >= with at most one lower and one upper bound); exists; cidr (IPv4
// and IPv6); "$or". When an event field holds an array, the field matches if
// any element matches. A missing field matches only {"exists": false}.
//
// Compile errors carry ferry.EINVALID and name the path and the problem.
// Filter policies enforce SNS's limits: at most 5 keys, at most 150
// combinations, numeric operands within ±1e9, and compare numbers at five
// digits after the decimal point, as SNS does.
package pattern

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ferry-run/ferry"
)

// Filter policy scopes (SNS FilterPolicyScope).
const (
	ScopeMessageAttributes = "MessageAttributes"
	ScopeMessageBody       = "MessageBody"
)

// SNS filter policy limits.
const (
	MaxPolicyKeys         = 5
	MaxPolicyCombinations = 150
	MaxPolicyNumeric      = 1e9
	MaxPolicySize         = 256 * 1024
)

type flavor int

const (
	eventPattern flavor = iota
	policyAttributes
	policyBody
)

func (f flavor) noun() string {
	if f == eventPattern {
		return "pattern"
	}
	return "filter policy"
}

// Pattern is a compiled event pattern or filter policy. It is immutable and
// safe for concurrent use.
type Pattern struct {
	root   *node
	flavor flavor
}

// Compile compiles an EventBridge event pattern.
func Compile(patternJSON []byte) (*Pattern, error) {
	return compile(patternJSON, eventPattern)
}

// CompileFilterPolicy compiles an SNS filter policy for scope
// "MessageAttributes" (the default, also for "") or "MessageBody".
func CompileFilterPolicy(policyJSON []byte, scope string) (*Pattern, error) {
	switch scope {
	case "", ScopeMessageAttributes:
		return compile(policyJSON, policyAttributes)
	case ScopeMessageBody:
		return compile(policyJSON, policyBody)
	}
	return nil, ferry.Errorf(ferry.EINVALID, "filter policy: unknown FilterPolicyScope %q (want MessageAttributes or MessageBody)", scope)
}

// Match decodes eventJSON and matches it. Anything that is not a JSON object
// does not match.
func (p *Pattern) Match(eventJSON []byte) bool {
	var v any
	if err := json.Unmarshal(eventJSON, &v); err != nil {
		return false
	}
	return p.MatchValue(v)
}

// MatchValue matches an event already decoded by encoding/json into any
// (objects as map[string]any, numbers as float64 or json.Number).
func (p *Pattern) MatchValue(v any) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	return p.root.match(obj)
}

// MatchAttributes matches SNS message attributes as SNS does for the
// MessageAttributes scope: String values compare as strings, Number values
// numerically, String.Array values are a JSON array any element of which may
// match; Binary attributes only count for "exists".
func (p *Pattern) MatchAttributes(attrs map[string]ferry.MessageAttribute) bool {
	obj := make(map[string]any, len(attrs))
	for name, a := range attrs {
		obj[name] = attributeValue(a)
	}
	return p.root.match(obj)
}

func attributeValue(a ferry.MessageAttribute) any {
	base, _, _ := strings.Cut(a.DataType, ".")
	switch {
	case a.DataType == "String.Array":
		var arr []any
		if err := json.Unmarshal([]byte(a.StringValue), &arr); err == nil {
			return arr
		}
		return a.StringValue
	case base == "Number":
		if f, err := strconv.ParseFloat(strings.TrimSpace(a.StringValue), 64); err == nil {
			return f
		}
		return a.StringValue
	case base == "String":
		return a.StringValue
	}
	// Binary: present, but no value operator matches it.
	return binaryValue{}
}

type binaryValue struct{}
