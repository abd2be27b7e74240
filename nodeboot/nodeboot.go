// Package nodeboot owns Ferry's Node.js bootstrap for the nodejs18.x,
// nodejs20.x and nodejs22.x runtimes: a small CommonJS program, embedded in
// the Ferry binary, that loads the function's handler (CommonJS or ES module)
// from LAMBDA_TASK_ROOT and _HANDLER and serves invocations over the AWS Lambda
// Runtime API at AWS_LAMBDA_RUNTIME_API. Install writes it to disk; the
// supervisor then runs `node <path>` with the function's environment.
//
// The bootstrap follows the AWS Node.js runtime: async, promise and callback
// handlers with callbackWaitsForEmptyEventLoop, the context object, error
// documents ({errorType, errorMessage, stackTrace}), init errors
// (Runtime.ImportModuleError, Runtime.HandlerNotFound,
// Runtime.UserCodeSyntaxError, Runtime.MalformedHandlerName), crashes on
// uncaught exceptions (exit 129) and unhandled rejections (exit 128), and
// console output as `<ISO time>\t<request id>\t<LEVEL>\t<message>` lines with
// embedded newlines written as \r so that one call stays one record.
package nodeboot

import (
	_ "embed"
	"fmt"

	"github.com/ferry-run/ferry"
)

// EntryName is the file name of the bootstrap's entry script inside the
// install directory.
const EntryName = "bootstrap.cjs"

//go:embed js/bootstrap.cjs
var bootstrap []byte

// Install writes the embedded bootstrap into dir (creating it) if it is
// missing or different, and returns the absolute path of the entry script to
// run as `node <path>`. It is safe to call concurrently and repeatedly: an
// up-to-date file is left untouched, and a changed one is replaced atomically.
func Install(dir string) (string, error) {
	entry, err := ferry.InstallFile(dir, EntryName, bootstrap)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ferry.Errorf(ferry.EINTERNAL, "nodeboot: install bootstrap into %q", dir), err)
	}
	return entry, nil
}
