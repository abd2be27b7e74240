package gateway

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// jwk is one key of a JSON Web Key Set (RFC 7517); only the fields of RSA
// and EC signing keys are read.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// keySet is a parsed JWKS: public keys by kid.
type keySet struct {
	keys []verifyKey
}

type verifyKey struct {
	kid string
	alg string // "" when the JWK does not say
	pub crypto.PublicKey
}

// parseJWKS reads a JWKS document. Keys that are not RSA or EC signing keys
// are skipped; a set with no usable key is an error.
func parseJWKS(b []byte) (*keySet, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("JWKS is not valid JSON: %w", err)
	}
	ks := &keySet{}
	for i, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("JWKS key %d (kid %q): %w", i, k.Kid, err)
		}
		if pub != nil {
			ks.keys = append(ks.keys, verifyKey{kid: k.Kid, alg: k.Alg, pub: pub})
		}
	}
	if len(ks.keys) == 0 {
		return nil, errors.New("JWKS holds no RSA or EC signing key")
	}
	return ks, nil
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("bad base64url number")
	}
	return new(big.Int).SetBytes(b), nil
}

// publicKey returns the key, or nil for a key type Ferry does not verify.
func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64int(k.N)
		if err != nil {
			return nil, fmt.Errorf("n: %w", err)
		}
		e, err := b64int(k.E)
		if err != nil || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return nil, fmt.Errorf("e: bad exponent")
		}
		if n.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits is too small (2048 at least)", n.BitLen())
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		x, err := b64int(k.X)
		if err != nil {
			return nil, fmt.Errorf("x: %w", err)
		}
		y, err := b64int(k.Y)
		if err != nil {
			return nil, fmt.Errorf("y: %w", err)
		}
		// Encode as an uncompressed point so crypto/ecdsa checks that it
		// is on the curve.
		size := (curve.Params().BitSize + 7) / 8
		if len(x.Bytes()) > size || len(y.Bytes()) > size {
			return nil, fmt.Errorf("point does not fit the curve")
		}
		pt := make([]byte, 1+2*size)
		pt[0] = 4
		x.FillBytes(pt[1 : 1+size])
		y.FillBytes(pt[1+size:])
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, pt)
		if err != nil {
			return nil, fmt.Errorf("point is not on the curve")
		}
		return pub, nil
	}
	return nil, nil
}

// tokenError is why a token is refused; forbidden ones (valid token,
// missing scope) answer 403, the others 401.
type tokenError struct {
	msg       string
	forbidden bool
}

func (e *tokenError) Error() string { return e.msg }

func badToken(format string, args ...any) *tokenError {
	return &tokenError{msg: fmt.Sprintf(format, args...)}
}

// jwtHeader is a token's JOSE header.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// parsedToken is a token split and decoded, not yet verified.
type parsedToken struct {
	header  jwtHeader
	signed  []byte // header.payload as sent
	sig     []byte
	payload []byte
}

func parseToken(tok string) (*parsedToken, *tokenError) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, badToken("the token is not a JWS compact serialization")
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, badToken("the token header is not base64url")
	}
	p := &parsedToken{signed: []byte(parts[0] + "." + parts[1])}
	if err := json.Unmarshal(hb, &p.header); err != nil {
		return nil, badToken("the token header is not JSON")
	}
	if p.payload, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
		return nil, badToken("the token payload is not base64url")
	}
	if p.sig, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, badToken("the token signature is not base64url")
	}
	return p, nil
}

// algHash maps a JWS algorithm to its key type and hash.
func algHash(alg string) (kty string, h crypto.Hash, ok bool) {
	switch alg {
	case "RS256":
		return "RSA", crypto.SHA256, true
	case "RS384":
		return "RSA", crypto.SHA384, true
	case "RS512":
		return "RSA", crypto.SHA512, true
	case "ES256":
		return "EC", crypto.SHA256, true
	case "ES384":
		return "EC", crypto.SHA384, true
	case "ES512":
		return "EC", crypto.SHA512, true
	}
	return "", 0, false
}

func digest(h crypto.Hash, b []byte) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384(b)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(b)
		return d[:]
	}
	d := sha256.Sum256(b)
	return d[:]
}

// verifySignature checks p's signature with the key of ks its kid names
// (or, without a kid, any key of the right type).
func (ks *keySet) verifySignature(p *parsedToken) *tokenError {
	kty, h, ok := algHash(p.header.Alg)
	if !ok {
		return badToken("signing algorithm %q is not accepted (RS256/384/512, ES256/384/512)", p.header.Alg)
	}
	d := digest(h, p.signed)
	found := false
	for _, k := range ks.keys {
		if p.header.Kid != "" && k.kid != p.header.Kid {
			continue
		}
		if k.alg != "" && k.alg != p.header.Alg {
			continue
		}
		switch pub := k.pub.(type) {
		case *rsa.PublicKey:
			if kty != "RSA" {
				continue
			}
			found = true
			if rsa.VerifyPKCS1v15(pub, h, d, p.sig) == nil {
				return nil
			}
		case *ecdsa.PublicKey:
			size := (pub.Curve.Params().BitSize + 7) / 8
			if kty != "EC" || len(p.sig) != 2*size {
				continue
			}
			found = true
			r := new(big.Int).SetBytes(p.sig[:size])
			s := new(big.Int).SetBytes(p.sig[size:])
			if ecdsa.Verify(pub, d, r, s) {
				return nil
			}
		}
	}
	if !found {
		return badToken("no key of the issuer's JWKS matches kid %q and alg %s", p.header.Kid, p.header.Alg)
	}
	return badToken("the token signature is invalid")
}

// verifiedClaims are a valid token's claims as the event carries them.
type verifiedClaims struct {
	claims map[string]string
	scopes []string
}

// checkClaims validates iss, aud (or client_id), exp, nbf and the route's
// scopes, and returns the claims stringified as API Gateway does.
func checkClaims(payload []byte, a *JWTAuth, now time.Time) (*verifiedClaims, *tokenError) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, badToken("the token payload is not a JSON object")
	}
	if iss, _ := claims["iss"].(string); iss != a.Issuer {
		return nil, badToken("the token issuer %q is not accepted", iss)
	}
	auds := stringsOf(claims["aud"])
	if len(auds) == 0 {
		auds = stringsOf(claims["client_id"])
	}
	if !intersects(auds, a.Audience) {
		return nil, badToken("the token audience %q is not accepted", auds)
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return nil, badToken("the token has no exp claim")
	}
	if !now.Before(exp) {
		return nil, badToken("the token has expired")
	}
	if v, present := claims["nbf"]; present {
		nbf, ok := numericDate(v)
		if !ok {
			return nil, badToken("the token's nbf claim is not a number")
		}
		if now.Before(nbf) {
			return nil, badToken("the token is not valid yet (nbf)")
		}
	}
	var scopes []string
	if s, ok := claims["scope"].(string); ok {
		scopes = strings.Fields(s)
	} else if v, ok := claims["scp"]; ok {
		for _, s := range stringsOf(v) {
			scopes = append(scopes, strings.Fields(s)...)
		}
	}
	if len(a.Scopes) > 0 && !intersects(scopes, a.Scopes) {
		return nil, &tokenError{msg: fmt.Sprintf("the token has none of the route's scopes (it has %q)", scopes), forbidden: true}
	}
	out := &verifiedClaims{claims: make(map[string]string, len(claims)), scopes: scopes}
	for k, v := range claims {
		out.claims[k] = claimString(v)
	}
	return out, nil
}

// claimString formats a claim the way API Gateway passes it to the
// function: strings as is, numbers and booleans as text, lists as
// "[a b c]", objects as JSON.
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// numericDate reads a NumericDate claim (seconds since the epoch, possibly
// fractional).
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	f = math.Max(-1e15, math.Min(f, 1e15)) // far past or future, no overflow
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), true
}
