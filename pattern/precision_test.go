package pattern_test

import (
	"testing"

	"github.com/ferry-run/ferry/pattern"
)

// TestFilterPolicyNumericPrecision: SNS compares filter policy numbers at
// five digits after the decimal point; EventBridge patterns do not.
func TestFilterPolicyNumericPrecision(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy, body string
		sns, events  bool
	}{
		{`{"n":[{"numeric":["=",0.000001]}]}`, `{"n":0.000004}`, true, false},
		{`{"n":[1.000001]}`, `{"n":1.000004}`, true, false},
		{`{"n":[{"numeric":[">",0.5]}]}`, `{"n":0.500001}`, false, true},
		{`{"n":[{"numeric":[">=",10.00001]}]}`, `{"n":10.000006}`, true, false},
		{`{"n":[{"numeric":["<",3]}]}`, `{"n":2.99999}`, true, true},
	} {
		sp, err := pattern.CompileFilterPolicy([]byte(tc.policy), pattern.ScopeMessageBody)
		if err != nil {
			t.Fatal(err)
		}
		ep, err := pattern.Compile([]byte(tc.policy))
		if err != nil {
			t.Fatal(err)
		}
		if got := sp.Match([]byte(tc.body)); got != tc.sns {
			t.Errorf("filter policy %s on %s = %v, want %v", tc.policy, tc.body, got, tc.sns)
		}
		if got := ep.Match([]byte(tc.body)); got != tc.events {
			t.Errorf("event pattern %s on %s = %v, want %v", tc.policy, tc.body, got, tc.events)
		}
	}
}
