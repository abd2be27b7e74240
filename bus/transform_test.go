package bus

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTransform(t *testing.T) {
	t.Parallel()
	event := []byte(`{"id":"e1","detail":{"s":"a\"b","n":1.5,"o":{"k":[1,2]},"list":["x","y"],"nil":null}}`)
	var decoded any
	if err := json.Unmarshal(event, &decoded); err != nil {
		t.Fatal(err)
	}
	c := &transformCtx{event: event, decoded: decoded, ruleName: "r1", ruleArn: "arn:rule", ingestion: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	paths := map[string]string{"s": "$.detail.s", "n": "$.detail.n", "o": "$.detail.o", "first": "$.detail.list[0]",
		"k": "$.detail['o'].k[1]", "missing": "$.detail.none", "nil": "$.detail.nil"}
	cases := []struct {
		name, tpl, want string
	}{
		{"json values", `{"s":<s>,"n":<n>,"o":<o>,"f":<first>,"k":<k>}`, `{"s":"a\"b","n":1.5,"o":{"k":[1,2]},"f":"x","k":2}`},
		{"inside strings", `{"msg":"<s> costs <n> <o>"}`, `{"msg":"a\"b costs 1.5 {\"k\":[1,2]}"}`},
		{"missing is null", `{"m":<missing>,"q":"[<missing>]","z":<nil>}`, `{"m":null,"q":"[]","z":null}`},
		{"plain text", `Value <s> is <n>`, `Value a"b is 1.5`},
		{"string template", `"<first> and <k>"`, `"x and 2"`},
		{"predefined", `{"rule":"<aws.events.rule-name>","arn":<aws.events.rule-arn>,"at":"<aws.events.event.ingestion-time>"}`, `{"rule":"r1","arn":"arn:rule","at":"2026-01-02T03:04:05Z"}`},
		{"whole event", `{"e":<aws.events.event>}`, `{"e":` + string(event) + `}`},
		{"unknown tag kept", `<b>bold</b> <s>`, `<b>bold</b> a"b`},
	}
	for _, tc := range cases {
		got, err := transform(&InputTransformer{InputPathsMap: paths, InputTemplate: tc.tpl}, c)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	if _, err := transform(&InputTransformer{InputTemplate: `{"a":"open}`}, c); err == nil {
		t.Errorf("unterminated string: no error")
	}
}

func TestParsePath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"$", "$.a", "$.a.b[0]", "$['a-b'].c", `$["x y"]`} {
		if _, err := parsePath(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{"", "a.b", "$..a", "$.a[", "$.a[x]", "$a"} {
		if _, err := parsePath(p); err == nil {
			t.Errorf("%s: no error", p)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	s := &Service{opts: Options{RetryBase: time.Second}}
	for attempt, want := range map[uint64]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 50: 5 * time.Minute} {
		if got := s.retryDelay(attempt); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
}
