package main

import (
	"net/http"
	"strings"
)

// apiHandler routes the AWS APIs that share one port: Lambda by path.
func (m *Main) apiHandler() http.Handler {
	lambda := m.Lambda.Handler()
	prefixes := m.Lambda.Routes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
