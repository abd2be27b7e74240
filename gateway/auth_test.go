package gateway

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

const testAPIKey = "k3y-0123456789abcdefghij"

func TestAPIKeyRoutes(t *testing.T) {
	t.Parallel()
	gw, url := light(t,
		Route{Kind: KindREST, Method: "GET", Path: "/private", Function: "f", APIKeyRequired: true,
			APIKeys: []string{"other-key-0123456789abcdef", testAPIKey}},
		Route{Kind: KindREST, Method: "GET", Path: "/public", Function: "f"},
	)
	tests := []struct {
		name, path string
		headers    []string
		want       int
	}{
		{"no key", "/private", nil, 403},
		{"wrong key", "/private", []string{"X-Api-Key", "wrong-key-0123456789abcdef"}, 403},
		{"prefix of a key", "/private", []string{"X-Api-Key", testAPIKey[:10]}, 403},
		{"right key", "/private", []string{"X-Api-Key", testAPIKey}, 200},
		{"lower-case header", "/private", []string{"x-api-key", testAPIKey}, 200},
		{"public route", "/public", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "GET", url+tt.path, "", tt.headers...)
			if r.status != tt.want {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want == 403 {
				if r.body != `{"message":"Forbidden"}` || r.header.Get("x-amzn-ErrorType") != "ForbiddenException" {
					t.Errorf("answer = %s (%s), want API Gateway's Forbidden", r.body, r.header.Get("x-amzn-ErrorType"))
				}
			}
		})
	}
	if got := gw.Served(Route{Kind: KindREST, Method: "GET", Path: "/private", Function: "f"}); got != 2 {
		t.Errorf("private route served %d requests, want 2 (refused ones are not served)", got)
	}
}

func TestAuthRoutesRefused(t *testing.T) {
	t.Parallel()
	gw := New(Options{Invoker: staticInvoker(`{}`)})
	tests := []struct {
		name string
		r    Route
		want string
	}{
		{"private without keys", Route{Kind: KindREST, Method: "GET", Path: "/p", Function: "f", APIKeyRequired: true},
			"requires an API key, and no key is given"},
		{"short key", Route{Kind: KindREST, Method: "GET", Path: "/p", Function: "f", APIKeyRequired: true, APIKeys: []string{"short"}},
			"too short"},
		{"JWT on REST", Route{Kind: KindREST, Method: "GET", Path: "/p", Function: "f",
			JWT: &JWTAuth{Name: "idp", Issuer: "https://idp.example", Audience: []string{"a"}}}, "only HTTP API routes"},
		{"JWT without audience", Route{Kind: KindHTTPAPI, Method: "GET", Path: "/p", Function: "f",
			JWT: &JWTAuth{Name: "idp", Issuer: "https://idp.example"}}, "needs an audience"},
		{"JWT bad issuer", Route{Kind: KindHTTPAPI, Method: "GET", Path: "/p", Function: "f",
			JWT: &JWTAuth{Name: "idp", Issuer: "idp.example", Audience: []string{"a"}}}, "is not an http(s) URL"},
		{"JWT bad JWKS", Route{Kind: KindHTTPAPI, Method: "GET", Path: "/p", Function: "f",
			JWT: &JWTAuth{Name: "idp", Issuer: "https://idp.example", Audience: []string{"a"}, JWKS: []byte(`{"keys":[]}`)}}, "no RSA or EC signing key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := gw.SetRoutes([]Route{tt.r})
			if err == nil || !strings.Contains(err.Error(), tt.want) || ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("SetRoutes = %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
}

// testIssuer is an OpenID provider: discovery document and JWKS over real
// HTTP, and a signer for tokens.
type testIssuer struct {
	url     string
	kid     string
	key     *rsa.PrivateKey
	fetches atomic.Int64
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &testIssuer{kid: "test-key-1", key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": iss.url, "jwks_uri": iss.url + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		iss.fetches.Add(1)
		w.Write(rsaJWKS(iss.kid, &key.PublicKey))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	return iss
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWKS(kid string, pub *rsa.PublicKey) []byte {
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return b
}

// signRS256 makes a compact JWS of claims.
func signRS256(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	p, _ := json.Marshal(claims)
	signed := b64(h) + "." + b64(p)
	d := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + b64(sig)
}

func (iss *testIssuer) claims(over map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": iss.url, "aud": "shop-api", "sub": "user-1", "exp": now.Add(time.Hour).Unix(),
		"nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(), "scope": "orders.read profile",
		"groups": []string{"admin", "dev"},
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestJWTAuthorizer(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.function(t, "echo", "echo", ferry.AsyncConfig{})
	iss := newTestIssuer(t)
	auth := &JWTAuth{Name: "idp", IdentitySource: "$request.header.Authorization", Issuer: iss.url, Audience: []string{"other", "shop-api"}}
	scoped := *auth
	scoped.Scopes = []string{"orders.write", "orders.read"}
	admin := *auth
	admin.Scopes = []string{"admin"}
	w.routes(t,
		Route{Kind: KindHTTPAPI, Method: "GET", Path: "/orders", Function: "echo", JWT: &scoped},
		Route{Kind: KindHTTPAPI, Method: "GET", Path: "/v1/orders", Function: "echo", PayloadVersion: "1.0", JWT: auth},
		Route{Kind: KindHTTPAPI, Method: "GET", Path: "/admin", Function: "echo", JWT: &admin},
	)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(c map[string]any) []string {
		return []string{"Authorization", "Bearer " + signRS256(t, iss.key, iss.kid, c)}
	}
	hour := time.Hour
	tests := []struct {
		name    string
		path    string
		headers []string
		want    int
	}{
		{"valid", "/orders", bearer(iss.claims(nil)), 200},
		{"no token", "/orders", nil, 401},
		{"not a JWT", "/orders", []string{"Authorization", "Bearer abc"}, 401},
		{"expired", "/orders", bearer(iss.claims(map[string]any{"exp": time.Now().Add(-hour).Unix()})), 401},
		{"no exp", "/orders", bearer(iss.claims(map[string]any{"exp": nil})), 401},
		{"not yet valid", "/orders", bearer(iss.claims(map[string]any{"nbf": time.Now().Add(hour).Unix()})), 401},
		{"wrong audience", "/orders", bearer(iss.claims(map[string]any{"aud": "someone-else"})), 401},
		{"audience list", "/orders", bearer(iss.claims(map[string]any{"aud": []string{"x", "shop-api"}})), 200},
		{"wrong issuer", "/orders", bearer(iss.claims(map[string]any{"iss": "https://evil.example"})), 401},
		{"bad signature", "/orders", []string{"Authorization", "Bearer " + signRS256(t, other, iss.kid, iss.claims(nil))}, 401},
		{"unknown kid", "/orders", []string{"Authorization", "Bearer " + signRS256(t, other, "rogue", iss.claims(nil))}, 401},
		{"alg none", "/orders", []string{"Authorization", "Bearer " + unsigned(iss.claims(nil))}, 401},
		{"missing scope", "/admin", bearer(iss.claims(nil)), 403},
		{"without Bearer prefix", "/orders", []string{"Authorization", signRS256(t, iss.key, iss.kid, iss.claims(nil))}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "GET", w.url+tt.path, "", tt.headers...)
			if r.status != tt.want {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.want, r.body)
			}
			switch tt.want {
			case 401:
				if r.body != `{"message":"Unauthorized"}` || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
					t.Errorf("answer = %s (WWW-Authenticate %q), want API Gateway's Unauthorized", r.body, r.header.Get("WWW-Authenticate"))
				}
			case 403:
				if r.body != `{"message":"Forbidden"}` {
					t.Errorf("answer = %s, want API Gateway's Forbidden", r.body)
				}
			}
		})
	}

	t.Run("claims reach the function (2.0)", func(t *testing.T) {
		r := do(t, "GET", w.url+"/orders", "", bearer(iss.claims(nil))...)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		ev := decodeJSON(t, r.body)
		jwt := get(ev, "requestContext", "authorizer", "jwt")
		if got := get(jwt, "claims", "sub"); got != "user-1" {
			t.Errorf("claims.sub = %v, want user-1 (event: %s)", got, r.body)
		}
		if got := get(jwt, "claims", "aud"); got != "shop-api" {
			t.Errorf("claims.aud = %v, want shop-api", got)
		}
		if got := get(jwt, "claims", "groups"); got != "[admin dev]" {
			t.Errorf("claims.groups = %v, want API Gateway's \"[admin dev]\"", got)
		}
		if got, _ := get(jwt, "claims", "exp").(string); got == "" || strings.ContainsAny(got, ".e") {
			t.Errorf("claims.exp = %q, want the integer as text", got)
		}
		scopes, _ := get(jwt, "scopes").([]any)
		if len(scopes) != 2 || scopes[0] != "orders.read" || scopes[1] != "profile" {
			t.Errorf("scopes = %v, want [orders.read profile]", get(jwt, "scopes"))
		}
	})
	t.Run("claims reach the function (1.0)", func(t *testing.T) {
		r := do(t, "GET", w.url+"/v1/orders", "", bearer(iss.claims(nil))...)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if got := get(decodeJSON(t, r.body), "requestContext", "authorizer", "claims", "sub"); got != "user-1" {
			t.Errorf("requestContext.authorizer.claims.sub = %v, want user-1", got)
		}
	})
	if n := iss.fetches.Load(); n < 1 || n > 2 {
		t.Errorf("the JWKS was fetched %d times; want it cached (1, or 2 after the unknown kid)", n)
	}
}

func unsigned(claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "none"})
	p, _ := json.Marshal(claims)
	return b64(h) + "." + b64(p) + "."
}

// TestJWTAuthorizerFileKeys verifies ES256 tokens against a JWKS given with
// the route (a file, for an issuer Ferry cannot reach), read from a query
// string identity source.
func TestJWTAuthorizerFileKeys(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey.Bytes() // uncompressed point
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": "ec1", "x": b64(pub[1:33]), "y": b64(pub[33:]),
	}}})
	const issuer = "https://idp.unreachable.invalid/"
	_, url := light(t, Route{Kind: KindHTTPAPI, Method: "GET", Path: "/q", Function: "f",
		JWT: &JWTAuth{Name: "idp", IdentitySource: "$request.querystring.token", Issuer: issuer, Audience: []string{"app"}, JWKS: jwks}})
	sign := func(k *ecdsa.PrivateKey, claims map[string]any) string {
		h, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": "ec1"})
		p, _ := json.Marshal(claims)
		signed := b64(h) + "." + b64(p)
		d := sha256.Sum256([]byte(signed))
		r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return signed + "." + b64(sig)
	}
	claims := map[string]any{"iss": issuer, "aud": "app", "exp": time.Now().Add(time.Minute).Unix()}
	if r := do(t, "GET", url+"/q?token="+sign(key, claims), ""); r.status != 200 {
		t.Errorf("valid ES256 token: status %d: %s", r.status, r.body)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if r := do(t, "GET", url+"/q?token="+sign(other, claims), ""); r.status != 401 {
		t.Errorf("ES256 token of another key: status %d, want 401", r.status)
	}
	if r := do(t, "GET", url+"/q", "", "Authorization", "Bearer "+sign(key, claims)); r.status != 401 {
		t.Errorf("token in the wrong place: status %d, want 401", r.status)
	}
}
