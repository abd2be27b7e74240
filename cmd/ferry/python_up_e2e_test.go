package main

import (
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-run/ferry/pyboot"
)

// TestUpPythonFlagAndVersionWarning: `ferry up --python <interpreter>` runs
// the stack's Python functions with that interpreter, and warns, naming both
// versions, when the stack declares another python3.x than the
// interpreter's.
func TestUpPythonFlagAndVersionWarning(t *testing.T) {
	t.Parallel()
	real, version, err := pyboot.Resolve("python3")
	if err != nil {
		t.Fatal(err)
	}
	declared := "python3.9"
	if version == "3.9" {
		declared = "python3.10"
	}
	dir := t.TempDir()
	link := filepath.Join(t.TempDir(), "mypython")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"serverless.yml": "service: pyflag\nprovider:\n  name: aws\n  runtime: " + declared + "\nfunctions:\n  where:\n    handler: handler.where\n    events:\n      - httpApi: {path: /where, method: GET}\n",
		"handler.py":     "import sys\n\ndef where(event, context):\n    return {'statusCode': 200, 'body': sys.executable}\n",
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startUp(t, buildFerry(t), dir, "--python", link)
	p.waitLine(t, regexp.MustCompile(`^warning: function pyflag-dev-where declares `+regexp.QuoteMeta(declared)+` but runs on the local Python `+
		regexp.QuoteMeta(version)+` \(`+regexp.QuoteMeta(link)+`\)`), 60*time.Second)
	p.waitLine(t, regexp.MustCompile(`is up`), 60*time.Second)
	if code, body := httpGet(t, "http://"+p.gateway+"/where"); code != 200 || body != link {
		t.Fatalf("GET /where: %d %q, want the function run by %s", code, body, link)
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	<-p.done
}
