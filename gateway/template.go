package gateway

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Template is a parsed API Gateway mapping template. Ferry supports the
// subset service-proxy templates use:
//
//   - references $input.body, $input.json('<path>'), $input.path('<path>'),
//     $input.params('<name>'), $context.<field> (requestId, extendedRequestId,
//     stage, httpMethod, resourcePath, path, protocol, accountId, apiId,
//     domainName, requestTime, requestTimeEpoch, identity.sourceIp,
//     identity.userAgent), and $util.escapeJavaScript(x), $util.urlEncode(x),
//     $util.urlDecode(x), $util.base64Encode(x), $util.base64Decode(x) where x
//     is a reference or a quoted string;
//   - the quiet ($!ref) and formal (${ref}) notations, \$ for a literal $;
//   - ## line comments and #* block comments *#.
//
// JSON paths are $, $.a.b, $.a[0] and $['a']. Directives (#set, #if,
// #foreach, ...) and any other reference are refused by ParseTemplate with an
// error naming them.
type Template struct {
	nodes []tnode
}

type tnode struct {
	text string // literal text when ref is nil
	ref  *texpr
}

// Expression kinds.
const (
	exLiteral = iota
	exBody
	exJSON
	exPath
	exParams
	exContext
	exUtil
)

type texpr struct {
	kind int
	str  string   // literal value, context field, util function or params name
	path []jpStep // exJSON, exPath
	arg  *texpr   // exUtil
}

var contextFields = map[string]bool{
	"requestId": true, "extendedRequestId": true, "stage": true, "httpMethod": true,
	"resourcePath": true, "path": true, "protocol": true, "accountId": true, "apiId": true,
	"domainName": true, "requestTime": true, "requestTimeEpoch": true,
	"identity.sourceIp": true, "identity.userAgent": true,
}

var utilFuncs = map[string]bool{
	"escapeJavaScript": true, "urlEncode": true, "urlDecode": true,
	"base64Encode": true, "base64Decode": true,
}

// ParseTemplate parses src. Errors name the unsupported construct and its
// offset.
func ParseTemplate(src string) (*Template, error) {
	p := &tparser{src: src}
	t := &Template{}
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			t.nodes = append(t.nodes, tnode{text: text.String()})
			text.Reset()
		}
	}
	for p.pos < len(src) {
		c := src[p.pos]
		switch {
		case c == '\\' && p.peek(1) == '$':
			text.WriteByte('$')
			p.pos += 2
		case c == '#' && p.peek(1) == '#':
			end := strings.IndexByte(src[p.pos:], '\n')
			if end < 0 {
				p.pos = len(src)
			} else {
				p.pos += end + 1
			}
		case c == '#' && p.peek(1) == '*':
			end := strings.Index(src[p.pos+2:], "*#")
			if end < 0 {
				return nil, fmt.Errorf("unterminated #* comment at offset %d", p.pos)
			}
			p.pos += 2 + end + 2
		case c == '#' && (isIdentStart(p.peek(1)) || (p.peek(1) == '{' && isIdentStart(p.peek(2)))):
			start := p.pos + 1
			if src[start] == '{' {
				start++
			}
			end := start
			for end < len(src) && isIdentChar(src[end]) {
				end++
			}
			return nil, fmt.Errorf("unsupported directive #%s at offset %d", src[start:end], p.pos)
		case c == '$':
			e, ok, err := p.reference()
			if err != nil {
				return nil, err
			}
			if !ok {
				text.WriteByte('$')
				p.pos++
				continue
			}
			flush()
			t.nodes = append(t.nodes, tnode{ref: e})
		default:
			text.WriteByte(c)
			p.pos++
		}
	}
	flush()
	return t, nil
}

type tparser struct {
	src string
	pos int
}

func (p *tparser) peek(n int) byte {
	if p.pos+n < len(p.src) {
		return p.src[p.pos+n]
	}
	return 0
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' || c == '_' || c == '-' }

// ident reads an identifier at pos (it may be empty).
func (p *tparser) ident() string {
	start := p.pos
	if p.pos < len(p.src) && isIdentStart(p.src[p.pos]) {
		p.pos++
		for p.pos < len(p.src) && (isIdentStart(p.src[p.pos]) || p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '_') {
			p.pos++
		}
	}
	return p.src[start:p.pos]
}

// member reads ".name" when a name follows the dot.
func (p *tparser) member() (string, bool) {
	if p.peek(0) != '.' || !isIdentStart(p.peek(1)) {
		return "", false
	}
	p.pos++
	return p.ident(), true
}

// reference parses a reference at '$'. ok is false when '$' does not start
// one (it is then literal text).
func (p *tparser) reference() (*texpr, bool, error) {
	start := p.pos
	i := 1
	if p.peek(i) == '!' {
		i++
	}
	formal := p.peek(i) == '{'
	if formal {
		i++
	}
	if !isIdentStart(p.peek(i)) {
		return nil, false, nil
	}
	p.pos += i
	e, err := p.expr(start)
	if err != nil {
		return nil, false, err
	}
	if formal {
		if p.peek(0) != '}' {
			return nil, false, fmt.Errorf("reference at offset %d: missing }", start)
		}
		p.pos++
	}
	return e, true, nil
}

// expr parses the part of a reference after '$' (and '!' / '{').
func (p *tparser) expr(start int) (*texpr, error) {
	root := p.ident()
	switch root {
	case "input":
		name, ok := p.member()
		if !ok {
			return nil, fmt.Errorf("unsupported reference $input at offset %d (use $input.body, $input.json, $input.path or $input.params)", start)
		}
		switch name {
		case "body":
			if p.peek(0) == '(' {
				return nil, fmt.Errorf("unsupported call $input.body( at offset %d", start)
			}
			return &texpr{kind: exBody}, p.noChain("$input.body", start)
		case "json", "path", "params":
			arg, err := p.call("$input."+name, start)
			if err != nil {
				return nil, err
			}
			if arg == nil || arg.kind != exLiteral {
				return nil, fmt.Errorf("$input.%s at offset %d takes one quoted string", name, start)
			}
			if name == "params" {
				return &texpr{kind: exParams, str: arg.str}, p.noChain("$input.params", start)
			}
			steps, err := parseJSONPath(arg.str)
			if err != nil {
				return nil, fmt.Errorf("$input.%s at offset %d: %w", name, start, err)
			}
			kind := exJSON
			if name == "path" {
				kind = exPath
			}
			return &texpr{kind: kind, path: steps}, p.noChain("$input."+name, start)
		}
		return nil, fmt.Errorf("unsupported reference $input.%s at offset %d", name, start)
	case "context":
		var parts []string
		for {
			name, ok := p.member()
			if !ok {
				break
			}
			parts = append(parts, name)
			if contextFields[strings.Join(parts, ".")] {
				break
			}
		}
		field := strings.Join(parts, ".")
		if !contextFields[field] {
			return nil, fmt.Errorf("unsupported reference $context.%s at offset %d", field, start)
		}
		return &texpr{kind: exContext, str: field}, p.noChain("$context."+field, start)
	case "util":
		name, ok := p.member()
		if !ok || !utilFuncs[name] {
			return nil, fmt.Errorf("unsupported reference $util.%s at offset %d", name, start)
		}
		arg, err := p.call("$util."+name, start)
		if err != nil {
			return nil, err
		}
		if arg == nil {
			return nil, fmt.Errorf("$util.%s at offset %d takes one argument", name, start)
		}
		return &texpr{kind: exUtil, str: name, arg: arg}, p.noChain("$util."+name, start)
	}
	return nil, fmt.Errorf("unsupported reference $%s at offset %d", root, start)
}

// noChain refuses a method call or member access on a supported reference.
func (p *tparser) noChain(what string, start int) error {
	if p.peek(0) == '.' && isIdentStart(p.peek(1)) {
		save := p.pos
		p.pos++
		name := p.ident()
		p.pos = save
		return fmt.Errorf("unsupported member %s.%s at offset %d", what, name, start)
	}
	return nil
}

// call parses "(arg)" with at most one argument.
func (p *tparser) call(what string, start int) (*texpr, error) {
	if p.peek(0) != '(' {
		return nil, fmt.Errorf("%s at offset %d needs an argument list", what, start)
	}
	p.pos++
	p.spaces()
	if p.peek(0) == ')' {
		p.pos++
		return nil, nil
	}
	var arg *texpr
	switch c := p.peek(0); c {
	case '\'', '"':
		end := strings.IndexByte(p.src[p.pos+1:], c)
		if end < 0 {
			return nil, fmt.Errorf("%s at offset %d: unterminated string", what, start)
		}
		s := p.src[p.pos+1 : p.pos+1+end]
		if c == '"' && interpolates(s) {
			return nil, fmt.Errorf("%s at offset %d: interpolated \"...\" strings are not supported (use '...')", what, start)
		}
		arg = &texpr{kind: exLiteral, str: s}
		p.pos += end + 2
	case '$':
		e, ok, err := p.reference()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s at offset %d: bad argument", what, start)
		}
		arg = e
	default:
		return nil, fmt.Errorf("%s at offset %d: an argument must be a quoted string or a reference", what, start)
	}
	p.spaces()
	if p.peek(0) != ')' {
		return nil, fmt.Errorf("%s at offset %d: expected ) (only one argument is supported)", what, start)
	}
	p.pos++
	return arg, nil
}

// interpolates reports whether a double-quoted string would expand a
// reference or directive in VTL.
func interpolates(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' && s[i] != '#' {
			continue
		}
		j := i + 1
		if s[i] == '$' && j < len(s) && s[j] == '!' {
			j++
		}
		if j < len(s) && s[j] == '{' {
			j++
		}
		if j < len(s) && isIdentStart(s[j]) {
			return true
		}
	}
	return false
}

func (p *tparser) spaces() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// tplData is what a template renders from.
type tplData struct {
	body    []byte
	json    any
	jsonErr error
	parsed  bool
	context map[string]string
	params  func(name string) string
}

func (d *tplData) input() (any, error) {
	if !d.parsed {
		d.parsed = true
		if len(strings.TrimSpace(string(d.body))) == 0 {
			d.json = map[string]any{}
		} else if err := json.Unmarshal(d.body, &d.json); err != nil {
			d.jsonErr = fmt.Errorf("could not parse request body into json: %w", err)
		}
	}
	return d.json, d.jsonErr
}

// render renders the template. Errors are the caller's bad input (a body
// that is not JSON for $input.json, a bad base64 string).
func (t *Template) render(d *tplData) (string, error) {
	var b strings.Builder
	for _, n := range t.nodes {
		if n.ref == nil {
			b.WriteString(n.text)
			continue
		}
		v, err := evalExpr(n.ref, d)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func evalExpr(e *texpr, d *tplData) (string, error) {
	switch e.kind {
	case exLiteral:
		return e.str, nil
	case exBody:
		return string(d.body), nil
	case exParams:
		if d.params == nil {
			return "", nil
		}
		return d.params(e.str), nil
	case exContext:
		return d.context[e.str], nil
	case exJSON, exPath:
		root, err := d.input()
		if err != nil {
			return "", err
		}
		v := jsonPathGet(root, e.path)
		if e.kind == exPath {
			return valueString(v), nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		return string(b), nil
	case exUtil:
		s, err := evalExpr(e.arg, d)
		if err != nil {
			return "", err
		}
		switch e.str {
		case "escapeJavaScript":
			return escapeJavaScript(s), nil
		case "urlEncode":
			return javaURLEncode(s), nil
		case "urlDecode":
			v, err := url.QueryUnescape(s)
			if err != nil {
				return "", fmt.Errorf("$util.urlDecode: %w", err)
			}
			return v, nil
		case "base64Encode":
			return base64.StdEncoding.EncodeToString([]byte(s)), nil
		case "base64Decode":
			v, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return "", fmt.Errorf("$util.base64Decode: %w", err)
			}
			return string(v), nil
		}
	}
	return "", fmt.Errorf("template: unknown expression kind %d", e.kind)
}

// valueString renders a value the way a reference prints it: strings as
// they are, null as nothing, anything else as JSON.
func valueString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// escapeJavaScript escapes like Apache Commons StringEscapeUtils.escapeJavaScript,
// which API Gateway's $util.escapeJavaScript uses.
func escapeJavaScript(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			switch {
			case r < 0x20 || r > 0x7e:
				if r > 0xffff {
					r1, r2 := utf16Pair(r)
					fmt.Fprintf(&b, `\u%04X\u%04X`, r1, r2)
				} else {
					fmt.Fprintf(&b, `\u%04X`, r)
				}
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// javaURLEncode is java.net.URLEncoder.encode(s, "UTF-8"): letters, digits
// and .-*_ stay, space becomes +, every other byte is %XX.
func javaURLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
