package natsjs_test

import (
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/natsjs"
)

func TestCheckTokenSubjectKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 4100)
	for _, tc := range []struct {
		name  string
		check func(string, string) error
		in    string
		ok    bool
	}{
		{"token", natsjs.CheckToken, "fn-pay_1", true},
		{"token unicode", natsjs.CheckToken, "zahlung-ü", true},
		{"token empty", natsjs.CheckToken, "", false},
		{"token dot", natsjs.CheckToken, "a.b", false},
		{"token star", natsjs.CheckToken, "*", false},
		{"token gt", natsjs.CheckToken, ">", false},
		{"token space", natsjs.CheckToken, "a b", false},
		{"token tab", natsjs.CheckToken, "a\tb", false},
		{"token NUL", natsjs.CheckToken, "a\x00b", false},
		{"token CRLF", natsjs.CheckToken, "a\r\nb", false},
		{"token bad UTF-8", natsjs.CheckToken, "a\xffb", false},
		{"token at limit", natsjs.CheckToken, strings.Repeat("a", natsjs.MaxToken), true},
		{"token too long", natsjs.CheckToken, long, false},
		{"subject", natsjs.CheckSubject, "ferry.async.pay", true},
		{"subject empty token", natsjs.CheckSubject, "ferry..pay", false},
		{"subject wildcard", natsjs.CheckSubject, "ferry.async.*", false},
		{"subject too long", natsjs.CheckSubject, "ferry." + strings.Repeat("a.", 600) + "b", false},
		{"key", natsjs.CheckKey, "rule.ZGVmYXVsdA.cg", true},
		{"key uuid", natsjs.CheckKey, "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"key slash equals", natsjs.CheckKey, "a/b=c", true},
		{"key space", natsjs.CheckKey, "a b", false},
		{"key star", natsjs.CheckKey, "a*", false},
		{"key leading dot", natsjs.CheckKey, ".a", false},
		{"key trailing dot", natsjs.CheckKey, "a.", false},
		{"key empty part", natsjs.CheckKey, "a..b", false},
		{"key unicode", natsjs.CheckKey, "ü", false},
		{"key too long", natsjs.CheckKey, long, false},
	} {
		err := tc.check("id", tc.in)
		if got := err == nil; got != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil {
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Errorf("%s: code %q, want %q", tc.name, ferry.ErrorCode(err), ferry.EINVALID)
			}
			if len(err.Error()) > 300 {
				t.Errorf("%s: message is %d bytes; the value must be shortened", tc.name, len(err.Error()))
			}
		}
	}
}
