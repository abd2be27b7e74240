package main

import (
	"net/http"
	"net/http/pprof"
	"strings"
)

// pprofPrefix is where --pprof serves Go's profiles on the API port. Every
// call there needs the dashboard token (web.TokenHeader), and a signed
// request when authentication is on, like the control API.
const pprofPrefix = "/debug/pprof/"

// pprofHandler serves net/http/pprof's profiles under pprofPrefix.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(pprofPrefix, pprof.Index)
	mux.HandleFunc(pprofPrefix+"cmdline", pprof.Cmdline)
	mux.HandleFunc(pprofPrefix+"profile", pprof.Profile)
	mux.HandleFunc(pprofPrefix+"symbol", pprof.Symbol)
	mux.HandleFunc(pprofPrefix+"trace", pprof.Trace)
	return mux
}

// isPprofPath reports whether p is one of pprofPrefix's paths.
func isPprofPath(p string) bool { return p+"/" == pprofPrefix || strings.HasPrefix(p, pprofPrefix) }
