package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/gateway"
	"github.com/ferry-run/ferry/stack"
)

// apiKeysFile keeps the generated API key values in the data dir, so a key
// the stack file gives no value keeps its value across restarts.
const apiKeysFile = "apikeys.json"

// fillAPIKeys gives every key of st without a value the one generated for
// it before, or a new one (stored). Like a deploy, the values are printed
// by ferry up.
func (m *Main) fillAPIKeys(st *stack.Stack) error {
	missing := false
	for _, k := range st.APIKeys {
		missing = missing || k.Value == ""
	}
	if !missing {
		return nil
	}
	file := filepath.Join(m.Config.DataDir, apiKeysFile)
	stored := map[string]string{}
	b, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("API keys: %w", err)
	default:
		if err := json.Unmarshal(b, &stored); err != nil {
			return ferry.Wrap(ferry.EINVALID, err, "API keys: %s is not valid JSON", file)
		}
	}
	changed := false
	for i := range st.APIKeys {
		k := &st.APIKeys[i]
		if k.Value != "" {
			continue
		}
		if v := stored[k.Name]; len(v) >= 20 {
			k.Value = v
			continue
		}
		k.Value = newAPIKeyValue()
		stored[k.Name] = k.Value
		changed = true
	}
	if !changed {
		return nil
	}
	b, err = json.MarshalIndent(stored, "", "  ")
	if err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("API keys: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("API keys: %w", err)
	}
	return nil
}

// newAPIKeyValue returns 40 random letters and digits, like API Gateway's.
func newAPIKeyValue() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 40)
	for i := range b {
		b[i] = alphabet[randIndex(len(alphabet))]
	}
	return string(b)
}

// randIndex is a uniform random index below n (n <= 256).
func randIndex(n int) int {
	var c [1]byte
	limit := 256 - 256%n
	for {
		_, _ = rand.Read(c[:])
		if int(c[0]) < limit {
			return int(c[0]) % n
		}
	}
}

// routeAuth sets the gateway route's API keys and JWT authorizer from the
// stack route. The authorizer's keys come from the JWKS file given for its
// name or issuer (Config.JWKSFiles), or else from the issuer's discovery
// document when the first token arrives.
func (m *Main) routeAuth(gr *gateway.Route, r stack.Route, keys []stack.APIKey) error {
	if r.APIKeyRequired {
		gr.APIKeyRequired = true
		for _, k := range keys {
			gr.APIKeys = append(gr.APIKeys, k.Value)
		}
	}
	a := r.Authorizer
	if a == nil {
		return nil
	}
	if a.Type != stack.AuthorizerJWT {
		return ferry.Errorf(ferry.EINVALID, "route %s %s: authorizer %q of type %q is not supported", r.Method, r.Path, a.Name, a.Type)
	}
	gr.JWT = &gateway.JWTAuth{Name: a.Name, IdentitySource: a.IdentitySource, Issuer: a.Issuer, Audience: a.Audience, Scopes: a.Scopes}
	file := m.Config.JWKSFiles[a.Name]
	if file == "" {
		file = m.Config.JWKSFiles[a.Issuer]
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return ferry.Wrap(ferry.EINVALID, err, "route %s %s: JWKS file of authorizer %q", r.Method, r.Path, a.Name)
		}
		gr.JWT.JWKS = b
	}
	return nil
}

// jwksFlags parses --jwks name=file values; the file path is made absolute.
func jwksFlags(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		i := strings.LastIndex(v, "=")
		if i <= 0 || i == len(v)-1 {
			return nil, fmt.Errorf("--jwks %q: want name=file (the authorizer's name or issuer URL, then a JWKS file)", v)
		}
		abs, err := filepath.Abs(v[i+1:])
		if err != nil {
			return nil, fmt.Errorf("--jwks %q: %w", v, err)
		}
		out[v[:i]] = abs
	}
	return out, nil
}

// routeAuthNote says how a route is protected, for the ferry up banner.
func routeAuthNote(r gateway.Route) string {
	var notes []string
	if r.APIKeyRequired {
		notes = append(notes, "x-api-key required")
	}
	if a := r.JWT; a != nil {
		src := "keys from " + a.Issuer
		if len(a.JWKS) > 0 {
			src = "keys from --jwks file"
		}
		notes = append(notes, fmt.Sprintf("JWT authorizer %s, %s", a.Name, src))
	}
	if len(notes) == 0 {
		return ""
	}
	return "   (" + strings.Join(notes, "; ") + ")"
}
