package main

import (
	"net/http"
	"strings"
)

// apiHandler routes the AWS APIs that share one port: Lambda by path.
func (m *Main) apiHandler() http.Handler {
	lambda := m.Lambda.Handler()
	prefixes := m.Lambda.Routes()
	ops := http.NewServeMux()
	ops.Handle("GET /metrics", m.Metrics.Handler())
	ops.HandleFunc("GET /healthz", m.healthz)
	ops.HandleFunc("GET /readyz", m.readyz)
	ops.Handle("GET /_ferry/logs", m.Logs)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics", "/healthz", "/readyz", "/_ferry/logs":
			ops.ServeHTTP(w, r)
			return
		}
		for _, p := range prefixes {
			if strings.HasPrefix(r.URL.Path, p) {
				lambda.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"__type":"UnknownOperationException","message":"no Ferry API serves ` + r.Method + " " + r.URL.Path + `"}`))
	})
}
