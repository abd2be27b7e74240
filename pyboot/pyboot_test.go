package pyboot_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/pyboot"
)

func TestInstallAndResolve(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	entry, err := pyboot.Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	if body, err := os.ReadFile(entry); err != nil || !bytes.Contains(body, []byte("AWS_LAMBDA_RUNTIME_API")) || filepath.Base(entry) != pyboot.EntryName {
		t.Fatalf("installed %s: %v", entry, err)
	}
	path, version, err := pyboot.Resolve("python3")
	if err != nil || !filepath.IsAbs(path) || !strings.HasPrefix(version, "3.") {
		t.Fatalf("Resolve(python3) = %q %q %v", path, version, err)
	}
	if _, _, err := pyboot.Resolve(filepath.Join(dir, "no-python")); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("Resolve(missing) err = %v, want EINVALID", err)
	}
}
