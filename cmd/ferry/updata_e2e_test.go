package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stopUp stops `ferry up` with Ctrl-C and waits for it.
func stopUp(t *testing.T, p *upProcess) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("ferry up did not stop on Ctrl-C")
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestUpKeepsStateOutsideTheProject: `ferry up` writes nothing into the
// stack folder; its data (and the receipt signing key) live in the user's
// state directory, one per stack folder, and survive a restart. A function
// paused before the restart is still paused after it, and the banner says
// so.
func TestUpKeepsStateOutsideTheProject(t *testing.T) {
	t.Parallel()
	bin := buildFerry(t)
	dir, state := t.TempDir(), t.TempDir()
	copyDir(t, "../../examples/payments", dir)
	before := dirNames(t, dir)

	p := startUpIn(t, bin, dir, state)
	p.waitLine(t, regexp.MustCompile(`is up`), 60*time.Second)
	api := p.waitLine(t, regexp.MustCompile(`AWS APIs +(http://\S+)`), time.Second)[1]
	data := p.waitLine(t, regexp.MustCompile(`^  data +(\S+)$`), time.Second)[1]
	if want := filepath.Join(state, "ferry", "stacks", filepath.Base(dir)+"-"); !strings.HasPrefix(data, want) {
		t.Fatalf("data dir %s, want one under %s", data, want)
	}
	if out, err := runCLI(t, "queue", "pause", "--endpoint="+api, "processPayment"); err != nil || !strings.Contains(out, "payments-dev-processPayment: paused") {
		t.Fatalf("queue pause: %v\n%s", err, out)
	}
	stopUp(t, p)

	if after := dirNames(t, dir); !slices.Equal(after, before) {
		t.Fatalf("ferry up changed the stack folder: %v, was %v", after, before)
	}
	if _, err := os.Stat(filepath.Join(data, "receipt.key")); err != nil {
		t.Fatalf("the receipt key is not in the data dir: %v", err)
	}

	p = startUpIn(t, bin, dir, state)
	p.waitLine(t, regexp.MustCompile(`is up`), 60*time.Second)
	p.waitLine(t, regexp.MustCompile(`^  data +`+regexp.QuoteMeta(data)+`$`), time.Second)
	p.waitLine(t, regexp.MustCompile(`^  paused +payments-dev-processPayment: async events are accepted and kept, not run`), time.Second)
	stopUp(t, p)
}

// TestUpDataDirInsideTheProjectIsIgnored: a data dir inside the stack
// folder (an earlier run's .ferry, or --data) gets a .gitignore, so git
// never offers its data or keys for a commit.
func TestUpDataDirInsideTheProjectIsIgnored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	legacy := filepath.Join(dir, ".ferry")
	if err := os.MkdirAll(filepath.Join(legacy, "jetstream"), 0o700); err != nil {
		t.Fatal(err)
	}
	got, err := stackDataDir(dir)
	if err != nil || got != legacy {
		t.Fatalf("stackDataDir = %s, %v; want the existing %s", got, err, legacy)
	}
	if err := ignoreDataDir(dir, legacy); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(legacy, ".gitignore"))
	if err != nil || !strings.Contains(string(b), "\n*\n") {
		t.Fatalf(".gitignore = %q, %v", b, err)
	}
	outside := t.TempDir()
	if err := ignoreDataDir(dir, outside); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outside, ".gitignore")); err == nil {
		t.Fatal("a data dir outside the stack folder got a .gitignore")
	}
}
