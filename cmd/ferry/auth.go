package main

import (
	"crypto/subtle"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/awsapi/sigv4"
)

// authRequired reports whether the API port must authenticate requests:
// when asked to, and always when it listens beyond loopback.
func (c *Config) authRequired() bool {
	return c.Auth || !sigv4.IsLoopback(c.APIAddr)
}

// checkAuthConfig refuses to start an authenticating server without keys.
func (c *Config) checkAuthConfig() error {
	if !c.authRequired() {
		return nil
	}
	if len(c.AccessKeys) == 0 {
		return ferry.Errorf(ferry.EINVALID, "the API on %s requires authentication (--auth, or a non-loopback address): give access keys with --access-key ID:SECRET", c.APIAddr)
	}
	return (&sigv4.Verifier{Keys: c.AccessKeys}).Validate()
}

// withAuth wraps the API handler: AWS requests must carry a valid SigV4
// signature; Ferry's own endpoints (/_ferry/, /metrics) take the same keys
// as HTTP basic credentials or a signature; /healthz and /readyz are open.
func (m *Main) withAuth(next http.Handler) http.Handler {
	if !m.Config.authRequired() {
		return next
	}
	v := m.newVerifier()
	signed := v.Middleware(next, m.rejectAuth)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/healthz" || p == "/readyz":
			next.ServeHTTP(w, r)
			return
		case strings.HasPrefix(p, "/_ferry/") || p == "/metrics":
			if m.fnKeys.usedBy(r) {
				http.Error(w, "a function's access key may call the AWS APIs only, not Ferry's own endpoints", http.StatusForbidden)
				return
			}
			if id, secret, ok := r.BasicAuth(); ok {
				if want, known := m.Config.AccessKeys[id]; known && subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1 {
					next.ServeHTTP(w, r)
					return
				}
				w.Header().Set("WWW-Authenticate", `Basic realm="ferry"`)
				http.Error(w, "unknown access key or wrong secret", http.StatusUnauthorized)
				return
			}
			if r.Header.Get("Authorization") == "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="ferry"`)
				http.Error(w, "this Ferry requires credentials: an access key id and secret", http.StatusUnauthorized)
				return
			}
		}
		signed.ServeHTTP(w, r)
	})
}

// rejectAuth answers a refused request in its protocol's error shape.
func (m *Main) rejectAuth(w http.ResponseWriter, r *http.Request, err *sigv4.AuthError) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		sigv4.WriteJSONError(w, r, err)
	case m.isLambdaPath(r.URL.Path):
		code := err.CodeFor(sigv4.ProtocolREST)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(err.StatusFor(sigv4.ProtocolREST))
		_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": err.Message})
	default:
		type xmlError struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		body := struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			Error     xmlError `xml:"Error"`
			RequestID string   `xml:"RequestId"`
		}{Error: xmlError{"Sender", err.CodeFor(sigv4.ProtocolQuery), err.Message}, RequestID: reqID}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(err.StatusFor(sigv4.ProtocolQuery))
		_ = xml.NewEncoder(w).Encode(body)
	}
}

func (m *Main) isLambdaPath(p string) bool {
	for _, prefix := range m.Lambda.Routes() {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
