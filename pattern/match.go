package pattern

import (
	"encoding/json"
	"net/netip"
	"strings"
)

type node struct {
	leaves []leafField
	subs   []subField
	ors    [][]*node // each group: at least one alternative must match
}

type leafField struct {
	key string
	ms  []matcher // ORed
}

type subField struct {
	key string
	n   *node
}

var empty = map[string]any{}

func (n *node) match(obj map[string]any) bool {
	for i := range n.leaves {
		if !n.leaves[i].match(obj) {
			return false
		}
	}
	for i := range n.subs {
		if !n.subs[i].match(obj) {
			return false
		}
	}
	for _, alts := range n.ors {
		ok := false
		for _, a := range alts {
			if a.match(obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s *subField) match(obj map[string]any) bool {
	v, ok := obj[s.key]
	if !ok {
		return s.n.match(empty)
	}
	switch x := v.(type) {
	case map[string]any:
		return s.n.match(x)
	case []any:
		found := false
		if matchObjects(x, s.n, &found) {
			return true
		}
		if found {
			return false
		}
	}
	return s.n.match(empty)
}

// matchObjects reports whether any object in arr (arrays flattened) matches n;
// found tells whether arr held any object at all.
func matchObjects(arr []any, n *node, found *bool) bool {
	for _, e := range arr {
		switch x := e.(type) {
		case map[string]any:
			*found = true
			if n.match(x) {
				return true
			}
		case []any:
			if matchObjects(x, n, found) {
				return true
			}
		}
	}
	return false
}

func (l *leafField) match(obj map[string]any) bool {
	v, present := obj[l.key]
	for i := range l.ms {
		m := &l.ms[i]
		if m.kind == kExists {
			if m.b == (present && hasLeaf(v)) {
				return true
			}
			continue
		}
		if present && matchAny(m, v) {
			return true
		}
	}
	return false
}

// hasLeaf reports whether v is, or (as an array) contains, a non-object value.
func hasLeaf(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return false
	case []any:
		for _, e := range x {
			if hasLeaf(e) {
				return true
			}
		}
		return false
	}
	return true
}

func matchAny(m *matcher, v any) bool {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if matchAny(m, e) {
				return true
			}
		}
		return false
	}
	return m.match(v)
}

type kind uint8

const (
	kExact kind = iota
	kNumEq
	kBool
	kNull
	kPrefix
	kPrefixFold
	kSuffix
	kSuffixFold
	kFold
	kWildcard
	kExists
	kCIDR
	kNumeric
	kAnythingBut
)

type matcher struct {
	kind         kind
	s            string
	f            float64
	b            bool
	w            *wildcard
	cidr         netip.Prefix
	hasLo, hasHi bool
	loInc, hiInc bool
	lo, hi       float64
	// q5 compares numbers at SNS filter policy precision: five digits
	// after the decimal point.
	q5  bool
	not []matcher
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func (m *matcher) match(v any) bool {
	switch m.kind {
	case kExact:
		s, ok := v.(string)
		return ok && s == m.s
	case kNumEq:
		f, ok := toFloat(v)
		if ok && m.q5 {
			f = quantize5(f)
		}
		return ok && f == m.f
	case kBool:
		b, ok := v.(bool)
		return ok && b == m.b
	case kNull:
		return v == nil
	case kPrefix:
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, m.s)
	case kSuffix:
		s, ok := v.(string)
		return ok && strings.HasSuffix(s, m.s)
	case kPrefixFold:
		s, ok := v.(string)
		return ok && strings.HasPrefix(fold(s), m.s)
	case kSuffixFold:
		s, ok := v.(string)
		return ok && strings.HasSuffix(fold(s), m.s)
	case kFold:
		s, ok := v.(string)
		return ok && fold(s) == m.s
	case kWildcard:
		s, ok := v.(string)
		return ok && m.w.match(s)
	case kCIDR:
		s, ok := v.(string)
		if !ok {
			return false
		}
		ip, err := netip.ParseAddr(s)
		return err == nil && m.cidr.Contains(ip.Unmap())
	case kNumeric:
		f, ok := toFloat(v)
		if !ok {
			return false
		}
		if m.q5 {
			f = quantize5(f)
		}
		if m.hasLo && (f < m.lo || (f == m.lo && !m.loInc)) {
			return false
		}
		if m.hasHi && (f > m.hi || (f == m.hi && !m.hiInc)) {
			return false
		}
		return true
	case kAnythingBut:
		switch v.(type) {
		case string, float64, json.Number, bool, nil:
		default:
			return false
		}
		for i := range m.not {
			if m.not[i].match(v) {
				return false
			}
		}
		return true
	}
	return false
}

func (n *node) keys() int {
	k := len(n.leaves)
	for _, s := range n.subs {
		k += s.n.keys()
	}
	for _, alts := range n.ors {
		most := 0
		for _, a := range alts {
			most = max(most, a.keys())
		}
		k += most
	}
	return k
}

// combinations multiplies the number of values of every key; "$or"
// alternatives add up. The result saturates well above the limit.
func (n *node) combinations() int {
	const ceiling = 1 << 30
	c := 1
	mul := func(x int) {
		c *= x
		if c > ceiling {
			c = ceiling
		}
	}
	for _, l := range n.leaves {
		mul(len(l.ms))
	}
	for _, s := range n.subs {
		mul(s.n.combinations())
	}
	for _, alts := range n.ors {
		sum := 0
		for _, a := range alts {
			sum = min(sum+a.combinations(), ceiling)
		}
		mul(sum)
	}
	return c
}
