package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ferry-run/ferry/web"
)

// TestPprofNeedsFlagAndToken: /debug/pprof/ is there only with --pprof,
// and only for callers with the dashboard token.
func TestPprofNeedsFlagAndToken(t *testing.T) {
	t.Parallel()
	get := func(m *Main, path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, m.APIURL()+path, nil)
		if token != "" {
			req.Header.Set(web.TokenHeader, token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	on := setupWith(t, Config{Pprof: true})
	if code, _ := get(on, "/debug/pprof/goroutine?debug=1", ""); code != http.StatusForbidden {
		t.Errorf("without the token: status %d, want 403", code)
	}
	if code, _ := get(on, "/debug/pprof/goroutine?debug=1", "wrong"); code != http.StatusForbidden {
		t.Errorf("with a wrong token: status %d, want 403", code)
	}
	code, body := get(on, "/debug/pprof/goroutine?debug=1", dashToken(t, on))
	if code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("with the token: status %d, body %.200q", code, body)
	}
	if code, body := get(on, "/debug/pprof/", dashToken(t, on)); code != http.StatusOK || !strings.Contains(body, "heap") {
		t.Errorf("index: status %d, body %.200q", code, body)
	}
	off := setupWith(t, Config{})
	if code, body := get(off, "/debug/pprof/goroutine?debug=1", dashToken(t, off)); code == http.StatusOK || strings.Contains(body, "goroutine profile:") {
		t.Errorf("without --pprof: status %d, body %.200q", code, body)
	}
}
