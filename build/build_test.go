package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGoBuildAndCache builds a Go function with the real toolchain into the
// cache, not the source folder, and does not rebuild unchanged code.
func TestGoBuildAndCache(t *testing.T) {
	src, cache := t.TempDir(), t.TempDir()
	write(t, src, "go.mod", "module fn\n\ngo 1.21\n")
	write(t, src, "main.go", "package main\n\nfunc main() {}\n")
	b := &Builder{Cache: cache}
	s := Spec{Method: MethodGo, LogicalID: "Fn", SourceDir: src, Entry: "bootstrap"}
	dir, built, err := b.Build(context.Background(), s)
	if err != nil || !built {
		t.Fatalf("build: %v built=%v", err, built)
	}
	if !strings.HasPrefix(dir, cache) {
		t.Fatalf("artifact %s is not in the cache %s", dir, cache)
	}
	if fi, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("no executable bootstrap: %v", err)
	}
	if ents, _ := os.ReadDir(src); len(ents) != 2 {
		t.Fatalf("the build wrote into the source folder: %d entries", len(ents))
	}
	dir2, built, err := b.Build(context.Background(), s)
	if err != nil || built || dir2 != dir {
		t.Fatalf("unchanged code: built=%v dir=%s err=%v", built, dir2, err)
	}
	write(t, src, "main.go", "package main\n\nfunc main() { println(1) }\n")
	dir3, built, err := b.Build(context.Background(), s)
	if err != nil || !built || dir3 == dir {
		t.Fatalf("changed code: built=%v dir=%s err=%v", built, dir3, err)
	}
}

// TestGoBuildFailureShowsOutput keeps the compiler's message.
func TestGoBuildFailureShowsOutput(t *testing.T) {
	src := t.TempDir()
	write(t, src, "go.mod", "module fn\n\ngo 1.21\n")
	write(t, src, "main.go", "package main\n\nfunc main() { undefinedThing() }\n")
	_, _, err := (&Builder{Cache: t.TempDir()}).Build(context.Background(), Spec{Method: MethodGo, LogicalID: "Fn", SourceDir: src, Entry: "bootstrap"})
	var be *Error
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "undefinedThing") {
		t.Fatalf("want the compiler output, got %v", err)
	}
}

// TestMakefileBuild runs make build-<LogicalId> with ARTIFACTS_DIR.
func TestMakefileBuild(t *testing.T) {
	src := t.TempDir()
	write(t, src, "bootstrap.sh", "#!/bin/sh\necho hi\n")
	write(t, src, "Makefile", "build-Fn:\n\tcp bootstrap.sh $(ARTIFACTS_DIR)/bootstrap\n\nbuild-Bad:\n\ttrue\n")
	b := &Builder{Cache: t.TempDir()}
	dir, _, err := b.Build(context.Background(), Spec{Method: MethodMakefile, LogicalID: "Fn", SourceDir: src, Entry: "bootstrap"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "bootstrap")); !strings.Contains(string(got), "echo hi") {
		t.Fatalf("bootstrap = %q", got)
	}
	// A build that leaves no entry point is refused with the reason.
	_, _, err = b.Build(context.Background(), Spec{Method: MethodMakefile, LogicalID: "Bad", SourceDir: src, Entry: "bootstrap"})
	if err == nil || !strings.Contains(err.Error(), "entry point bootstrap is missing") {
		t.Fatalf("want a missing entry point error, got %v", err)
	}
	// A failing make target shows make's output.
	_, _, err = b.Build(context.Background(), Spec{Method: MethodMakefile, LogicalID: "Nope", SourceDir: src, Entry: "bootstrap"})
	if err == nil || !strings.Contains(err.Error(), "build-Nope") {
		t.Fatalf("want make's output, got %v", err)
	}
}

// TestEsbuildBuild bundles a TypeScript handler with the real esbuild
// (installed by .ci/run) and checks the entry point is there.
func TestEsbuildBuild(t *testing.T) {
	src := t.TempDir()
	write(t, src, "app.ts", "import { greet } from './greet';\nexport const handler = async () => ({ statusCode: 200, body: greet('x') });\n")
	write(t, src, "greet.ts", "export const greet = (n: string): string => 'hi ' + n;\n")
	b := &Builder{Cache: t.TempDir()}
	s := Spec{Method: MethodEsbuild, LogicalID: "Fn", SourceDir: src, Entry: NodeEntry("app.handler", ""),
		Esbuild: Esbuild{EntryPoints: []string{"app.ts"}, Target: "es2020", Minify: true}}
	dir, _, err := b.Build(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "app.js"))
	if !strings.Contains(string(got), "hi ") {
		t.Fatalf("app.js = %q", got)
	}
	// A syntax error shows esbuild's message.
	write(t, src, "greet.ts", "export const greet = (n: string): string => 'hi ' + ;\n")
	if _, _, err := b.Build(context.Background(), s); err == nil || !strings.Contains(err.Error(), "greet.ts") {
		t.Fatalf("want esbuild's output, got %v", err)
	}
}
