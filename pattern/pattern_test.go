package pattern

import (
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
)

// jsonCase is one pattern against one JSON document; it runs both as an
// EventBridge pattern and as an SNS MessageBody filter policy unless ebOnly.
type jsonCase struct {
	name    string
	pattern string
	event   string
	want    bool
	ebOnly  bool
}

var jsonCases = []jsonCase{
	{"exact string match", `{"source":["shop"]}`, `{"source":"shop"}`, true, false},
	{"exact string miss", `{"source":["shop"]}`, `{"source":"shops"}`, false, false},
	{"exact number match", `{"n":[5]}`, `{"n":5.0}`, true, false},
	{"exact number miss", `{"n":[5]}`, `{"n":"5"}`, false, false},
	{"boolean match", `{"b":[true]}`, `{"b":true}`, true, false},
	{"boolean miss", `{"b":[true]}`, `{"b":"true"}`, false, false},
	{"null match", `{"x":[null]}`, `{"x":null}`, true, false},
	{"null miss", `{"x":[null]}`, `{"x":"null"}`, false, false},
	{"empty string match", `{"x":[""]}`, `{"x":""}`, true, false},
	{"array is OR match", `{"s":["a","b"]}`, `{"s":"b"}`, true, false},
	{"array is OR miss", `{"s":["a","b"]}`, `{"s":"c"}`, false, false},
	{"fields are AND miss", `{"a":["1"],"b":["2"]}`, `{"a":"1","b":"3"}`, false, false},
	{"prefix match", `{"t":[{"prefix":"2017-10"}]}`, `{"t":"2017-10-02T18:43:48Z"}`, true, false},
	{"prefix miss", `{"t":[{"prefix":"2017-10"}]}`, `{"t":"2018-10-02"}`, false, false},
	{"prefix ignore case match", `{"s":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"s":"eventbridge"}`, true, false},
	{"prefix ignore case miss", `{"s":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"s":"bridge"}`, false, false},
	{"suffix match", `{"f":[{"suffix":".png"}]}`, `{"f":"a.png"}`, true, false},
	{"suffix miss", `{"f":[{"suffix":".png"}]}`, `{"f":"a.PNG"}`, false, false},
	{"suffix ignore case match", `{"f":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"f":"a.PNG"}`, true, false},
	{"suffix ignore case miss", `{"f":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"f":"a.jpg"}`, false, false},
	{"equals-ignore-case match", `{"n":[{"equals-ignore-case":"alice"}]}`, `{"n":"ALICE"}`, true, false},
	{"equals-ignore-case miss", `{"n":[{"equals-ignore-case":"alice"}]}`, `{"n":"alicia"}`, false, false},
	{"anything-but value match", `{"s":[{"anything-but":"init"}]}`, `{"s":"running"}`, true, false},
	{"anything-but value miss", `{"s":[{"anything-but":"init"}]}`, `{"s":"init"}`, false, false},
	{"anything-but missing field", `{"s":[{"anything-but":"init"}]}`, `{"t":"x"}`, false, false},
	{"anything-but number match", `{"n":[{"anything-but":123}]}`, `{"n":124}`, true, false},
	{"anything-but number miss", `{"n":[{"anything-but":123}]}`, `{"n":123}`, false, false},
	{"anything-but list match", `{"s":[{"anything-but":["a","b"]}]}`, `{"s":"c"}`, true, false},
	{"anything-but list miss", `{"s":[{"anything-but":["a","b"]}]}`, `{"s":"b"}`, false, false},
	{"anything-but prefix match", `{"r":[{"anything-but":{"prefix":"us-"}}]}`, `{"r":"eu-west-1"}`, true, false},
	{"anything-but prefix miss", `{"r":[{"anything-but":{"prefix":"us-"}}]}`, `{"r":"us-east-1"}`, false, false},
	{"anything-but suffix match", `{"f":[{"anything-but":{"suffix":".png"}}]}`, `{"f":"a.jpg"}`, true, false},
	{"anything-but suffix miss", `{"f":[{"anything-but":{"suffix":".png"}}]}`, `{"f":"a.png"}`, false, false},
	{"anything-but ignore case match", `{"s":[{"anything-but":{"equals-ignore-case":["init","stop"]}}]}`, `{"s":"run"}`, true, false},
	{"anything-but ignore case miss", `{"s":[{"anything-but":{"equals-ignore-case":["init","stop"]}}]}`, `{"s":"INIT"}`, false, false},
	{"anything-but wildcard match", `{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"p":"/usr/bin/x"}`, true, false},
	{"anything-but wildcard miss", `{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"p":"/usr/lib/x"}`, false, false},
	{"numeric = match", `{"n":[{"numeric":["=",301.5]}]}`, `{"n":3.015e2}`, true, false},
	{"numeric = miss", `{"n":[{"numeric":["=",301.5]}]}`, `{"n":301}`, false, false},
	{"numeric < match", `{"n":[{"numeric":["<",10]}]}`, `{"n":9.99}`, true, false},
	{"numeric < miss", `{"n":[{"numeric":["<",10]}]}`, `{"n":10}`, false, false},
	{"numeric <= match", `{"n":[{"numeric":["<=",10]}]}`, `{"n":10}`, true, false},
	{"numeric <= miss", `{"n":[{"numeric":["<=",10]}]}`, `{"n":10.01}`, false, false},
	{"numeric > match", `{"n":[{"numeric":[">",0]}]}`, `{"n":0.1}`, true, false},
	{"numeric > miss", `{"n":[{"numeric":[">",0]}]}`, `{"n":0}`, false, false},
	{"numeric >= match", `{"n":[{"numeric":[">=",0]}]}`, `{"n":0}`, true, false},
	{"numeric >= miss", `{"n":[{"numeric":[">=",0]}]}`, `{"n":-1}`, false, false},
	{"numeric range match", `{"n":[{"numeric":[">",0,"<=",5]}]}`, `{"n":5}`, true, false},
	{"numeric range miss", `{"n":[{"numeric":[">",0,"<=",5]}]}`, `{"n":6}`, false, false},
	{"numeric string value miss", `{"n":[{"numeric":[">",0]}]}`, `{"n":"5"}`, false, false},
	{"exists true match", `{"x":[{"exists":true}]}`, `{"x":"v"}`, true, false},
	{"exists true miss", `{"x":[{"exists":true}]}`, `{"y":"v"}`, false, false},
	{"exists true on object miss", `{"x":[{"exists":true}]}`, `{"x":{"a":1}}`, false, false},
	{"exists false match", `{"x":[{"exists":false}]}`, `{"y":"v"}`, true, false},
	{"exists false miss", `{"x":[{"exists":false}]}`, `{"x":"v"}`, false, false},
	{"exists false under missing parent", `{"d":{"x":[{"exists":false}]}}`, `{"y":1}`, true, false},
	{"cidr v4 match", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.0.255"}`, true, false},
	{"cidr v4 miss", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.1.0"}`, false, false},
	{"cidr v6 match", `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db8:1::5"}`, true, false},
	{"cidr v6 miss", `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db9::5"}`, false, false},
	{"cidr non-ip miss", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"host"}`, false, false},
	{"wildcard match", `{"f":[{"wildcard":"dir/*/x*.png"}]}`, `{"f":"dir/a/b/xyz.png"}`, true, false},
	{"wildcard miss", `{"f":[{"wildcard":"dir/*/x*.png"}]}`, `{"f":"dir/a/y.png"}`, false, false},
	{"wildcard escaped star", `{"f":[{"wildcard":"a\\*b"}]}`, `{"f":"a*b"}`, true, false},
	{"wildcard escaped star miss", `{"f":[{"wildcard":"a\\*b"}]}`, `{"f":"axb"}`, false, false},
	{"$or match second", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"b":"2"}`, true, false},
	{"$or miss", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"a":"2","b":"1"}`, false, false},
	{"$or with AND sibling miss", `{"c":["x"],"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"a":"1","c":"y"}`, false, false},
	{"nested $or match", `{"d":{"$or":[{"n":[{"numeric":[">",10]}]},{"s":["hot"]}]}}`, `{"d":{"n":3,"s":"hot"}}`, true, false},
	{"nested object match", `{"detail":{"state":["ok"],"inner":{"n":[1]}}}`, `{"detail":{"state":"ok","inner":{"n":1}}}`, true, false},
	{"nested object miss", `{"detail":{"state":["ok"]}}`, `{"detail":"ok"}`, false, false},
	{"event array any element match", `{"tags":["b"]}`, `{"tags":["a","b"]}`, true, false},
	{"event array no element miss", `{"tags":["c"]}`, `{"tags":["a","b"]}`, false, false},
	{"event array of objects match", `{"items":{"sku":["x"]}}`, `{"items":[{"sku":"y"},{"sku":"x"}]}`, true, false},
	{"event array of objects same element", `{"items":{"sku":["x"],"q":[2]}}`, `{"items":[{"sku":"x","q":1},{"sku":"y","q":2}]}`, false, false},
	{"event array anything-but any element", `{"tags":[{"anything-but":"a"}]}`, `{"tags":["a","b"]}`, true, false},
	{"not an object event", `{"a":["1"]}`, `["a"]`, false, false},
	{"invalid json event", `{"a":["1"]}`, `{"a":`, false, false},
}

func TestEventPatternMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range jsonCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			if got := p.Match([]byte(tc.event)); got != tc.want {
				t.Errorf("pattern %s event %s: got %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
		})
	}
}

func TestFilterPolicyBodyMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range jsonCases {
		if tc.ebOnly {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := CompileFilterPolicy([]byte(tc.pattern), ScopeMessageBody)
			if err != nil {
				t.Fatalf("CompileFilterPolicy(%s): %v", tc.pattern, err)
			}
			if got := p.Match([]byte(tc.event)); got != tc.want {
				t.Errorf("policy %s body %s: got %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
		})
	}
}

func str(v string) ferry.MessageAttribute {
	return ferry.MessageAttribute{DataType: "String", StringValue: v}
}
func num(v string) ferry.MessageAttribute {
	return ferry.MessageAttribute{DataType: "Number", StringValue: v}
}
func arr(v string) ferry.MessageAttribute {
	return ferry.MessageAttribute{DataType: "String.Array", StringValue: v}
}

func TestFilterPolicyAttributesMatch(t *testing.T) {
	t.Parallel()
	type attrs = map[string]ferry.MessageAttribute
	cases := []struct {
		name   string
		policy string
		attrs  attrs
		want   bool
	}{
		{"exact string match", `{"store":["example_corp"]}`, attrs{"store": str("example_corp")}, true},
		{"exact string miss", `{"store":["example_corp"]}`, attrs{"store": str("other")}, false},
		{"string policy vs number attribute miss", `{"n":["5"]}`, attrs{"n": num("5")}, false},
		{"exact number match", `{"n":[5]}`, attrs{"n": num("5.0")}, true},
		{"exact number vs string attribute miss", `{"n":[5]}`, attrs{"n": str("5")}, false},
		{"custom number type match", `{"n":[{"numeric":[">",1]}]}`, attrs{"n": {DataType: "Number.float", StringValue: "1.5"}}, true},
		{"array is OR match", `{"c":["red","blue"]}`, attrs{"c": str("blue")}, true},
		{"array is OR miss", `{"c":["red","blue"]}`, attrs{"c": str("green")}, false},
		{"string array match", `{"c":["red"]}`, attrs{"c": arr(`["green","red"]`)}, true},
		{"string array miss", `{"c":["red"]}`, attrs{"c": arr(`["green","blue"]`)}, false},
		{"string array number element match", `{"c":[{"numeric":[">",2]}]}`, attrs{"c": arr(`[1,3]`)}, true},
		{"prefix match", `{"e":[{"prefix":"order-"}]}`, attrs{"e": str("order-placed")}, true},
		{"prefix miss", `{"e":[{"prefix":"order-"}]}`, attrs{"e": str("refund")}, false},
		{"prefix ignore case match", `{"e":[{"prefix":{"equals-ignore-case":"ORDER"}}]}`, attrs{"e": str("order-1")}, true},
		{"prefix ignore case miss", `{"e":[{"prefix":{"equals-ignore-case":"ORDER"}}]}`, attrs{"e": str("1-order")}, false},
		{"suffix match", `{"e":[{"suffix":"-placed"}]}`, attrs{"e": str("order-placed")}, true},
		{"suffix miss", `{"e":[{"suffix":"-placed"}]}`, attrs{"e": str("order-cancelled")}, false},
		{"suffix ignore case match", `{"e":[{"suffix":{"equals-ignore-case":"-PLACED"}}]}`, attrs{"e": str("order-placed")}, true},
		{"suffix ignore case miss", `{"e":[{"suffix":{"equals-ignore-case":"-PLACED"}}]}`, attrs{"e": str("placed-order")}, false},
		{"equals-ignore-case match", `{"s":[{"equals-ignore-case":"Shipped"}]}`, attrs{"s": str("SHIPPED")}, true},
		{"equals-ignore-case miss", `{"s":[{"equals-ignore-case":"Shipped"}]}`, attrs{"s": str("SHIP")}, false},
		{"anything-but match", `{"s":[{"anything-but":["a","b"]}]}`, attrs{"s": str("c")}, true},
		{"anything-but miss", `{"s":[{"anything-but":["a","b"]}]}`, attrs{"s": str("a")}, false},
		{"anything-but absent miss", `{"s":[{"anything-but":["a","b"]}]}`, attrs{"t": str("c")}, false},
		{"anything-but number match", `{"p":[{"anything-but":[100,500]}]}`, attrs{"p": num("101")}, true},
		{"anything-but number miss", `{"p":[{"anything-but":[100,500]}]}`, attrs{"p": num("1e2")}, false},
		{"anything-but prefix match", `{"s":[{"anything-but":{"prefix":"test"}}]}`, attrs{"s": str("prod")}, true},
		{"anything-but prefix miss", `{"s":[{"anything-but":{"prefix":"test"}}]}`, attrs{"s": str("testing")}, false},
		{"anything-but suffix match", `{"s":[{"anything-but":{"suffix":"tmp"}}]}`, attrs{"s": str("a.txt")}, true},
		{"anything-but suffix miss", `{"s":[{"anything-but":{"suffix":"tmp"}}]}`, attrs{"s": str("a.tmp")}, false},
		{"numeric range match", `{"p":[{"numeric":[">=",0,"<",100]}]}`, attrs{"p": num("99.99")}, true},
		{"numeric range miss", `{"p":[{"numeric":[">=",0,"<",100]}]}`, attrs{"p": num("100")}, false},
		{"numeric on string attribute miss", `{"p":[{"numeric":[">=",0]}]}`, attrs{"p": str("5")}, false},
		{"exists true match", `{"k":[{"exists":true}]}`, attrs{"k": str("")}, true},
		{"exists true miss", `{"k":[{"exists":true}]}`, attrs{}, false},
		{"exists binary match", `{"k":[{"exists":true}]}`, attrs{"k": {DataType: "Binary", BinaryValue: []byte{1}}}, true},
		{"exists false match", `{"k":[{"exists":false}]}`, attrs{"x": str("1")}, true},
		{"exists false miss", `{"k":[{"exists":false}]}`, attrs{"k": str("1")}, false},
		{"cidr match", `{"ip":[{"cidr":"192.168.0.0/16"}]}`, attrs{"ip": str("192.168.3.4")}, true},
		{"cidr miss", `{"ip":[{"cidr":"192.168.0.0/16"}]}`, attrs{"ip": str("10.1.1.1")}, false},
		{"cidr v6 match", `{"ip":[{"cidr":"fd00::/8"}]}`, attrs{"ip": str("fd12::1")}, true},
		{"cidr v6 miss", `{"ip":[{"cidr":"fd00::/8"}]}`, attrs{"ip": str("fe80::1")}, false},
		{"wildcard match", `{"f":[{"wildcard":"img-*.png"}]}`, attrs{"f": str("img-1.png")}, true},
		{"wildcard miss", `{"f":[{"wildcard":"img-*.png"}]}`, attrs{"f": str("img-1.jpg")}, false},
		{"$or match", `{"$or":[{"a":["1"]},{"b":[{"numeric":[">",5]}]}]}`, attrs{"b": num("6")}, true},
		{"$or miss", `{"$or":[{"a":["1"]},{"b":[{"numeric":[">",5]}]}]}`, attrs{"a": str("2"), "b": num("5")}, false},
		{"AND of keys miss", `{"a":["1"],"b":["2"]}`, attrs{"a": str("1")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := CompileFilterPolicy([]byte(tc.policy), "")
			if err != nil {
				t.Fatalf("CompileFilterPolicy(%s): %v", tc.policy, err)
			}
			if got := p.MatchAttributes(tc.attrs); got != tc.want {
				t.Errorf("policy %s attrs %v: got %v, want %v", tc.policy, tc.attrs, got, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	const eb, attrs, body = "eb", "MessageAttributes", "MessageBody"
	cases := []struct {
		scope   string
		pattern string
		code    string
		wantMsg string
	}{
		{eb, `{"detail":{"amount":[{"numeric":[">","x"]}]}}`, ferry.EINVALID, `pattern: at "detail.amount": numeric operator > needs a number, got "x"`},
		{eb, `not json`, ferry.EINVALIDJSON, "not valid JSON"},
		{eb, `[1]`, ferry.EINVALID, "must be a JSON object"},
		{eb, `{}`, ferry.EINVALID, "must not be empty"},
		{eb, `{"a":"x"}`, ferry.EINVALID, `at "a": value must be an array or an object, got "x"`},
		{eb, `{"a":[]}`, ferry.EINVALID, "empty array"},
		{eb, `{"a":[[1]]}`, ferry.EINVALID, "nested arrays"},
		{eb, `{"a":[{"prefix":1}]}`, ferry.EINVALID, "prefix needs a string, got 1"},
		{eb, `{"a":[{"prefix":{"x":"y"}}]}`, ferry.EINVALID, "prefix accepts"},
		{eb, `{"a":[{"bogus":1}]}`, ferry.EINVALID, `unknown operator "bogus"`},
		{eb, `{"a":[{"prefix":"x","suffix":"y"}]}`, ferry.EINVALID, "exactly one key"},
		{eb, `{"a":[{"numeric":["=",1,"<",2]}]}`, ferry.EINVALID, "cannot be combined"},
		{eb, `{"a":[{"numeric":[">",1,">=",2]}]}`, ferry.EINVALID, "two lower bounds"},
		{eb, `{"a":[{"numeric":["<",1,"<=",2]}]}`, ferry.EINVALID, "two upper bounds"},
		{eb, `{"a":[{"numeric":[">",5,"<",1]}]}`, ferry.EINVALID, "range is empty"},
		{eb, `{"a":[{"numeric":["~",1]}]}`, ferry.EINVALID, `unknown numeric operator "~"`},
		{eb, `{"a":[{"numeric":[">"]}]}`, ferry.EINVALID, "numeric needs"},
		{eb, `{"a":[{"exists":"yes"}]}`, ferry.EINVALID, "exists needs true or false"},
		{eb, `{"a":[{"cidr":"10.0.0.0/33"}]}`, ferry.EINVALID, "not a valid IPv4 or IPv6 CIDR"},
		{eb, `{"a":[{"wildcard":"a**b"}]}`, ferry.EINVALID, "consecutive wildcard"},
		{eb, `{"a":[{"wildcard":"a\\b"}]}`, ferry.EINVALID, "backslash"},
		{eb, `{"a":[{"anything-but":["a",1]}]}`, ferry.EINVALID, "mixes strings and numbers"},
		{eb, `{"a":[{"anything-but":[]}]}`, ferry.EINVALID, "list is empty"},
		{eb, `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, ferry.EINVALID, `does not take "numeric"`},
		{eb, `{"a":[{"anything-but":{"prefix":""}}]}`, ferry.EINVALID, "non-empty string"},
		{eb, `{"a":[{"anything-but":true}]}`, ferry.EINVALID, "anything-but needs"},
		{eb, `{"$or":[{"a":["1"]}]}`, ferry.EINVALID, "at least 2 alternatives"},
		{eb, `{"$or":{"a":["1"]}}`, ferry.EINVALID, "$or needs an array"},
		{eb, `{"$or":[{"a":["1"]},"x"]}`, ferry.EINVALID, `at "$or[1]"`},
		{attrs, `{"a":{"b":["1"]}}`, ferry.EINVALID, "nested objects are not allowed"},
		{attrs, `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, ferry.EINVALID, "6 keys, the limit is 5"},
		{body, `{"a":{"b":["1"],"c":["1"],"d":["1"]},"e":["1"],"f":["1"],"g":["1"]}`, ferry.EINVALID, "6 keys, the limit is 5"},
		{attrs, `{"a":["1","2","3","4","5","6"],"b":["1","2","3","4","5"],"c":["1","2","3","4","5","6"]}`, ferry.EINVALID, "180 combinations of values, the limit is 150"},
		{attrs, `{"a":[{"numeric":[">",2e9]}]}`, ferry.EINVALID, "outside the range"},
		{"Bogus", `{"a":["1"]}`, ferry.EINVALID, `unknown FilterPolicyScope "Bogus"`},
	}
	for _, tc := range cases {
		var err error
		if tc.scope == eb {
			_, err = Compile([]byte(tc.pattern))
		} else {
			_, err = CompileFilterPolicy([]byte(tc.pattern), tc.scope)
		}
		if err == nil {
			t.Errorf("%s %s: no error, want %q", tc.scope, tc.pattern, tc.wantMsg)
			continue
		}
		if got := ferry.ErrorCode(err); got != tc.code {
			t.Errorf("%s %s: code %q, want %q (%v)", tc.scope, tc.pattern, got, tc.code, err)
		}
		if !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("%s %s: error %q, want it to contain %q", tc.scope, tc.pattern, err, tc.wantMsg)
		}
	}
}

func TestPolicyLimitsAllowMaximum(t *testing.T) {
	t.Parallel()
	// 5 keys and 5*5*6 = 150 combinations are within the limits.
	p := `{"a":["1","2","3","4","5"],"b":["1","2","3","4","5"],"c":["1","2","3","4","5","6"],"d":["x"],"e":["y"]}`
	if _, err := CompileFilterPolicy([]byte(p), ScopeMessageAttributes); err != nil {
		t.Fatalf("policy at the limits: %v", err)
	}
}

func TestEventPatternRealEvent(t *testing.T) {
	t.Parallel()
	ev := `{"version":"0","id":"1","detail-type":"Order Placed","source":"com.shop","account":"000000000000",
		"time":"2026-01-02T03:04:05Z","region":"us-east-1","resources":["arn:x"],
		"detail":{"amount":120.5,"customer":{"tier":"gold","ip":"10.1.2.3"},"items":[{"sku":"A1"},{"sku":"B2"}]}}`
	p, err := Compile([]byte(`{"source":["com.shop"],"detail-type":[{"prefix":"Order"}],
		"detail":{"amount":[{"numeric":[">=",100]}],"customer":{"tier":["gold","platinum"],"ip":[{"cidr":"10.0.0.0/8"}]},
		"items":{"sku":["B2"]},"coupon":[{"exists":false}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match([]byte(ev)) {
		t.Errorf("got no match, want match")
	}
	if p.Match([]byte(strings.Replace(ev, `"gold"`, `"silver"`, 1))) {
		t.Errorf("silver tier: got match, want none")
	}
}
