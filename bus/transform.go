package bus

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pathStep is one step of a JSONPath: an object key or an array index.
type pathStep struct {
	key   string
	index int
	isIdx bool
}

// parsePath parses the JSONPath subset EventBridge uses: $, $.a.b, $.a[0],
// $['a-b'] / $["a b"].
func parsePath(p string) ([]pathStep, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("path %q must start with $", p)
	}
	var steps []pathStep
	rest := p[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("path %q has an empty key", p)
			}
			steps = append(steps, pathStep{key: rest[:end]})
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q has an unclosed [", p)
			}
			in := rest[1:end]
			rest = rest[end+1:]
			if len(in) >= 2 && (in[0] == '\'' || in[0] == '"') && in[len(in)-1] == in[0] {
				steps = append(steps, pathStep{key: in[1 : len(in)-1]})
				continue
			}
			n, err := strconv.Atoi(in)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("path %q: [%s] is not an index or a quoted key", p, in)
			}
			steps = append(steps, pathStep{index: n, isIdx: true})
		default:
			return nil, fmt.Errorf("path %q: unexpected %q", p, rest[0])
		}
	}
	return steps, nil
}

// lookup evaluates a parsed path against a decoded event.
func lookup(v any, steps []pathStep) (any, bool) {
	for _, s := range steps {
		if s.isIdx {
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return nil, false
			}
			v = arr[s.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[s.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// transformCtx is what a target's input is computed from.
type transformCtx struct {
	event     []byte // the event JSON
	decoded   any
	ruleName  string
	ruleArn   string
	ingestion time.Time
}

// input computes the payload a target receives.
func input(t *Target, c *transformCtx) ([]byte, error) {
	switch {
	case t.Input != "":
		return []byte(t.Input), nil
	case t.InputPath != "":
		steps, err := parsePath(t.InputPath)
		if err != nil {
			return nil, err
		}
		v, ok := lookup(c.decoded, steps)
		if !ok {
			return []byte("null"), nil
		}
		return json.Marshal(v)
	case t.InputTransformer != nil:
		return transform(t.InputTransformer, c)
	}
	return c.event, nil
}

// transform fills an InputTemplate. A <var> outside a JSON string is replaced
// by the value's JSON (strings quoted); inside a JSON string by the value's
// text, escaped for the string (a string without its quotes). A template
// that is not JSON (it does not start with {, [ or ") gets strings as plain
// text. Unknown <names> are left as they are; a path that matches nothing
// yields null (empty inside a string).
func transform(it *InputTransformer, c *transformCtx) ([]byte, error) {
	vals := make(map[string]any, len(it.InputPathsMap)+4)
	for k, p := range it.InputPathsMap {
		steps, err := parsePath(p)
		if err != nil {
			return nil, err
		}
		if v, ok := lookup(c.decoded, steps); ok {
			vals[k] = v
		} else {
			vals[k] = nil
		}
	}
	vals["aws.events.rule-arn"] = c.ruleArn
	vals["aws.events.rule-name"] = c.ruleName
	vals["aws.events.event.ingestion-time"] = c.ingestion.UTC().Format(time.RFC3339)
	vals["aws.events.event"] = json.RawMessage(c.event)
	vals["aws.events.event.json"] = json.RawMessage(c.event)

	tpl := it.InputTemplate
	trimmed := strings.TrimSpace(tpl)
	jsonMode := trimmed != "" && strings.ContainsRune("{[\"", rune(trimmed[0]))
	var out strings.Builder
	inString := false
	for i := 0; i < len(tpl); i++ {
		ch := tpl[i]
		if jsonMode && ch == '\\' && inString && i+1 < len(tpl) {
			out.WriteByte(ch)
			out.WriteByte(tpl[i+1])
			i++
			continue
		}
		if jsonMode && ch == '"' {
			inString = !inString
			out.WriteByte(ch)
			continue
		}
		if ch == '<' {
			if end := strings.IndexByte(tpl[i+1:], '>'); end >= 0 {
				name := tpl[i+1 : i+1+end]
				if v, ok := vals[name]; ok {
					if err := writeValue(&out, v, jsonMode, inString); err != nil {
						return nil, err
					}
					i += end + 1
					continue
				}
			}
		}
		out.WriteByte(ch)
	}
	if inString {
		return nil, errors.New("input template has an unterminated string")
	}
	return []byte(out.String()), nil
}

func writeValue(out *strings.Builder, v any, jsonMode, inString bool) error {
	if s, ok := v.(string); ok && (inString || !jsonMode) {
		if inString {
			b, _ := json.Marshal(s)
			out.Write(b[1 : len(b)-1])
		} else {
			out.WriteString(s)
		}
		return nil
	}
	if v == nil && inString {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if inString {
		q, _ := json.Marshal(string(b))
		b = q[1 : len(q)-1]
	}
	out.Write(b)
	return nil
}
