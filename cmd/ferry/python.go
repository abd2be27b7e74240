package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ferry-run/ferry"
	"github.com/ferry-run/ferry/pyboot"
	"github.com/ferry-run/ferry/stack"
)

// registerPython adds --python.
func (f *serverFlags) registerPython(fs *pflag.FlagSet) {
	fs.StringVar(&f.python, "python", "", "Python interpreter for python3.* functions (default $FERRY_PYTHON, else python3 on PATH)")
}

// pythonInterpreter returns the interpreter python3.* functions run with:
// flag (--python), else $FERRY_PYTHON, else python3 on PATH, resolved to the
// real executable so a version manager's shim does not slow every cold
// start, and its "3.N" version. With no Python at all it returns the name
// unresolved and an empty version; invoking a Python function then fails
// clearly.
func pythonInterpreter(flag string, log *slog.Logger) (path, version string) {
	bin := flag
	if bin == "" {
		bin = os.Getenv("FERRY_PYTHON")
	}
	if bin == "" {
		bin = "python3"
	}
	path, version, err := pyboot.Resolve(bin)
	if err != nil {
		if log != nil {
			log.Debug("no Python interpreter; python3.* functions will fail to start", "err", err)
		}
		return bin, ""
	}
	if log != nil {
		log.Debug("python interpreter", "path", path, "version", version)
	}
	return path, version
}

// pythonBinary is pythonInterpreter's path.
func pythonBinary(flag string, log *slog.Logger) string {
	path, _ := pythonInterpreter(flag, log)
	return path
}

// pythonWarnings names every python3.x function of st whose version differs
// from the interpreter's (or that has no interpreter at all): Ferry runs
// them on the local interpreter, which may lack or change what the declared
// version has.
func pythonWarnings(st *stack.Stack, path, version string) []string {
	var out []string
	for _, fn := range st.Functions {
		if fam, _ := ferry.RuntimeFamily(fn.Runtime); fam != ferry.RuntimeFamilyPython {
			continue
		}
		want := strings.TrimPrefix(fn.Runtime, "python")
		switch {
		case version == "":
			out = append(out, fmt.Sprintf("function %s (%s): no Python interpreter found (%s); set --python or FERRY_PYTHON", fn.Name, fn.Runtime, path))
		case version != want:
			out = append(out, fmt.Sprintf("function %s declares %s but runs on the local Python %s (%s); use --python to pick a python%s interpreter", fn.Name, fn.Runtime, version, path, want))
		}
	}
	return out
}

// warnPython prints pythonWarnings for st, finding the interpreter only
// when st has a Python function.
func warnPython(w io.Writer, st *stack.Stack, flag string) {
	for _, fn := range st.Functions {
		if fam, _ := ferry.RuntimeFamily(fn.Runtime); fam == ferry.RuntimeFamilyPython {
			path, version := pythonInterpreter(flag, nil)
			for _, msg := range pythonWarnings(st, path, version) {
				fmt.Fprintln(w, "warning:", msg)
			}
			return
		}
	}
}

// refusedNote marks, in the stack map, a function Ferry will not run.
func refusedNote(fn ferry.Function) string {
	if fn.Runnable() != nil {
		return "   not run: runtime not supported by Ferry"
	}
	return ""
}
