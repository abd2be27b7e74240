package pattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ferry-run/ferry"
)

type compiler struct {
	flavor flavor
}

func compile(src []byte, f flavor) (*Pattern, error) {
	c := &compiler{flavor: f}
	if f != eventPattern && len(src) > MaxPolicySize {
		return nil, ferry.Errorf(ferry.EINVALID, "filter policy: %d bytes is over the %d-byte limit", len(src), MaxPolicySize)
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, ferry.Wrap(ferry.EINVALIDJSON, err, "%s: not valid JSON", f.noun())
	}
	if dec.More() {
		return nil, ferry.Errorf(ferry.EINVALIDJSON, "%s: trailing data after the JSON object", f.noun())
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, ferry.Errorf(ferry.EINVALID, "%s: must be a JSON object, got %s", f.noun(), describe(v))
	}
	if f == eventPattern && len(obj) == 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "pattern: must not be empty")
	}
	root, err := c.node(obj, "")
	if err != nil {
		return nil, err
	}
	if f != eventPattern {
		if k := root.keys(); k > MaxPolicyKeys {
			return nil, ferry.Errorf(ferry.EINVALID, "filter policy: %d keys, the limit is %d", k, MaxPolicyKeys)
		}
		if n := root.combinations(); n > MaxPolicyCombinations {
			return nil, ferry.Errorf(ferry.EINVALID, "filter policy: %d combinations of values, the limit is %d", n, MaxPolicyCombinations)
		}
	}
	return &Pattern{root: root, flavor: f}, nil
}

func (c *compiler) errf(path, format string, args ...any) error {
	return ferry.Errorf(ferry.EINVALID, "%s: at %q: %s", c.flavor.noun(), path, fmt.Sprintf(format, args...))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (c *compiler) node(obj map[string]any, path string) (*node, error) {
	n := &node{}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := join(path, k)
		v := obj[k]
		if k == "$or" {
			alts, err := c.or(v, path)
			if err != nil {
				return nil, err
			}
			n.ors = append(n.ors, alts)
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			if c.flavor == policyAttributes {
				return nil, c.errf(p, "nested objects are not allowed with FilterPolicyScope MessageAttributes")
			}
			if len(x) == 0 {
				return nil, c.errf(p, "empty object")
			}
			sub, err := c.node(x, p)
			if err != nil {
				return nil, err
			}
			n.subs = append(n.subs, subField{key: k, n: sub})
		case []any:
			ms, err := c.leaf(x, p)
			if err != nil {
				return nil, err
			}
			n.leaves = append(n.leaves, leafField{key: k, ms: ms})
		default:
			return nil, c.errf(p, "value must be an array or an object, got %s", describe(v))
		}
	}
	return n, nil
}

func (c *compiler) or(v any, path string) ([]*node, error) {
	p := join(path, "$or")
	arr, ok := v.([]any)
	if !ok {
		return nil, c.errf(p, "$or needs an array of objects, got %s", describe(v))
	}
	if len(arr) < 2 {
		return nil, c.errf(p, "$or needs at least 2 alternatives, got %d", len(arr))
	}
	alts := make([]*node, 0, len(arr))
	for i, a := range arr {
		obj, ok := a.(map[string]any)
		if !ok || len(obj) == 0 {
			return nil, c.errf(fmt.Sprintf("%s[%d]", p, i), "$or alternative must be a non-empty object, got %s", describe(a))
		}
		n, err := c.node(obj, path)
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	return alts, nil
}

func (c *compiler) leaf(arr []any, path string) ([]matcher, error) {
	if len(arr) == 0 {
		return nil, c.errf(path, "empty array matches nothing")
	}
	ms := make([]matcher, 0, len(arr))
	for _, v := range arr {
		m, err := c.matcher(v, path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func (c *compiler) matcher(v any, path string) (matcher, error) {
	switch x := v.(type) {
	case string:
		return matcher{kind: kExact, s: x}, nil
	case json.Number:
		f, err := c.number(x, path)
		if err != nil {
			return matcher{}, err
		}
		return matcher{kind: kNumEq, f: f, q5: c.flavor != eventPattern}, nil
	case bool:
		return matcher{kind: kBool, b: x}, nil
	case nil:
		return matcher{kind: kNull}, nil
	case []any:
		return matcher{}, c.errf(path, "nested arrays are not allowed")
	case map[string]any:
		if len(x) != 1 {
			return matcher{}, c.errf(path, "an operator object must have exactly one key, got %d", len(x))
		}
		for op, arg := range x {
			return c.operator(op, arg, path)
		}
	}
	return matcher{}, c.errf(path, "unsupported value %s", describe(v))
}

func (c *compiler) number(n json.Number, path string) (float64, error) {
	f, err := n.Float64()
	if err != nil {
		return 0, c.errf(path, "number %s is out of range", n)
	}
	if c.flavor != eventPattern && (f < -MaxPolicyNumeric || f > MaxPolicyNumeric) {
		return 0, c.errf(path, "number %s is outside the range -1e9 to 1e9", n)
	}
	if c.flavor != eventPattern {
		f = quantize5(f)
	}
	return f, nil
}

func (c *compiler) str(op string, arg any, path string) (string, error) {
	s, ok := arg.(string)
	if !ok {
		return "", c.errf(path, "%s needs a string, got %s", op, describe(arg))
	}
	return s, nil
}

func (c *compiler) operator(op string, arg any, path string) (matcher, error) {
	switch op {
	case "prefix", "suffix":
		kind, kindFold := kPrefix, kPrefixFold
		if op == "suffix" {
			kind, kindFold = kSuffix, kSuffixFold
		}
		if obj, ok := arg.(map[string]any); ok {
			if len(obj) != 1 || obj["equals-ignore-case"] == nil {
				return matcher{}, c.errf(path, "%s accepts a string or {\"equals-ignore-case\": string}", op)
			}
			s, err := c.str(op+" equals-ignore-case", obj["equals-ignore-case"], path)
			if err != nil {
				return matcher{}, err
			}
			return matcher{kind: kindFold, s: fold(s)}, nil
		}
		s, err := c.str(op, arg, path)
		if err != nil {
			return matcher{}, err
		}
		return matcher{kind: kind, s: s}, nil
	case "equals-ignore-case":
		s, err := c.str(op, arg, path)
		if err != nil {
			return matcher{}, err
		}
		return matcher{kind: kFold, s: fold(s)}, nil
	case "wildcard":
		s, err := c.str(op, arg, path)
		if err != nil {
			return matcher{}, err
		}
		w, err := compileWildcard(s)
		if err != nil {
			return matcher{}, c.errf(path, "wildcard %q: %v", s, err)
		}
		return matcher{kind: kWildcard, w: w}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return matcher{}, c.errf(path, "exists needs true or false, got %s", describe(arg))
		}
		return matcher{kind: kExists, b: b}, nil
	case "cidr":
		s, err := c.str(op, arg, path)
		if err != nil {
			return matcher{}, err
		}
		pfx, perr := netip.ParsePrefix(s)
		if perr != nil {
			return matcher{}, c.errf(path, "cidr %q is not a valid IPv4 or IPv6 CIDR block", s)
		}
		return matcher{kind: kCIDR, cidr: pfx.Masked()}, nil
	case "numeric":
		return c.numeric(arg, path)
	case "anything-but":
		return c.anythingBut(arg, path)
	}
	return matcher{}, c.errf(path, "unknown operator %q", op)
}

func (c *compiler) numeric(arg any, path string) (matcher, error) {
	arr, ok := arg.([]any)
	if !ok || len(arr) == 0 || len(arr)%2 != 0 || len(arr) > 4 {
		return matcher{}, c.errf(path, "numeric needs [op, number] or [op, number, op, number], got %s", describe(arg))
	}
	m := matcher{kind: kNumeric, q5: c.flavor != eventPattern}
	for i := 0; i < len(arr); i += 2 {
		op, ok := arr[i].(string)
		if !ok {
			return matcher{}, c.errf(path, "numeric operator must be a string, got %s", describe(arr[i]))
		}
		n, ok := arr[i+1].(json.Number)
		if !ok {
			return matcher{}, c.errf(path, "numeric operator %s needs a number, got %s", op, describe(arr[i+1]))
		}
		f, err := c.number(n, path)
		if err != nil {
			return matcher{}, err
		}
		switch op {
		case "=":
			if len(arr) != 2 {
				return matcher{}, c.errf(path, "numeric \"=\" cannot be combined with another operator")
			}
			return matcher{kind: kNumEq, f: f, q5: c.flavor != eventPattern}, nil
		case ">", ">=":
			if m.hasLo {
				return matcher{}, c.errf(path, "numeric has two lower bounds")
			}
			m.hasLo, m.lo, m.loInc = true, f, op == ">="
		case "<", "<=":
			if m.hasHi {
				return matcher{}, c.errf(path, "numeric has two upper bounds")
			}
			m.hasHi, m.hi, m.hiInc = true, f, op == "<="
		default:
			return matcher{}, c.errf(path, "unknown numeric operator %q (want =, <, <=, >, >=)", op)
		}
	}
	if m.hasLo && m.hasHi && m.lo > m.hi {
		return matcher{}, c.errf(path, "numeric range is empty: lower bound %v is above upper bound %v", m.lo, m.hi)
	}
	return m, nil
}

func (c *compiler) anythingBut(arg any, path string) (matcher, error) {
	var inner []matcher
	switch x := arg.(type) {
	case string, json.Number:
		m, err := c.matcher(x, path)
		if err != nil {
			return matcher{}, err
		}
		inner = []matcher{m}
	case []any:
		if len(x) == 0 {
			return matcher{}, c.errf(path, "anything-but list is empty")
		}
		var strs, nums int
		for _, e := range x {
			switch e.(type) {
			case string:
				strs++
			case json.Number:
				nums++
			default:
				return matcher{}, c.errf(path, "anything-but list takes strings or numbers, got %s", describe(e))
			}
			m, err := c.matcher(e, path)
			if err != nil {
				return matcher{}, err
			}
			inner = append(inner, m)
		}
		if strs > 0 && nums > 0 {
			return matcher{}, c.errf(path, "anything-but list mixes strings and numbers")
		}
	case map[string]any:
		if len(x) != 1 {
			return matcher{}, c.errf(path, "anything-but object must have exactly one of prefix, suffix, equals-ignore-case, wildcard")
		}
		for op, a := range x {
			switch op {
			case "prefix", "suffix":
				s, err := c.str("anything-but "+op, a, path)
				if err != nil {
					return matcher{}, err
				}
				if s == "" {
					return matcher{}, c.errf(path, "anything-but %s needs a non-empty string", op)
				}
				kind := kPrefix
				if op == "suffix" {
					kind = kSuffix
				}
				inner = []matcher{{kind: kind, s: s}}
			case "equals-ignore-case", "wildcard":
				vals := []any{a}
				if arr, ok := a.([]any); ok {
					if len(arr) == 0 {
						return matcher{}, c.errf(path, "anything-but %s list is empty", op)
					}
					vals = arr
				}
				for _, e := range vals {
					m, err := c.operator(op, e, path)
					if err != nil {
						return matcher{}, err
					}
					inner = append(inner, m)
				}
			default:
				return matcher{}, c.errf(path, "anything-but does not take %q (want prefix, suffix, equals-ignore-case or wildcard)", op)
			}
		}
	default:
		return matcher{}, c.errf(path, "anything-but needs a string, a number, a list or an operator object, got %s", describe(arg))
	}
	return matcher{kind: kAnythingBut, not: inner}, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func fold(s string) string { return strings.ToLower(s) }
