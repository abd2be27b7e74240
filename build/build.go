// Package build turns a function's declared build (SAM Metadata BuildMethod
// go1.x or makefile) into an artifact folder kept in a cache outside the
// user's source tree, keyed by a hash of the inputs so unchanged code is not
// rebuilt.
package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Build methods Ferry runs.
const (
	MethodGo       = "go1.x"
	MethodMakefile = "makefile"
	MethodEsbuild  = "esbuild"
)

// Spec is one function's build: what SAM's Metadata declares.
type Spec struct {
	Method    string // MethodGo or MethodMakefile
	LogicalID string // the function's logical id (make target build-<LogicalID>)
	SourceDir string // CodeUri
	Arch      string // "x86_64" (default) or "arm64"
	Entry     string // file that must exist in the artifact, e.g. "bootstrap"
	Esbuild   Esbuild
}

// Esbuild is SAM's BuildProperties for BuildMethod esbuild.
type Esbuild struct {
	EntryPoints []string
	Format      string // cjs (default) or esm
	Target      string
	Minify      bool
	Sourcemap   bool
	External    []string
}

// Builder builds into Cache (one folder per input hash).
type Builder struct {
	Cache string
}

// DefaultCache is the user's cache dir, ferry/build; FERRY_BUILD_CACHE
// overrides it.
func DefaultCache() (string, error) {
	if d := os.Getenv("FERRY_BUILD_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("build: no cache folder: %w (set FERRY_BUILD_CACHE)", err)
	}
	return filepath.Join(d, "ferry", "build"), nil
}

// Error is a failed build: the tool's output is kept for the user.
type Error struct {
	Function string
	Tool     string
	Output   string
	Err      error
}

func (e *Error) Error() string {
	return fmt.Sprintf("build of %s: %s failed: %v\n%s", e.Function, e.Tool, e.Err, strings.TrimRight(e.Output, "\n"))
}

func (e *Error) Unwrap() error { return e.Err }

// Build returns the artifact folder for s, building it unless a folder for
// the same inputs is cached. built reports whether the tool ran.
func (b *Builder) Build(ctx context.Context, s Spec) (dir string, built bool, err error) {
	key, err := hashInputs(s)
	if err != nil {
		return "", false, err
	}
	out := filepath.Join(b.Cache, s.LogicalID+"-"+key[:16])
	if fi, err := os.Stat(filepath.Join(out, ".ferry-built")); err == nil && fi.Mode().IsRegular() {
		return out, false, nil
	}
	if err := os.MkdirAll(b.Cache, 0o755); err != nil {
		return "", false, fmt.Errorf("build: %w", err)
	}
	tmp, err := os.MkdirTemp(b.Cache, ".tmp-"+s.LogicalID+"-")
	if err != nil {
		return "", false, fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := run(ctx, s, tmp); err != nil {
		return "", true, err
	}
	if s.Entry != "" {
		if _, err := os.Stat(filepath.Join(tmp, s.Entry)); err != nil {
			return "", true, fmt.Errorf("build of %s: the entry point %s is missing after the %s build (in %s)", s.LogicalID, s.Entry, s.Method, s.SourceDir)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, ".ferry-built"), []byte(key+"\n"), 0o644); err != nil {
		return "", true, fmt.Errorf("build: %w", err)
	}
	os.RemoveAll(out)
	if err := os.Rename(tmp, out); err != nil {
		return "", true, fmt.Errorf("build: %w", err)
	}
	return out, true, nil
}

func run(ctx context.Context, s Spec, out string) error {
	var cmd *exec.Cmd
	switch s.Method {
	case MethodGo:
		arch := "amd64"
		if s.Arch == "arm64" {
			arch = "arm64"
		}
		cmd = exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(out, "bootstrap"), ".")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	case MethodMakefile:
		cmd = exec.CommandContext(ctx, "make", "build-"+s.LogicalID)
		cmd.Env = append(os.Environ(), "ARTIFACTS_DIR="+out)
	case MethodEsbuild:
		bin, err := findEsbuild(s.SourceDir)
		if err != nil {
			return fmt.Errorf("build of %s: %w", s.LogicalID, err)
		}
		cmd = exec.CommandContext(ctx, bin, esbuildArgs(s.Esbuild, out)...)
	default:
		return fmt.Errorf("build of %s: BuildMethod %q is not supported (use go1.x, makefile or esbuild)", s.LogicalID, s.Method)
	}
	cmd.Dir = s.SourceDir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return &Error{Function: s.LogicalID, Tool: strings.Join(cmd.Args, " "), Output: buf.String(), Err: err}
	}
	return nil
}

// hashInputs hashes the spec and every file under the source folder.
func hashInputs(s Spec) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%+v\x00", s.Method, s.LogicalID, s.Arch, s.Entry, s.Esbuild)
	var files []string
	err := filepath.WalkDir(s.SourceDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != s.SourceDir && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == ".aws-sam") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("build of %s: %w", s.LogicalID, err)
	}
	sort.Strings(files)
	for _, p := range files {
		rel, _ := filepath.Rel(s.SourceDir, p)
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		f, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("build of %s: %w", s.LogicalID, err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("build of %s: %w", s.LogicalID, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
