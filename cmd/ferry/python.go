package main

import (
	"log/slog"
	"os"

	"github.com/ferry-run/ferry/pyboot"
)

// pythonBinary returns the interpreter python3.* functions run with:
// $FERRY_PYTHON or python3 on PATH, resolved to the real executable so a
// version manager's shim does not slow every cold start. With no Python at
// all it returns "python3", and invoking a Python function then fails clearly.
func pythonBinary(log *slog.Logger) string {
	bin := os.Getenv("FERRY_PYTHON")
	if bin == "" {
		bin = "python3"
	}
	path, version, err := pyboot.Resolve(bin)
	if err != nil {
		if log != nil {
			log.Debug("no Python interpreter; python3.* functions will fail to start", "err", err)
		}
		return bin
	}
	if log != nil {
		log.Debug("python interpreter", "path", path, "version", version)
	}
	return path
}
