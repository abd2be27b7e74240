package snsapi

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-run/ferry"
)

// maxListEntries bounds the entries of one query list or map, so a request
// naming huge indices cannot make the decoder allocate without limit.
const maxListEntries = 100

// params are the form values of one query request.
type params url.Values

func (p params) get(name string) string {
	if v := p[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (p params) has(name string) bool {
	_, ok := p[name]
	return ok
}

// required returns a parameter that must be present and non-empty.
func (p params) required(name string) (string, error) {
	v := p.get(name)
	if v == "" {
		return "", invalidParameter("%s is required", name)
	}
	return v, nil
}

// boolean parses an optional boolean parameter ("" is false).
func (p params) boolean(name string) (bool, error) {
	v := p.get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalidParameter("%s must be true or false, got %q", name, v)
	}
	return b, nil
}

// indices returns, in order, the distinct indices N of the parameters named
// prefix.N or prefix.N.<rest>; more than maxListEntries is InvalidParameter.
func (p params) indices(prefix string) ([]int, error) {
	return p.indicesUpTo(prefix, maxListEntries, nil)
}

// indicesUpTo is indices with a limit and the error for exceeding it (nil:
// InvalidParameter).
func (p params) indicesUpTo(prefix string, limit int, tooMany error) ([]int, error) {
	prefix += "."
	seen := map[int]bool{}
	for k := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || num[0] == '0' || num[0] == '+' {
			return nil, invalidParameter("%s%s: list index must be a positive integer", prefix, num)
		}
		if !seen[n] {
			seen[n] = true
			if len(seen) > limit {
				if tooMany != nil {
					return nil, tooMany
				}
				return nil, invalidParameter("%s has more than %d entries", strings.TrimSuffix(prefix, "."), limit)
			}
		}
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// list decodes prefix.member.N into a list of strings.
func (p params) list(prefix string) ([]string, error) {
	idx, err := p.indices(prefix + ".member")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(idx))
	for _, n := range idx {
		key := prefix + ".member." + strconv.Itoa(n)
		if !p.has(key) {
			return nil, invalidParameter("%s is missing", key)
		}
		out = append(out, p.get(key))
	}
	return out, nil
}

// stringMap decodes prefix.entry.N.key / prefix.entry.N.value; nil when
// there are no entries.
func (p params) stringMap(prefix string) (map[string]string, error) {
	idx, err := p.indices(prefix + ".entry")
	if err != nil || len(idx) == 0 {
		return nil, err
	}
	out := make(map[string]string, len(idx))
	for _, n := range idx {
		e := prefix + ".entry." + strconv.Itoa(n)
		k := p.get(e + ".key")
		if k == "" {
			return nil, invalidParameter("%s.key is required", e)
		}
		if _, dup := out[k]; dup {
			return nil, invalidParameter("%s: duplicate key %q", prefix, k)
		}
		out[k] = p.get(e + ".value")
	}
	return out, nil
}

// tag is one resource tag.
type tag struct{ Key, Value string }

// tags decodes prefix.member.N.Key / .Value.
func (p params) tags(prefix string) ([]tag, error) {
	idx, err := p.indices(prefix + ".member")
	if err != nil {
		return nil, err
	}
	out := make([]tag, 0, len(idx))
	for _, n := range idx {
		m := prefix + ".member." + strconv.Itoa(n)
		t := tag{Key: p.get(m + ".Key"), Value: p.get(m + ".Value")}
		if t.Key == "" {
			return nil, invalidParameter("%s.Key is required", m)
		}
		out = append(out, t)
	}
	return out, nil
}

// messageAttributes decodes prefix.entry.N.Name and
// prefix.entry.N.Value.{DataType,StringValue,BinaryValue}. Shape errors are
// ParameterValueInvalid, as SNS reports them.
func (p params) messageAttributes(prefix string) (map[string]ferry.MessageAttribute, error) {
	idx, err := p.indices(prefix + ".entry")
	if err != nil || len(idx) == 0 {
		return nil, err
	}
	out := make(map[string]ferry.MessageAttribute, len(idx))
	for _, n := range idx {
		e := prefix + ".entry." + strconv.Itoa(n)
		name := p.get(e + ".Name")
		if name == "" {
			return nil, invalidValue("%s.Name is required", e)
		}
		if _, dup := out[name]; dup {
			return nil, invalidValue("message attribute %q appears more than once", name)
		}
		a := ferry.MessageAttribute{DataType: p.get(e + ".Value.DataType"), StringValue: p.get(e + ".Value.StringValue")}
		if a.DataType == "" {
			return nil, invalidValue("the message attribute '%s' must contain a DataType", name)
		}
		base, _, _ := strings.Cut(a.DataType, ".")
		switch base {
		case "String", "Number":
			if a.StringValue == "" {
				return nil, invalidValue("the message attribute '%s' with type '%s' must use field 'String' with a non-empty value", name, a.DataType)
			}
			if p.has(e + ".Value.BinaryValue") {
				return nil, invalidValue("the message attribute '%s' with type '%s' must not have a BinaryValue", name, a.DataType)
			}
		case "Binary":
			raw := p.get(e + ".Value.BinaryValue")
			b, err := base64.StdEncoding.DecodeString(raw)
			if err != nil {
				return nil, invalidValue("the message attribute '%s': BinaryValue is not valid base64", name)
			}
			if len(b) == 0 {
				return nil, invalidValue("the message attribute '%s' with type 'Binary' must use field 'Binary' with a non-empty value", name)
			}
			if a.StringValue != "" {
				return nil, invalidValue("the message attribute '%s' with type 'Binary' must not have a StringValue", name)
			}
			a.BinaryValue = b
		default:
			return nil, invalidValue("the message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String", name)
		}
		out[name] = a
	}
	return out, nil
}
