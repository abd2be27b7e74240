package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"sync"
)

// fnKeyPrefix starts every function's access key id.
const fnKeyPrefix = "FERRYFN"

// functionKeys are the access keys Ferry gives function instances when the
// API port authenticates: each function gets its own key, derived from the
// data dir's secret, that signs AWS API calls but is refused by Ferry's own
// endpoints (the dashboard, /_ferry/, /metrics).
type functionKeys struct {
	secret []byte
	mu     sync.Mutex
	byID   map[string]string // access key id -> secret, for keys handed out
}

// derive returns function's access key id and secret.
func (k *functionKeys) derive(function string) (string, string) {
	mac := func(label string) []byte {
		h := hmac.New(sha256.New, k.secret)
		h.Write([]byte(label + "\x00" + function))
		return h.Sum(nil)
	}
	id := fnKeyPrefix + strings.ToUpper(hex.EncodeToString(mac("id")[:7]))
	secret := hex.EncodeToString(mac("secret"))
	k.mu.Lock()
	k.byID[id] = secret
	k.mu.Unlock()
	return id, secret
}

// lookup returns the secret of a function key handed out by derive.
func (k *functionKeys) lookup(id string) (string, bool) {
	if k == nil || !strings.HasPrefix(id, fnKeyPrefix) {
		return "", false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.byID[id]
	return s, ok
}

// usedBy reports whether r is signed, or basic-authenticated, with a
// function's key.
func (k *functionKeys) usedBy(r *http.Request) bool {
	if k == nil {
		return false
	}
	if id, _, ok := r.BasicAuth(); ok {
		return strings.HasPrefix(id, fnKeyPrefix)
	}
	cred := r.Header.Get("Authorization")
	if cred == "" {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	return strings.Contains(cred, "Credential="+fnKeyPrefix) || strings.HasPrefix(cred, fnKeyPrefix)
}

// functionCredentials gives instances their function's key when the API
// port authenticates; otherwise the placeholder key Ferry accepts.
func (m *Main) functionCredentials(secret []byte) func(string) (string, string) {
	if !m.Config.authRequired() {
		return nil
	}
	m.fnKeys = &functionKeys{secret: secret, byID: map[string]string{}}
	return m.fnKeys.derive
}

// functionAPIURL is the API port's URL as a function process reaches it:
// a wildcard listen address becomes loopback.
func (m *Main) functionAPIURL() string {
	if m.apiLn == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(m.apiLn.Addr().String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
