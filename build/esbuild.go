package build

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// findEsbuild finds esbuild in the project's node_modules/.bin (the folder
// or a parent) or on the PATH.
func findEsbuild(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", ".bin", "esbuild")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if p, err := exec.LookPath("esbuild"); err == nil {
		return p, nil
	}
	return "", errors.New("esbuild is not installed: run `npm install --save-dev esbuild` in the project (or put esbuild on the PATH)")
}

// esbuildArgs are sam build's esbuild options: bundle for Node, one output
// file per entry point in out.
func esbuildArgs(e Esbuild, out string) []string {
	args := append([]string(nil), e.EntryPoints...)
	args = append(args, "--bundle", "--platform=node", "--outdir="+out, "--outbase=.")
	format := e.Format
	if format == "" {
		format = "cjs"
	}
	args = append(args, "--format="+format)
	if format == "esm" {
		args = append(args, "--out-extension:.js=.mjs")
	}
	if e.Target != "" {
		args = append(args, "--target="+e.Target)
	}
	if e.Minify {
		args = append(args, "--minify")
	}
	if e.Sourcemap {
		args = append(args, "--sourcemap")
	}
	for _, x := range e.External {
		args = append(args, "--external:"+x)
	}
	return args
}

// NodeEntry is the file a Node handler "dir/file.fn" needs in the artifact.
func NodeEntry(handler, format string) string {
	mod := handler
	if i := strings.LastIndex(handler, "."); i > 0 {
		mod = handler[:i]
	}
	if format == "esm" {
		return mod + ".mjs"
	}
	return mod + ".js"
}
