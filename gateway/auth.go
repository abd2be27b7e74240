package gateway

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// JWTAuth is an HTTP API JWT authorizer: the token read from
// IdentitySource must be signed (RS256/384/512 or ES256/384/512) by a key of
// the issuer's JWKS, carry iss == Issuer, an aud (or client_id) in Audience,
// a future exp and a past nbf, and, when Scopes is set, one of them in its
// scope (or scp) claim. Its claims reach the function as
// requestContext.authorizer.jwt.claims and .scopes.
type JWTAuth struct {
	Name string
	// IdentitySource is "$request.header.<Name>" (default Authorization, a
	// "Bearer " prefix is optional) or "$request.querystring.<name>".
	IdentitySource string
	Issuer         string
	Audience       []string
	Scopes         []string
	// JWKS is the issuer's key set. Empty: the keys are fetched from the
	// issuer's /.well-known/openid-configuration jwks_uri when first needed,
	// and again (at most every 10 s) when a token names an unknown key.
	JWKS []byte
}

// The gateway's authorization answers, as API Gateway gives them.
var (
	errForbidden = [2]gatewayError{
		{http.StatusForbidden, "Forbidden", "ForbiddenException"},
		{http.StatusForbidden, "Forbidden", ""},
	}
	errUnauthorized = [2]gatewayError{
		{http.StatusUnauthorized, "Unauthorized", "UnauthorizedException"},
		{http.StatusUnauthorized, "Unauthorized", ""},
	}
)

// compileAuth checks a route's API key and JWT settings.
func (g *Gateway) compileAuth(c *compiled, r Route) error {
	if r.APIKeyRequired {
		if len(r.APIKeys) == 0 {
			return errors.New("the route requires an API key, and no key is given")
		}
		for _, k := range r.APIKeys {
			if len(k) < 20 {
				return fmt.Errorf("API key of %d characters is too short (20 at least)", len(k))
			}
		}
	}
	a := r.JWT
	if a == nil {
		return nil
	}
	if r.Kind != KindHTTPAPI {
		return fmt.Errorf("JWT authorizer %q: only HTTP API routes take a JWT authorizer", a.Name)
	}
	u, err := url.Parse(a.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("JWT authorizer %q: issuer %q is not an http(s) URL", a.Name, a.Issuer)
	}
	if len(a.Audience) == 0 {
		return fmt.Errorf("JWT authorizer %q needs an audience", a.Name)
	}
	src := a.IdentitySource
	if src == "" {
		src = "$request.header.Authorization"
	}
	switch {
	case strings.HasPrefix(src, "$request.header.") && len(src) > len("$request.header."):
		c.tokenHeader = strings.TrimPrefix(src, "$request.header.")
	case strings.HasPrefix(src, "$request.querystring.") && len(src) > len("$request.querystring."):
		c.tokenQuery = strings.TrimPrefix(src, "$request.querystring.")
	default:
		return fmt.Errorf("JWT authorizer %q: identity source %q is not $request.header.<name> or $request.querystring.<name>", a.Name, src)
	}
	if len(a.JWKS) > 0 {
		ks, err := parseJWKS(a.JWKS)
		if err != nil {
			return fmt.Errorf("JWT authorizer %q: %w", a.Name, err)
		}
		c.keys = func(context.Context, bool) (*keySet, error) { return ks, nil }
		return nil
	}
	v, _ := g.issuers.LoadOrStore(a.Issuer, &issuerKeys{issuer: a.Issuer})
	c.keys = v.(*issuerKeys).get
	return nil
}

// authorize checks the route's API key and JWT authorizer; when the request
// may not pass it answers 401 or 403 and returns false.
func (g *Gateway) authorize(c *call) bool {
	rt := c.route
	if rt.APIKeyRequired && !validAPIKey(c.r.Header.Get("X-Api-Key"), rt.APIKeys) {
		g.log.Debug("gateway: missing or unknown API key", "route", rt.Route.String())
		g.fail(c, c.isREST(), errForbidden)
		return false
	}
	if rt.JWT == nil {
		return true
	}
	claims, terr := g.verifyJWT(c)
	if terr == nil {
		c.jwt = claims
		return true
	}
	g.log.Info("gateway: token refused", "route", rt.Route.String(), "authorizer", rt.JWT.Name, "reason", terr.msg)
	if terr.forbidden {
		g.fail(c, c.isREST(), errForbidden)
		return false
	}
	c.w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer scope="" error="invalid_token" error_description=%q`, terr.msg))
	g.fail(c, c.isREST(), errUnauthorized)
	return false
}

// validAPIKey compares got with every key in constant time.
func validAPIKey(got string, keys []string) bool {
	ok := 0
	for _, k := range keys {
		ok |= subtle.ConstantTimeCompare([]byte(got), []byte(k))
	}
	return got != "" && ok == 1
}

// verifyJWT reads and checks the route's token.
func (g *Gateway) verifyJWT(c *call) (*verifiedClaims, *tokenError) {
	rt := c.route
	var tok string
	if rt.tokenQuery != "" {
		tok = c.r.URL.Query().Get(rt.tokenQuery)
	} else {
		tok = strings.TrimSpace(c.r.Header.Get(rt.tokenHeader))
		if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
			tok = strings.TrimSpace(tok[7:])
		}
	}
	if tok == "" {
		return nil, badToken("no token in %s", rt.JWT.IdentitySource)
	}
	p, terr := parseToken(tok)
	if terr != nil {
		return nil, terr
	}
	ks, err := rt.keys(c.r.Context(), false)
	if err != nil {
		g.log.Warn("gateway: JWT authorizer keys", "authorizer", rt.JWT.Name, "issuer", rt.JWT.Issuer, "err", err)
		return nil, badToken("the issuer's keys are not available")
	}
	terr = ks.verifySignature(p)
	if terr != nil && p.header.Kid != "" && !ks.has(p.header.Kid) {
		// The issuer may have rotated its keys.
		if fresh, err := rt.keys(c.r.Context(), true); err == nil && fresh != ks {
			terr = fresh.verifySignature(p)
		}
	}
	if terr != nil {
		return nil, terr
	}
	return checkClaims(p.payload, rt.JWT, time.Now())
}

func (ks *keySet) has(kid string) bool {
	for _, k := range ks.keys {
		if k.kid == kid {
			return true
		}
	}
	return false
}

// Limits on fetching an issuer's keys.
const (
	jwksFetchTimeout = 5 * time.Second
	jwksMaxBytes     = 1 << 20
	jwksTTL          = time.Hour
	jwksRetryAfter   = 10 * time.Second
)

// issuerKeys caches the JWKS of one issuer, found through OpenID discovery.
// It is shared by every route (and routing table) with that issuer.
type issuerKeys struct {
	issuer string

	mu      sync.Mutex
	keys    *keySet
	fetched time.Time
	tried   time.Time
	err     error
}

// get returns the cached keys, fetching them when there are none, they are
// older than jwksTTL, or refresh asks for it (at most every jwksRetryAfter).
func (k *issuerKeys) get(ctx context.Context, refresh bool) (*keySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	stale := k.keys == nil || now.Sub(k.fetched) > jwksTTL || refresh
	if !stale {
		return k.keys, nil
	}
	if now.Sub(k.tried) < jwksRetryAfter {
		if k.keys != nil {
			return k.keys, nil
		}
		return nil, k.err
	}
	k.tried = now
	ks, err := k.fetch(ctx)
	if err != nil {
		k.err = err
		if k.keys != nil {
			return k.keys, nil
		}
		return nil, err
	}
	k.keys, k.fetched, k.err = ks, now, nil
	return ks, nil
}

func (k *issuerKeys) fetch(ctx context.Context) (*keySet, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	var disco struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	wellKnown := strings.TrimSuffix(k.issuer, "/") + "/.well-known/openid-configuration"
	b, err := getBody(ctx, wellKnown)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &disco); err != nil || disco.JWKSURI == "" {
		return nil, fmt.Errorf("%s has no jwks_uri", wellKnown)
	}
	if u, err := url.Parse(disco.JWKSURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s: jwks_uri %q is not an http(s) URL", wellKnown, disco.JWKSURI)
	}
	b, err = getBody(ctx, disco.JWKSURI)
	if err != nil {
		return nil, err
	}
	return parseJWKS(b)
}

func getBody(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(b) > jwksMaxBytes {
		return nil, fmt.Errorf("GET %s: more than %d bytes", u, jwksMaxBytes)
	}
	return b, nil
}
