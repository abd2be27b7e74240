package gateway

import (
	"strings"
	"testing"
)

func TestTemplateRender(t *testing.T) {
	t.Parallel()
	body := `{"a":{"b":"x y","n":[1,{"c":true}]},"s":"it's \"q\"/\n"}`
	data := &tplData{body: []byte(body), context: map[string]string{"requestId": "rid", "identity.sourceIp": "1.2.3.4"},
		params: func(name string) string { return "p-" + name }}
	tests := []struct{ src, want string }{
		{"$input.body", body},
		{"$input.path('$.a.b')", "x y"},
		{"$input.path('$.a.n[1].c')", "true"},
		{"$input.path('$.missing')", ""},
		{"$input.json('$.a.b')", `"x y"`},
		{"$input.json('$.a.n')", `[1,{"c":true}]`},
		{`$input.json("$['a']['b']")`, `"x y"`},
		{"$util.urlEncode($input.path('$.a.b'))", "x+y"},
		{"$util.urlEncode('a&b=c~*')", "a%26b%3Dc%7E*"},
		{"$util.escapeJavaScript($input.path('$.s'))", `it\'s \"q\"\/\n`},
		{"$util.base64Encode('hi')", "aGk="},
		{"$util.base64Decode('aGk=')", "hi"},
		{"$util.urlDecode('a+b%21')", "a b!"},
		{"id=$context.requestId ip=$context.identity.sourceIp.", "id=rid ip=1.2.3.4."},
		{"${context.requestId}x $!{context.requestId} $!context.requestId", "ridx rid rid"},
		{"$input.params('id')", "p-id"},
		{`cost \$5 and $ 6 and $`, "cost $5 and $ 6 and $"},
		{"a## comment\nb#* block *#c #1", "abc #1"},
	}
	for _, tt := range tests {
		tpl, err := ParseTemplate(tt.src)
		if err != nil {
			t.Errorf("ParseTemplate(%q): %v", tt.src, err)
			continue
		}
		got, err := tpl.render(data)
		if err != nil {
			t.Errorf("render(%q): %v", tt.src, err)
			continue
		}
		if got != tt.want {
			t.Errorf("render(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestTemplateUnsupported(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{"#set($a = 1)", "#set"},
		{"#if($x)y#end", "#if"},
		{"#foreach($i in $l)#end", "#foreach"},
		{"$foo", "$foo"},
		{"$input.headers", "$input.headers"},
		{"$context.authorizer.claims", "$context.authorizer"},
		{"$util.parseJson($input.body)", "$util.parseJson"},
		{"$input.body.length()", "$input.body.length"},
		{"$input.json($input.body)", "quoted string"},
		{"$input.path('a.b')", "must start with $"},
		{"$input.path('$..a')", "empty name"},
		{"$util.urlEncode(\"$x\")", "interpolated"},
		{"$util.urlEncode('a', 'b')", "only one argument"},
		{"${input.body", "missing }"},
		{"#* open", "unterminated"},
	}
	for _, tt := range tests {
		_, err := ParseTemplate(tt.src)
		if err == nil {
			t.Errorf("ParseTemplate(%q) accepted it", tt.src)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseTemplate(%q) = %v, want it to name %q", tt.src, err, tt.want)
		}
	}
}

func TestTemplateBadBody(t *testing.T) {
	t.Parallel()
	tpl, err := ParseTemplate("$input.json('$')")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.render(&tplData{body: []byte("{not json")}); err == nil {
		t.Error("rendering $input.json of a non-JSON body succeeded")
	}
	got, err := tpl.render(&tplData{body: nil})
	if err != nil || got != "{}" {
		t.Errorf("empty body: %q %v, want {}", got, err)
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"Action=Publish&Message=$util.urlEncode($input.body)&TopicArn=$util.urlEncode('arn:aws:sns:us-east-1:000000000000:t')",
		"$input.json('$.a[0].b')", "${context.requestId}", "$!{input.path('$['x']')}", "## c\n#* x *#", `\$x $`,
		"$util.escapeJavaScript($util.base64Decode($input.path('$.x')))", "#set($a=1)", "$input.params('id')",
	} {
		f.Add(s, `{"a":[{"b":"c"}],"x":"aGk="}`)
	}
	f.Fuzz(func(t *testing.T, src, body string) {
		tpl, err := ParseTemplate(src)
		if err != nil {
			return
		}
		data := &tplData{body: []byte(body), context: map[string]string{}, params: func(string) string { return "" }}
		_, _ = tpl.render(data)
	})
}

func FuzzMatchPath(f *testing.F) {
	for _, s := range [][2]string{
		{"/users/{id}", "/users/1"}, {"/files/{proxy+}", "/files/a/b"}, {"/", "/"}, {"/{a}/{b+}", "//x"},
		{"/a/{b}", "/a/"}, {"/{x+}", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, route, path string) {
		params, ok := MatchPath(route, path)
		if !ok {
			return
		}
		p, err := parsePattern(route)
		if err != nil {
			t.Fatalf("MatchPath matched an invalid pattern %q", route)
		}
		// Every parameter of the pattern is bound to a non-empty value.
		for _, s := range p.segs {
			if s.kind != segLiteral && params[s.text] == "" {
				t.Fatalf("MatchPath(%q, %q): parameter %q unbound: %v", route, path, s.text, params)
			}
		}
	})
}
