package gateway

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// eventV1 is the API Gateway REST proxy event (payload format 1.0). Nil maps
// and an empty body are null, as API Gateway sends them.
type eventV1 struct {
	Version                         string              `json:"version,omitempty"` // "1.0" for an HTTP API route
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  contextV1           `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type contextV1 struct {
	AccountID         string     `json:"accountId"`
	APIID             string     `json:"apiId"`
	DomainName        string     `json:"domainName"`
	DomainPrefix      string     `json:"domainPrefix"`
	ExtendedRequestID string     `json:"extendedRequestId"`
	HTTPMethod        string     `json:"httpMethod"`
	Identity          identityV1 `json:"identity"`
	Path              string     `json:"path"`
	Protocol          string     `json:"protocol"`
	RequestID         string     `json:"requestId"`
	RequestTime       string     `json:"requestTime"`
	RequestTimeEpoch  int64      `json:"requestTimeEpoch"`
	ResourceID        string     `json:"resourceId"`
	ResourcePath      string     `json:"resourcePath"`
	Stage             string     `json:"stage"`
	// Authorizer holds a JWT authorizer's claims and scopes (HTTP API
	// routes with payload format 1.0).
	Authorizer *authorizerV1 `json:"authorizer,omitempty"`
}

type authorizerV1 struct {
	Claims map[string]string `json:"claims"`
	Scopes []string          `json:"scopes"`
}

type authorizerV2 struct {
	JWT jwtV2 `json:"jwt"`
}

type jwtV2 struct {
	Claims map[string]string `json:"claims"`
	Scopes []string          `json:"scopes"`
}

type identityV1 struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     string  `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

// eventV2 is the HTTP API event (payload format 2.0).
type eventV2 struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	RequestContext        contextV2         `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type contextV2 struct {
	AccountID    string `json:"accountId"`
	APIID        string `json:"apiId"`
	DomainName   string `json:"domainName"`
	DomainPrefix string `json:"domainPrefix"`
	HTTP         httpV2 `json:"http"`
	RequestID    string `json:"requestId"`
	RouteKey     string `json:"routeKey"`
	Stage        string `json:"stage"`
	Time         string `json:"time"`
	TimeEpoch    int64  `json:"timeEpoch"`
	// Authorizer holds a JWT authorizer's claims and scopes.
	Authorizer *authorizerV2 `json:"authorizer,omitempty"`
}

type httpV2 struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// requestTimeLayout is API Gateway's requestTime format.
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// v2Stage is the stage of HTTP API events: the Serverless Framework deploys
// HTTP APIs to the $default stage, served at the root.
const v2Stage = "$default"

// encodeBody returns the body as the event carries it: text as is, anything
// else (binary content types, invalid UTF-8) base64-encoded.
func encodeBody(body []byte, contentType string) (string, bool) {
	if isText(contentType) && utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

func domainPrefix(host string) string {
	if i := strings.IndexAny(host, ".:"); i >= 0 {
		return host[:i]
	}
	return host
}

// resourcePath is the route's resource ("/users/{id}"), or for the HTTP API
// catch-all the request path.
func (c *call) resourcePath() string {
	if c.route.isDef {
		return DefaultRoute
	}
	return c.route.pattern.raw
}

// eventV1 builds the REST proxy event.
func (g *Gateway) eventV1(c *call) ([]byte, error) {
	r := c.r
	ev := eventV1{
		Resource: c.resourcePath(), Path: strings.TrimPrefix(r.URL.Path, c.stagePrefix), HTTPMethod: r.Method,
		PathParameters: c.params,
	}
	if c.route.Kind == KindHTTPAPI {
		ev.Version = "1.0"
		if c.route.isDef {
			ev.Resource = r.URL.Path
		}
	}
	ev.Headers, ev.MultiValueHeaders = map[string]string{}, map[string][]string{}
	ev.Headers["Host"], ev.MultiValueHeaders["Host"] = r.Host, []string{r.Host}
	for k, vs := range r.Header {
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = append([]string(nil), vs...)
	}
	ev.Headers[hdrTrace], ev.MultiValueHeaders[hdrTrace] = c.trace, []string{c.trace}
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[k] = vs
		}
	}
	if len(c.body) > 0 {
		s, b64 := encodeBody(c.body, r.Header.Get("Content-Type"))
		ev.Body, ev.IsBase64Encoded = &s, b64
	}
	stage := c.route.stage
	ev.RequestContext = contextV1{
		AccountID: g.opts.Realm.Account, APIID: apiID, DomainName: r.Host, DomainPrefix: domainPrefix(r.Host),
		ExtendedRequestID: c.requestID, HTTPMethod: r.Method,
		Identity: identityV1{SourceIP: sourceIP(r), UserAgent: r.UserAgent()},
		Path:     r.URL.Path, Protocol: r.Proto, RequestID: c.requestID,
		RequestTime: c.now.UTC().Format(requestTimeLayout), RequestTimeEpoch: c.now.UnixMilli(),
		ResourceID: resourceID(c.resourcePath()), ResourcePath: c.resourcePath(), Stage: stage,
	}
	if c.jwt != nil {
		ev.RequestContext.Authorizer = &authorizerV1{Claims: c.jwt.claims, Scopes: c.jwt.scopes}
	}
	return json.Marshal(ev)
}

// resourceID is a stable short id for a resource path.
func resourceID(path string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(path); i++ {
		h = (h ^ uint32(path[i])) * 16777619
	}
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [6]byte
	for i := range b {
		b[i] = digits[h%36]
		h /= 36
	}
	return string(b[:])
}

// eventV2 builds the HTTP API event.
func (g *Gateway) eventV2(c *call) ([]byte, error) {
	r := c.r
	ev := eventV2{
		Version: "2.0", RouteKey: c.route.routeKey(), RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{}, PathParameters: c.params,
	}
	ev.Headers["host"] = r.Host
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for _, ck := range strings.Split(v, ";") {
					if ck = strings.TrimSpace(ck); ck != "" {
						ev.Cookies = append(ev.Cookies, ck)
					}
				}
			}
			continue
		}
		ev.Headers[lk] = strings.Join(vs, ",")
	}
	ev.Headers["x-amzn-trace-id"] = c.trace
	if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(c.body) > 0 {
		ev.Body, ev.IsBase64Encoded = encodeBody(c.body, r.Header.Get("Content-Type"))
	}
	ev.RequestContext = contextV2{
		AccountID: g.opts.Realm.Account, APIID: apiID, DomainName: r.Host, DomainPrefix: domainPrefix(r.Host),
		HTTP:      httpV2{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: sourceIP(r), UserAgent: r.UserAgent()},
		RequestID: c.requestID, RouteKey: c.route.routeKey(), Stage: c.route.stage,
		Time: c.now.UTC().Format(requestTimeLayout), TimeEpoch: c.now.UnixMilli(),
	}
	if c.jwt != nil {
		ev.RequestContext.Authorizer = &authorizerV2{JWT: jwtV2{Claims: c.jwt.claims, Scopes: c.jwt.scopes}}
	}
	return json.Marshal(ev)
}
