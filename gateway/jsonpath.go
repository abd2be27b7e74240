package gateway

import (
	"fmt"
	"strconv"
	"strings"
)

// jpStep is one step of a JSON path: a key, or an index when isIndex.
type jpStep struct {
	key     string
	index   int
	isIndex bool
}

// parseJSONPath parses the JSON paths mapping templates use: $, $.a.b,
// $.a[0], $['a'] and $["a"].
func parseJSONPath(s string) ([]jpStep, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("JSON path %q must start with $", s)
	}
	var steps []jpStep
	i := 1
	for i < len(s) {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("JSON path %q: empty name at offset %d", s, i)
			}
			key := s[i+1 : j]
			if key == "*" || strings.ContainsAny(key, "*?()@ ") {
				return nil, fmt.Errorf("JSON path %q: unsupported name %q", s, key)
			}
			steps = append(steps, jpStep{key: key})
			i = j
		case '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("JSON path %q: missing ]", s)
			}
			inner := s[i+1 : i+end]
			switch {
			case len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0]:
				steps = append(steps, jpStep{key: inner[1 : len(inner)-1]})
			default:
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("JSON path %q: unsupported subscript [%s]", s, inner)
				}
				steps = append(steps, jpStep{index: n, isIndex: true})
			}
			i += end + 1
		default:
			return nil, fmt.Errorf("JSON path %q: unexpected %q at offset %d", s, s[i], i)
		}
	}
	return steps, nil
}

// jsonPathGet follows steps through a decoded JSON value; a missing step
// yields nil.
func jsonPathGet(v any, steps []jpStep) any {
	for _, st := range steps {
		switch x := v.(type) {
		case map[string]any:
			if st.isIndex {
				return nil
			}
			v = x[st.key]
		case []any:
			if !st.isIndex || st.index >= len(x) {
				return nil
			}
			v = x[st.index]
		default:
			return nil
		}
	}
	return v
}
