package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// stackDataDir is where `ferry up` keeps a stack's data (queued events,
// histories, function code, keys) by default: outside the stack folder,
// in the user's state directory ($XDG_STATE_HOME, else ~/.local/state; on
// macOS ~/Library/Application Support) under ferry/stacks/NAME-HASH, NAME
// the folder's name and HASH a digest of its absolute path. A stack folder
// that already holds a .ferry data dir from an earlier run keeps it (its
// queued events stay where they are); ignoreDataDir then keeps it out of
// the user's commits.
func stackDataDir(stackDir string) (string, error) {
	legacy := filepath.Join(stackDir, ".ferry")
	if _, err := os.Stat(filepath.Join(legacy, "jetstream")); err == nil {
		return legacy, nil
	}
	base, err := stateHome()
	if err != nil {
		return "", fmt.Errorf("no directory for the stack's data (%v): pass --data", err)
	}
	sum := sha256.Sum256([]byte(stackDir))
	return filepath.Join(base, "ferry", "stacks", filepath.Base(stackDir)+"-"+hex.EncodeToString(sum[:6])), nil
}

// stateHome is the user's directory for state that outlives a run.
func stateHome() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support"), nil
	}
	return filepath.Join(home, ".local", "state"), nil
}

// ignoreDataDir writes a .gitignore ignoring everything into a data dir
// inside the stack folder, so neither its data nor its keys are committed.
func ignoreDataDir(stackDir, dataDir string) error {
	rel, err := filepath.Rel(stackDir, dataDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil // outside the stack folder
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	p := filepath.Join(dataDir, ".gitignore")
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.WriteFile(p, []byte("# Ferry's data for this stack: queued events, histories, keys. Never commit it.\n*\n"), 0o644)
}
