package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/awsapi/sigv4"
	"github.com/ferry-run/ferry/control"
	"github.com/ferry-run/ferry/web"
)

// Loopback is not a trust boundary: any web page the user opens can send
// requests to 127.0.0.1. The API port therefore refuses what a page on
// another site could send (siteGuard), requires each AWS protocol's own
// content type (contenttype.go), and wants a per-start token on the
// dashboard's and the control API's calls (requireToken).

// tokenPath hands the token to whoever can read it: the dashboard page
// (same origin) and the ferry command line. A page on another site cannot:
// siteGuard refuses it, and no CORS header lets it read the answer.
const tokenPath = web.Prefix + "token"

// guardAPI is the API port's handler: the site guard, then authentication
// (when on), then the token, then the APIs.
func (m *Main) guardAPI() http.Handler {
	token := newToken()
	m.Dashboard.SetToken(token)
	g := newSiteGuard(m.Config.APIAddr, m.apiLn.Addr().String(), m.Config.AllowOrigins)
	g.refuse = m.refuseSite
	g.next = m.limitBodies(m.withAuth(requireToken(token, m.apiHandler())))
	return g
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand panics rather)
	return hex.EncodeToString(b)
}

// siteGuard refuses requests a web page on another site can make: a Host
// that is not this server's (DNS rebinding), an Origin that is not its
// own, and a Sec-Fetch-Site of cross-site or same-site (a page on another
// port of 127.0.0.1 is same-site). Origins named by --allow-origin are let
// through, with CORS headers. AWS SDKs and CLIs send neither Origin nor
// Sec-Fetch-Site.
type siteGuard struct {
	// hosts are the Host values this server answers to, as host:port in
	// lower case; nil when it listens on every interface (then requests
	// must be signed, see authRequired).
	hosts   map[string]bool
	origins map[string]bool
	next    http.Handler
	refuse  func(w http.ResponseWriter, r *http.Request, reason string)
}

// newSiteGuard returns a guard for a server configured with addr and
// listening on bound, letting allow's origins through.
func newSiteGuard(addr, bound string, allow []string) *siteGuard {
	g := &siteGuard{hosts: map[string]bool{}, origins: map[string]bool{}}
	for _, o := range allow {
		g.origins[strings.TrimRight(strings.ToLower(o), "/")] = true
	}
	_, port, err := net.SplitHostPort(bound)
	if err != nil {
		return g // no host can match: refuse everything rather than nothing
	}
	for _, a := range []string{addr, bound} {
		h, _, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		if ip, err := netip.ParseAddr(strings.Trim(h, "[]")); h == "" || err == nil && ip.IsUnspecified() {
			g.hosts = nil
			return g
		}
		g.hosts[normHost(net.JoinHostPort(h, port))] = true
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		g.hosts[normHost(net.JoinHostPort(h, port))] = true
	}
	return g
}

// normHost is a Host header as host:port in lower case, port 80 when none
// is given.
func normHost(h string) string {
	h = strings.ToLower(h)
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = strings.Trim(h, "[]"), "80"
	}
	return net.JoinHostPort(strings.TrimSuffix(host, "."), port)
}

func (g *siteGuard) hostList() string {
	var hs []string
	for h := range g.hosts {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	return strings.Join(hs, ", ")
}

// check returns why r is refused, or "" and the origin to answer with CORS
// headers ("" for none).
func (g *siteGuard) check(r *http.Request) (refusal, corsOrigin string) {
	if g.hosts != nil && !g.hosts[normHost(r.Host)] {
		return fmt.Sprintf("Host %q is not this server's address (it answers to %s): a web page reaches a local server under its own name through DNS rebinding", r.Host, g.hostList()), ""
	}
	origin := r.Header.Get("Origin")
	listed := origin != "" && g.origins[strings.ToLower(origin)]
	if origin != "" && !listed && !strings.EqualFold(origin, "http://"+r.Host) {
		return fmt.Sprintf("request from a web page on %s refused: pages on other sites may not use Ferry's API (start Ferry with --allow-origin %s to let that site in)", origin, origin), ""
	}
	if site := r.Header.Get("Sec-Fetch-Site"); (site == "cross-site" || site == "same-site") && !listed && !dashboardNavigation(r) {
		return fmt.Sprintf("request from a web page on another site refused (Sec-Fetch-Site: %s): pages on other sites may not use Ferry's API (start Ferry with --allow-origin ORIGIN to let a site in)", site), ""
	}
	if listed {
		return "", origin
	}
	return "", ""
}

// dashboardNavigation is a link from another site to the dashboard page:
// it opens the page in its own window and carries nothing.
func dashboardNavigation(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == web.Prefix &&
		r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
}

func (g *siteGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	refusal, origin := g.check(r)
	if refusal != "" {
		g.refuse(w, r, refusal)
		return
	}
	if origin != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if method := r.Header.Get("Access-Control-Request-Method"); r.Method == http.MethodOptions && method != "" {
			h.Set("Access-Control-Allow-Methods", method)
			if hs := r.Header.Get("Access-Control-Request-Headers"); hs != "" {
				h.Set("Access-Control-Allow-Headers", hs)
			}
			if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
				h.Set("Access-Control-Allow-Private-Network", "true")
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", "*")
	}
	g.next.ServeHTTP(w, r)
}

// refuseSite answers a request the site guard refused: 403 in the
// protocol's error shape, Ferry's own JSON for its own endpoints.
func (m *Main) refuseSite(w http.ResponseWriter, r *http.Request, reason string) {
	m.Config.Logger.Info("api: refused a request from a web page", "method", r.Method, "path", r.URL.Path,
		"host", r.Host, "origin", r.Header.Get("Origin"), "reason", reason)
	if ferryPath(r.URL.Path) {
		writeFerryError(w, http.StatusForbidden, ferry.EUNAUTHORIZED, reason)
		return
	}
	m.rejectAuth(w, r, &sigv4.AuthError{Code: "AccessDeniedException", Message: reason, Status: http.StatusForbidden})
}

// ferryPath is one of Ferry's own endpoints rather than an AWS API.
func ferryPath(p string) bool {
	return strings.HasPrefix(p, web.Prefix) || p == "/metrics" || p == "/healthz" || p == "/readyz"
}

// writeFerryError answers in the shape of the dashboard's and the control
// API's errors.
func writeFerryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg, "code": code})
}

// requireToken serves the token at tokenPath and wants it, in
// web.TokenHeader, on every call of the dashboard's API and the control
// API. A page on another site cannot send that header without a CORS
// preflight, which the site guard refuses.
func requireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == tokenPath:
			if r.Method != http.MethodGet {
				w.Header().Set("Allow", "GET")
				writeFerryError(w, http.StatusMethodNotAllowed, ferry.EINVALID, "use GET "+tokenPath)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_ = json.NewEncoder(w).Encode(map[string]string{"token": token})
			return
		case strings.HasPrefix(p, web.Prefix+"api/") || strings.HasPrefix(p, control.Prefix) || isPprofPath(p):
			got := r.Header.Get(web.TokenHeader)
			if got == "" {
				writeFerryError(w, http.StatusForbidden, ferry.EUNAUTHORIZED, "this call needs the "+web.TokenHeader+" header: the dashboard page and the ferry command line send it (GET "+tokenPath+")")
				return
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				writeFerryError(w, http.StatusForbidden, ferry.EUNAUTHORIZED, "wrong "+web.TokenHeader+": the server restarted since the dashboard page was loaded; reload the page")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// parseOrigins checks --allow-origin values: each a scheme://host[:port]
// origin as a browser sends it, without a path.
func parseOrigins(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			strings.TrimRight(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, ferry.Errorf(ferry.EINVALID, "--allow-origin %q: want an origin such as http://localhost:5173 (scheme, host and port, no path)", v)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, nil
}
