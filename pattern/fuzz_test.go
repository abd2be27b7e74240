package pattern

import (
	"encoding/json"
	"testing"

	"github.com/ferry-run/ferry"
)

func FuzzCompile(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add([]byte(tc.pattern))
	}
	f.Add([]byte(`{"a":[{"wildcard":"\\"}]}`))
	f.Add([]byte(`{"a":[{"numeric":[">",1e400]}]}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Compile(src)
		if err == nil && p == nil {
			t.Fatal("nil pattern without error")
		}
		if err != nil && ferry.ErrorCode(err) != ferry.EINVALID && ferry.ErrorCode(err) != ferry.EINVALIDJSON {
			t.Fatalf("error without a ferry code: %v", err)
		}
		for _, scope := range []string{ScopeMessageAttributes, ScopeMessageBody} {
			if q, err := CompileFilterPolicy(src, scope); err == nil {
				q.MatchAttributes(map[string]ferry.MessageAttribute{"a": str("x")})
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add([]byte(tc.pattern), []byte(tc.event))
	}
	f.Fuzz(func(t *testing.T, pat, event []byte) {
		p, err := Compile(pat)
		if err != nil {
			return
		}
		got := p.Match(event)
		var v any
		if json.Unmarshal(event, &v) == nil {
			if again := p.MatchValue(v); again != got {
				t.Fatalf("Match %v, MatchValue %v", got, again)
			}
		}
		attrs := map[string]ferry.MessageAttribute{}
		if obj, ok := v.(map[string]any); ok {
			for k, e := range obj {
				b, _ := json.Marshal(e)
				attrs[k] = ferry.MessageAttribute{DataType: "String.Array", StringValue: string(b)}
			}
		}
		p.MatchAttributes(attrs)
	})
}
