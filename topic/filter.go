package topic

import (
	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/pattern"
)

// Filter policy scopes.
const (
	ScopeMessageAttributes = pattern.ScopeMessageAttributes
	ScopeMessageBody       = pattern.ScopeMessageBody
)

// filter is a subscription's compiled filter policy.
type filter struct {
	p    *pattern.Pattern
	body bool
}

// compileFilter compiles policy for scope ("" is MessageAttributes); an empty
// policy is no filter.
func compileFilter(policy, scope string) (*filter, error) {
	if scope != "" && scope != ScopeMessageAttributes && scope != ScopeMessageBody {
		return nil, ferry.Errorf(ferry.EINVALID, "FilterPolicyScope must be MessageAttributes or MessageBody, got %q", scope)
	}
	if policy == "" {
		return nil, nil
	}
	p, err := pattern.CompileFilterPolicy([]byte(policy), scope)
	if err != nil {
		return nil, err
	}
	return &filter{p: p, body: scope == ScopeMessageBody}, nil
}

// match reports whether m passes the filter; a nil filter passes everything.
func (f *filter) match(m *stored) bool {
	if f == nil {
		return true
	}
	if f.body {
		return f.p.Match([]byte(m.Message))
	}
	return f.p.MatchAttributes(m.Attributes)
}
