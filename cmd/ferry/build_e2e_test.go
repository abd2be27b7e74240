package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// copyTree copies a folder with its subfolders.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func getHello(t *testing.T, gateway, name string) string {
	t.Helper()
	resp, err := http.Get("http://" + gateway + "/hello/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /hello/%s: %s %s", name, resp.Status, b)
	}
	return string(b)
}

// TestUpBuildsTheSAMGoExample runs `ferry up examples/sam-go`: the Go
// function is built from main.go (BuildMethod go1.x) into the build cache,
// not the project, answers through the gateway, and is rebuilt when main.go
// changes; a rebuild that fails keeps the previous build running.
func TestUpBuildsTheSAMGoExample(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("FERRY_BUILD_CACHE", cache)
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOPROXY", "off")
	bin := buildFerry(t)
	dir := t.TempDir()
	copyTree(t, "../../examples/sam-go", dir)
	p := startUp(t, bin, dir)
	p.waitLine(t, regexp.MustCompile(`is up`), 60*time.Second)
	if got := getHello(t, p.gateway, "ann"); !strings.Contains(got, `"greeting":"hello ann"`) {
		t.Fatalf("answer %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "hello", "bootstrap")); err == nil {
		t.Fatal("the build wrote bootstrap into the project")
	}
	if m, _ := filepath.Glob(filepath.Join(cache, "HelloFunction-*", "bootstrap")); len(m) != 1 {
		t.Fatalf("no cached artifact: %v", m)
	}
	samGoDestination(t, p)

	main := filepath.Join(dir, "hello", "main.go")
	src, _ := os.ReadFile(main)
	// A broken edit: the compiler's output is shown, the old build answers.
	if err := os.WriteFile(main, []byte(strings.Replace(string(src), `"from": "go"`, `"from": undefinedName`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, regexp.MustCompile(`undefinedName`), 30*time.Second)
	if got := getHello(t, p.gateway, "bob"); !strings.Contains(got, `"from":"go"`) {
		t.Fatalf("after a failed rebuild: %s", got)
	}
	// A good edit is rebuilt and served.
	if err := os.WriteFile(main, []byte(strings.Replace(string(src), `"from": "go"`, `"from": "go-v2"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, regexp.MustCompile(`ferry: reloaded .*HelloFunction`), 30*time.Second)
	if got := getHello(t, p.gateway, "cy"); !strings.Contains(got, `"from":"go-v2"`) {
		t.Fatalf("after a rebuild: %s", got)
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	<-p.done
}

// TestUpStopsOnAFailedBuild: a function that does not compile stops
// `ferry up` with a non-zero exit, the function's file:line and the
// compiler's output.
func TestUpStopsOnAFailedBuild(t *testing.T) {
	t.Setenv("FERRY_BUILD_CACHE", t.TempDir())
	t.Setenv("GOPROXY", "off")
	bin := buildFerry(t)
	dir := t.TempDir()
	copyTree(t, "../../examples/sam-go", dir)
	main := filepath.Join(dir, "hello", "main.go")
	src, _ := os.ReadFile(main)
	if err := os.WriteFile(main, []byte(strings.Replace(string(src), "lambda.Start(handle)", "lambda.Start(missingHandler)", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "up", dir, "--api", freePort(t), "--gateway", freePort(t))
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("ferry up succeeded on a broken build:\n%s", out)
	}
	for _, want := range []string{"template.yaml:7", "HelloFunction", "missingHandler"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestUpStopsOnAMissingEntryPoint: a makefile build that leaves no
// bootstrap stops `ferry up` with the function's file:line and the reason.
func TestUpStopsOnAMissingEntryPoint(t *testing.T) {
	t.Setenv("FERRY_BUILD_CACHE", t.TempDir())
	bin := buildFerry(t)
	dir := t.TempDir()
	tmpl := "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: makefile\n    Properties:\n      Handler: bootstrap\n      Runtime: provided.al2023\n"
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte("build-Fn:\n\techo built nothing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "up", dir, "--api", freePort(t), "--gateway", freePort(t))
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("ferry up started without an entry point:\n%s", out)
	}
	for _, want := range []string{"template.yaml:4", "entry point bootstrap is missing after the makefile build"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestUpBuildsAnEsbuildFunction: a TypeScript function with SAM's
// BuildMethod esbuild is bundled by the real esbuild and answers through
// the gateway.
func TestUpBuildsAnEsbuildFunction(t *testing.T) {
	t.Setenv("FERRY_BUILD_CACHE", t.TempDir())
	bin := buildFerry(t)
	dir := t.TempDir()
	files := map[string]string{
		"template.yaml": "Transform: AWS::Serverless-2016-10-31\nResources:\n  Hi:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: esbuild\n      BuildProperties:\n        EntryPoints: [app.ts]\n        Target: es2020\n    Properties:\n      Handler: app.handler\n      Runtime: nodejs20.x\n      Events:\n        Get:\n          Type: HttpApi\n          Properties:\n            Path: /hi\n            Method: GET\n",
		"app.ts":        "import { word } from './word';\nexport const handler = async (): Promise<object> => ({ statusCode: 200, body: word('ts') });\n",
		"word.ts":       "export const word = (s: string): string => 'bundled ' + s;\n",
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startUp(t, bin, dir)
	p.waitLine(t, regexp.MustCompile(`is up`), 60*time.Second)
	resp, err := http.Get("http://" + p.gateway + "/hi")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "bundled ts" {
		t.Fatalf("GET /hi: %s %q", resp.Status, b)
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	<-p.done
}

// TestUpBuildsWithServerlessEsbuild: with the serverless-esbuild plugin the
// handler's TypeScript file is bundled and answers through the gateway.
func TestUpBuildsWithServerlessEsbuild(t *testing.T) {
	t.Setenv("FERRY_BUILD_CACHE", t.TempDir())
	bin := buildFerry(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"serverless.yml": "service: tsapp\nprovider:\n  name: aws\n  runtime: nodejs20.x\nplugins:\n  - serverless-esbuild\ncustom:\n  esbuild:\n    minify: true\n    target: node20\nfunctions:\n  hi:\n    handler: src/app.handler\n    events:\n      - httpApi:\n          path: /hi\n          method: GET\n",
		"src/app.ts":     "const n: number = 42;\nexport const handler = async () => ({ statusCode: 200, body: 'sls ' + n });\n",
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startUp(t, bin, dir)
	p.waitLine(t, regexp.MustCompile(`is up`), 60*time.Second)
	resp, err := http.Get("http://" + p.gateway + "/hi")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "sls 42" {
		t.Fatalf("GET /hi: %s %q", resp.Status, b)
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	<-p.done
}
