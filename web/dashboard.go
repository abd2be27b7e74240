package web

import (
	"bytes"
	"embed"
	"html"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/ferry-run/ferry"
)

// Prefix is where cmd/ferry mounts Handler on the API port.
const Prefix = "/_ferry/"

//go:embed assets
var assets embed.FS

// contentSecurity allows only the server's own scripts, styles and fetches:
// no inline script can run, whatever data reaches the page.
const contentSecurity = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// TokenHeader carries the token of the server's start on every call of the
// dashboard's API; the page reads it from its <meta name="ferry-token">.
const TokenHeader = "X-Ferry-Token"

// tokenMeta is the tag of index.html that SetToken's token fills in.
const tokenMeta = `<meta name="ferry-token" content="">`

// Dashboard serves the dashboard page and its JSON API from a Source.
type Dashboard struct {
	src   Source
	log   *slog.Logger
	token atomic.Value // string
}

// SetToken sets the token the page sends in TokenHeader. Whoever mounts
// Handler checks it (cmd/ferry does, for this API and the control API).
func (d *Dashboard) SetToken(token string) { d.token.Store(token) }

// New returns a dashboard reading from src. A nil logger discards.
func New(src Source, logger *slog.Logger) *Dashboard {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Dashboard{src: src, log: logger}
}

// route is one JSON endpoint.
type route struct {
	method, path string
	h            http.HandlerFunc
}

func (d *Dashboard) routes() []route {
	api := Prefix + "api/"
	return []route{
		{"GET", api + "graph", d.graph},
		{"GET", api + "invocations", d.invocations},
		{"GET", api + "invocations/{id}", d.invocation},
		{"GET", api + "trace/{id}", d.trace},
		{"GET", api + "queues", d.queues},
		{"GET", api + "queues/{name}/peek", d.peek},
		{"POST", api + "queues/{name}/purge", d.purge},
		{"POST", api + "queues/{name}/redrive", d.redrive},
		{"POST", api + "invoke", d.invoke},
	}
}

// Handler serves the page at /_ferry/, its assets under /_ferry/static/ and
// the JSON API under /_ferry/api/. It expects full request paths (mount it
// with mux.Handle("/_ferry/", d.Handler()), no prefix stripping).
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	anyMethod := http.NewServeMux()
	for _, rt := range d.routes() {
		h := rt.h
		if rt.method != "GET" {
			h = sameOrigin(d, h)
		}
		mux.HandleFunc(rt.method+" "+rt.path, h)
		allowed := rt.method
		anyMethod.HandleFunc(rt.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allowed)
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{
				Error: "method " + r.Method + " is not allowed on " + r.URL.Path + "; use " + allowed,
				Code:  ferry.EINVALID,
			})
		})
	}
	anyMethod.HandleFunc(Prefix+"api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{
			Error: "no dashboard API endpoint " + r.Method + " " + r.URL.Path, Code: ferry.ENOTFOUND,
		})
	})
	mux.Handle(Prefix+"api/", anyMethod)

	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(Prefix+"static/", http.FileServerFS(static))
	mux.Handle("GET "+Prefix+"static/", noCache(files))
	mux.HandleFunc("GET "+Prefix+"{$}", func(w http.ResponseWriter, r *http.Request) {
		page, err := fs.ReadFile(static, "index.html")
		if err != nil {
			d.writeError(w, r, err)
			return
		}
		if tok, _ := d.token.Load().(string); tok != "" {
			page = bytes.Replace(page, []byte(tokenMeta), []byte(`<meta name="ferry-token" content="`+html.EscapeString(tok)+`">`), 1)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", contentSecurity)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
	return secureHeaders(mux)
}

// secureHeaders sets the headers every response carries.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func noCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses state-changing requests another site could make from a
// browser: they must be JSON (a cross-site form cannot send that without a
// preflight) and not marked cross-site by the browser.
func sameOrigin(d *Dashboard, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			d.writeError(w, r, ferry.Errorf(ferry.EUNAUTHORIZED, "cross-site request refused"))
			return
		}
		ct := r.Header.Get("Content-Type")
		if i := strings.IndexByte(ct, ';'); i >= 0 {
			ct = ct[:i]
		}
		if strings.TrimSpace(strings.ToLower(ct)) != "application/json" {
			d.writeError(w, r, ferry.Errorf(ferry.EINVALID, "Content-Type must be application/json, got %q", ct))
			return
		}
		next(w, r)
	}
}
