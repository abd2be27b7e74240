package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry/stack"
)

const authStack = `service: shop
provider:
  name: aws
  runtime: nodejs20.x
  apiGateway:
    apiKeys:
      - partner
      - name: fixed
        value: fixed-key-0123456789abcdef
  httpApi:
    authorizers:
      idp:
        issuerUrl: https://idp.ferry-test.invalid/
        audience: [shop-api]
functions:
  api:
    handler: index.handler
    events:
      - http:
          path: /admin
          method: get
          private: true
      - httpApi:
          path: /me
          method: get
          authorizer: idp
`

const authHandler = `exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event.requestContext) });`

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TestUpHonoursGatewayAuth applies a stack with a private route and a JWT
// authorizer whose keys come from a --jwks file: a generated API key is
// stored, printed and enforced; tokens are verified and their claims reach
// the function.
func TestUpHonoursGatewayAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey.Bytes() // uncompressed point: 04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-256", "kid": "k1",
		"x": b64url(pub[1:33]), "y": b64url(pub[33:])}}})
	for name, body := range map[string]string{"serverless.yml": authStack, "index.js": authHandler, "jwks.json": string(jwks)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, _, err := stack.Load(dir, stack.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := jwksFlags([]string{"idp=" + filepath.Join(dir, "jwks.json")})
	if err != nil {
		t.Fatal(err)
	}
	m := setupWith(t, Config{ClockScale: 0.001, JWKSFiles: files})
	if err := m.Apply(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	partner := st.APIKeys[0].Value
	if len(partner) != 40 {
		t.Fatalf("generated key %q, want 40 characters", partner)
	}

	var banner bytes.Buffer
	printStack(&banner, m, st)
	for _, want := range []string{"api key    partner: " + partner, "api key    fixed: fixed-key-0123456789abcdef",
		"/admin   (x-api-key required)", "/me   (JWT authorizer idp, keys from --jwks file)"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}

	// The generated value survives a restart: a new server on the same data dir.
	again, _, err := stack.Load(dir, stack.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := NewMain(Config{DataDir: m.Config.DataDir}).fillAPIKeys(again); err != nil {
		t.Fatal(err)
	}
	if again.APIKeys[0].Value != partner {
		t.Errorf("after a restart the key is %q, want the stored %q", again.APIKeys[0].Value, partner)
	}

	gw := m.Gateway.URL()
	call := func(path string, hdr ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", gw+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call("/admin"); code != 403 || body != `{"message":"Forbidden"}` {
		t.Errorf("private route without key: %d %s, want 403 Forbidden", code, body)
	}
	if code, body := call("/admin", "x-api-key", partner); code != 200 {
		t.Errorf("private route with the generated key: %d %s", code, body)
	}
	if code, body := call("/admin", "x-api-key", "fixed-key-0123456789abcdef"); code != 200 {
		t.Errorf("private route with the given key: %d %s", code, body)
	}

	h, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": "k1"})
	p, _ := json.Marshal(map[string]any{"iss": "https://idp.ferry-test.invalid/", "aud": "shop-api", "sub": "ann",
		"exp": time.Now().Add(time.Hour).Unix()})
	signed := b64url(h) + "." + b64url(p)
	d := sha256.Sum256([]byte(signed))
	r, sv, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	if code, body := call("/me"); code != 401 || body != `{"message":"Unauthorized"}` {
		t.Errorf("JWT route without a token: %d %s, want 401 Unauthorized", code, body)
	}
	code, body := call("/me", "Authorization", "Bearer "+signed+"."+b64url(sig))
	if code != 200 || !strings.Contains(body, `"sub":"ann"`) {
		t.Errorf("JWT route with a valid token: %d %s, want 200 with the claims in the event", code, body)
	}
}

// TestUpRefusesUnsupportedAuthorizer: ferry up stops before serving a route
// whose authorizer it cannot check, naming file:line and the authorizer.
func TestUpRefusesUnsupportedAuthorizer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	body := strings.Replace(authStack, "          authorizer: idp\n", "          authorizer:\n            type: aws_iam\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "serverless.yml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "up", dir, "--api", "127.0.0.1:0", "--gateway", "127.0.0.1:0")
	want := filepath.Join(dir, "serverless.yml") + ":27:13: functions.api.events[1].httpApi.authorizer: route GET /me: the aws_iam authorizer is not supported by Ferry"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("ferry up = %v\n%s\nwant an error containing %q", err, out, want)
	}
	if _, serr := os.Stat(filepath.Join(dir, ".ferry")); serr == nil {
		t.Errorf("ferry up created its data dir before refusing the stack")
	}
}
