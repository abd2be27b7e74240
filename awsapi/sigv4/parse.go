package sigv4

import (
	"net/http"
	"strings"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// Query parameters of a presigned request.
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
)

// scope is a parsed credential: AKID/yyyymmdd/region/service/aws4_request.
type scope struct {
	accessKey string
	date      string
	region    string
	service   string
}

// String is the credential scope without the access key, as it appears in
// the string to sign.
func (s scope) String() string {
	return s.date + "/" + s.region + "/" + s.service + "/aws4_request"
}

// authHeader is a parsed Authorization header.
type authHeader struct {
	cred          scope
	signedHeaders []string
	signature     string
}

// parseCredential parses AKID/yyyymmdd/region/service/aws4_request.
func parseCredential(v string) (scope, *AuthError) {
	parts := strings.Split(v, "/")
	if len(parts) != 5 {
		return scope{}, authErrorf(kindIncomplete,
			"Credential should be scoped to a valid region, like 'us-east-1', and a service, got %q", v)
	}
	s := scope{accessKey: parts[0], date: parts[1], region: parts[2], service: parts[3]}
	switch {
	case s.accessKey == "":
		return scope{}, authErrorf(kindIncomplete, "Credential has an empty access key id: %q", v)
	case len(s.date) != 8 || !allDigits(s.date):
		return scope{}, authErrorf(kindIncomplete, "Credential date %q is not yyyymmdd", s.date)
	case s.region == "" || s.service == "":
		return scope{}, authErrorf(kindIncomplete, "Credential should be scoped to a valid region and service, got %q", v)
	case parts[4] != "aws4_request":
		return scope{}, authErrorf(kindIncomplete, "Credential should be scoped with a valid terminator: 'aws4_request', not %q", parts[4])
	}
	return s, nil
}

// parseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex
func parseAuthorization(h string) (authHeader, *AuthError) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != Algorithm {
		return authHeader{}, authErrorf(kindIncomplete, "Unsupported AWS 'algorithm': %q", alg)
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return authHeader{}, authErrorf(kindIncomplete, "Authorization header requires each component as key=value, got %q", kv)
		}
		if _, dup := fields[k]; dup {
			return authHeader{}, authErrorf(kindIncomplete, "Authorization header has %s twice", k)
		}
		fields[k] = v
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return authHeader{}, authErrorf(kindIncomplete,
				"Authorization header requires '%s' parameter. Authorization=%s", k, h)
		}
	}
	cred, err := parseCredential(fields["Credential"])
	if err != nil {
		return authHeader{}, err
	}
	signed, err := parseSignedHeaders(fields["SignedHeaders"])
	if err != nil {
		return authHeader{}, err
	}
	if !isHex(fields["Signature"]) {
		return authHeader{}, authErrorf(kindIncomplete, "Signature %q is not 64 hex digits", fields["Signature"])
	}
	return authHeader{cred: cred, signedHeaders: signed, signature: fields["Signature"]}, nil
}

// parseSignedHeaders splits a;b;c and requires host among them.
func parseSignedHeaders(v string) ([]string, *AuthError) {
	names := strings.Split(v, ";")
	host := false
	for _, n := range names {
		if n == "" || n != strings.ToLower(n) || strings.ContainsAny(n, " \t:") {
			return nil, authErrorf(kindIncomplete, "SignedHeaders %q must be lowercase header names separated by ';'", v)
		}
		host = host || n == "host"
	}
	if !host {
		return nil, authErrorf(kindIncomplete, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return names, nil
}

// ServiceOf returns the service named in r's credential scope ("sqs",
// "sns", "events", "lambda"), from the Authorization header or a presigned
// X-Amz-Credential; "" when r carries neither or it does not parse. It does
// not verify the signature.
func ServiceOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		a, err := parseAuthorization(h)
		if err != nil {
			return ""
		}
		return a.cred.service
	}
	if r.URL == nil {
		return ""
	}
	if c := r.URL.Query().Get(qCredential); c != "" {
		s, err := parseCredential(c)
		if err != nil {
			return ""
		}
		return s.service
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
