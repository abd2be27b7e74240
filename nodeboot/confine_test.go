package nodeboot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHandlerConfined: the bootstrap loads a handler only from inside the
// task root: not by absolute path, not through a symlink leading out, not
// from a node_modules above the root.
func TestHandlerConfined(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	evil := `exports.handler = async () => 'ran outside';`
	if err := os.WriteFile(filepath.Join(outside, "index.js"), []byte(evil), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		prepare    func(t *testing.T, root string) string // returns the handler
		wantType   string
		wantPrefix string
	}{
		{"absolute handler", func(t *testing.T, root string) string { return filepath.Join(outside, "index.handler") },
			"Runtime.MalformedHandlerName", "'" + outside + "/index.handler' is not a valid handler name"},
		{"symlink out", func(t *testing.T, root string) string {
			if err := os.Symlink(filepath.Join(outside, "index.js"), filepath.Join(root, "index.js")); err != nil {
				t.Fatal(err)
			}
			return "index.handler"
		}, "Runtime.ImportModuleError", "Error: handler 'index.handler' resolves to"},
		{"package above the root", func(t *testing.T, root string) string {
			pkg := filepath.Join(filepath.Dir(root), "node_modules", "evilpkg")
			if err := os.MkdirAll(pkg, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(pkg, "index.js"), []byte(evil), 0o644); err != nil {
				t.Fatal(err)
			}
			return "evilpkg.handler"
		}, "Runtime.ImportModuleError", "Error: handler 'evilpkg.handler' resolves to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, nil)
			p := f.start(t, tt.prepare(t, f.root))
			d := wantErrorPost(t, f.api.waitPost(t), "init", tt.wantType, p)
			if !strings.HasPrefix(d.ErrorMessage, tt.wantPrefix) {
				t.Errorf("errorMessage %q, want prefix %q", d.ErrorMessage, tt.wantPrefix)
			}
			if code := p.wait(t); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if strings.Contains(p.out.String(), "ran outside") {
				t.Errorf("code outside the task root ran")
			}
		})
	}
}
