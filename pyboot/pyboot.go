// Package pyboot owns Ferry's Python bootstrap for the python3.9 to
// python3.13 runtimes: a standard-library-only program, embedded in the Ferry
// binary, that imports the function's `module.function` handler from
// LAMBDA_TASK_ROOT (then /opt/python) and serves invocations over the AWS
// Lambda Runtime API at AWS_LAMBDA_RUNTIME_API. Install writes it to disk; the
// supervisor then runs `python3 <path>` with the function's environment.
//
// Like AWS's Python runtime it passes a context object, posts error documents
// {errorMessage, errorType, requestId, stackTrace} with the exception's class
// name as errorType and traceback.format_list lines as stackTrace, reports
// init errors (Runtime.ImportModuleError, Runtime.HandlerNotFound,
// Runtime.UserCodeSyntaxError, Runtime.MalformedHandlerName), and formats the
// root logger as `[LEVEL]\t<time>Z\t<request id>\t<message>`.
package pyboot

import (
	_ "embed"
	"fmt"
	"os/exec"
	"strings"

	"github.com/ferry-run/ferry"
)

// EntryName is the file name of the bootstrap's entry script inside the
// install directory.
const EntryName = "bootstrap.py"

//go:embed py/bootstrap.py
var bootstrap []byte

// Install writes the embedded bootstrap into dir (creating it) if it is
// missing or different, and returns the absolute path of the entry script to
// run as `python3 <path>`. It is safe to call concurrently and repeatedly: an
// up-to-date file is left untouched, and a changed one is replaced atomically.
func Install(dir string) (string, error) {
	entry, err := ferry.InstallFile(dir, EntryName, bootstrap)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ferry.Errorf(ferry.EINTERNAL, "pyboot: install bootstrap into %q", dir), err)
	}
	return entry, nil
}

// Resolve returns the real interpreter behind bin (for example through a
// version manager's shim, which costs a process start at every cold start)
// and its "3.N" version. On failure it returns bin unchanged and the error.
func Resolve(bin string) (path, version string, err error) {
	out, err := exec.Command(bin, "-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		return bin, "", fmt.Errorf("%w: %w", ferry.Errorf(ferry.EINVALID, "pyboot: cannot run the Python interpreter %q", bin), err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] == "" {
		return bin, "", ferry.Errorf(ferry.EINVALID, "pyboot: %q printed %q for its executable and version", bin, out)
	}
	return lines[0], lines[1], nil
}
