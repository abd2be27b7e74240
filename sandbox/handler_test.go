package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-run/ferry"
)

// TestCodeOutsideFolderRefused: an instance does not start when its Handler
// is absolute or its entry file resolves outside the code folder; the
// invocation fails as Runtime.InvalidEntrypoint.
func TestCodeOutsideFolderRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{NodeBootstrap: filepath.Join(t.TempDir(), "bootstrap.cjs")})
	outside := t.TempDir()
	for _, f := range []string{"index.js", "bootstrap"} {
		if err := os.WriteFile(filepath.Join(outside, f), []byte("#!/bin/sh\necho ran outside\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	linked := func(name string) string {
		dir := t.TempDir()
		if err := os.Symlink(filepath.Join(outside, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	node := func(name, handler, dir string) *ferry.Function {
		return &ferry.Function{Name: name, Runtime: "nodejs20.x", Handler: handler, CodeDir: dir, Timeout: 5 * time.Second}
	}
	tests := []struct {
		name string
		fn   *ferry.Function
		want string
	}{
		{"absolute handler", node("abs", filepath.Join(outside, "index.handler"), t.TempDir()), "must be a path relative to the function's code folder"},
		{"escaping handler", node("dotdot", "../index.handler", t.TempDir()), "must not leave the function's code folder"},
		{"handler file links out", node("linked", "index.handler", linked("index.js")), "resolves outside the function's code folder"},
		{"bootstrap links out", &ferry.Function{Name: "boot", Runtime: "provided.al2023", CodeDir: linked("bootstrap"), Timeout: 5 * time.Second},
			"resolves outside the function's code folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.invoke(t, tt.fn, `{}`)
			if res.ErrorType != errTypeEntrypoint || !strings.Contains(res.ErrorMessage, tt.want) {
				t.Fatalf("result %s %q, want %s containing %q", res.ErrorType, res.ErrorMessage, errTypeEntrypoint, tt.want)
			}
		})
	}
}
