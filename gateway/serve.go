package gateway

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
)

// apiID is the API id shown in events (API Gateway ids are 10 characters).
const apiID = "ferrylocal"

// hdrTrace is the X-Ray trace header.
const hdrTrace = "X-Amzn-Trace-Id"

// call is one request being served.
type call struct {
	w         http.ResponseWriter
	r         *http.Request
	body      []byte
	requestID string
	trace     string
	now       time.Time
	route     *compiled
	params    map[string]string
	jwt       *verifiedClaims // the JWT authorizer's verdict, nil without one
	// stagePrefix is "/STAGE" when the request named its API's stage.
	stagePrefix string
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, requestID: uuid.NewString(), now: time.Now(), trace: r.Header.Get(hdrTrace)}
	if !ferry.ValidTraceID(c.trace) { // absent or malformed: a new trace
		c.trace = NewTraceID(c.now)
	}
	t := g.table.Load()
	if r.ContentLength > g.opts.MaxBody { // refused before a byte is read
		g.fail(c, t.hasREST, errTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.opts.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			g.fail(c, t.hasREST, errTooLarge)
			return
		}
		g.log.Debug("gateway: reading request body", "err", err)
		g.fail(c, t.hasREST, errBadBody)
		return
	}
	c.body = body

	if r.Method == http.MethodOptions {
		l := t.find(r.Method, r.URL.Path)
		if l.route == nil || l.route.method != http.MethodOptions {
			if routes := t.corsFor(r.URL.Path); len(routes) > 0 {
				g.preflight(c, routes)
				return
			}
		}
	}
	l := t.findStaged(r.Method, r.URL.Path)
	if l.route == nil {
		rest := t.hasREST
		if l.pathKnown != nil {
			rest = l.pathKnown.Kind == KindREST
		}
		g.fail(c, rest, errNoRoute)
		return
	}
	c.route, c.params, c.stagePrefix = l.route, l.params, l.stagePrefix
	if !g.authorize(c) {
		return
	}
	g.countServed(c.route.Route)
	if c.route.Proxy != nil {
		g.serveProxy(c)
		return
	}
	g.serveFunction(c)
}

// NewTraceID returns a new X-Ray trace header value, Root=1-<time>-<random>.
func NewTraceID(now time.Time) string { return ferry.NewTraceID(now) }

// gatewayError is one of the gateway's own answers.
type gatewayError struct {
	status int
	msg    string
	typ    string // x-amzn-ErrorType
}

// The gateway's own errors, with the REST (v1) and HTTP API (v2) wording.
var (
	errNoRoute = [2]gatewayError{
		{http.StatusForbidden, "Missing Authentication Token", "MissingAuthenticationTokenException"},
		{http.StatusNotFound, "Not Found", ""},
	}
	errIntegration = [2]gatewayError{
		{http.StatusBadGateway, "Internal server error", "InternalServerErrorException"},
		{http.StatusInternalServerError, "Internal Server Error", ""},
	}
	errThrottled = [2]gatewayError{
		{http.StatusTooManyRequests, "Too Many Requests", "TooManyRequestsException"},
		{http.StatusTooManyRequests, "Too Many Requests", ""},
	}
	errTooLarge = [2]gatewayError{
		{http.StatusRequestEntityTooLarge, "Request Too Long", "RequestTooLongException"},
		{http.StatusRequestEntityTooLarge, "Request Entity Too Large", ""},
	}
	// errBadBody answers a body that cannot be read (a broken chunked
	// encoding, a connection cut mid-body): the client's mistake.
	errBadBody = [2]gatewayError{
		{http.StatusBadRequest, "Bad Request", "BadRequestException"},
		{http.StatusBadRequest, "Bad Request", ""},
	}
	errUnavailable = [2]gatewayError{
		{http.StatusServiceUnavailable, "Service Unavailable", "ServiceUnavailableException"},
		{http.StatusServiceUnavailable, "Service Unavailable", ""},
	}
)

// fail answers with one of the gateway's errors in the REST or HTTP API
// wording.
func (g *Gateway) fail(c *call, rest bool, e [2]gatewayError) {
	ge := e[1]
	if rest {
		ge = e[0]
	}
	h := c.w.Header()
	g.commonHeaders(c, rest)
	h.Set("Content-Type", "application/json")
	if ge.typ != "" {
		h.Set("x-amzn-ErrorType", ge.typ)
	}
	g.corsHeaders(c)
	c.w.WriteHeader(ge.status)
	fmt.Fprintf(c.w, `{"message":%q}`, ge.msg)
}

// commonHeaders sets the request id and trace headers API Gateway adds.
func (g *Gateway) commonHeaders(c *call, rest bool) {
	h := c.w.Header()
	if rest {
		h.Set("x-amzn-RequestId", c.requestID)
		h.Set(hdrTrace, c.trace)
	} else {
		h.Set("apigw-requestid", c.requestID)
	}
}

// sourceIP is the client address without the port.
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// isREST reports whether the call's route speaks the REST wording.
func (c *call) isREST() bool { return c.route == nil || c.route.Kind == KindREST }

// mediaType is the lower-case media type of a Content-Type value.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// isText reports whether a body of this content type travels as text.
func isText(ct string) bool {
	mt := mediaType(ct)
	switch {
	case mt == "":
		return true
	case strings.HasPrefix(mt, "text/"):
		return true
	case strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript",
		"application/x-www-form-urlencoded", "application/graphql", "application/yaml",
		"application/x-yaml", "application/ld+json":
		return true
	}
	return false
}
