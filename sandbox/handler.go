package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferry-run/ferry"
)

// checkCode refuses (as Runtime.InvalidEntrypoint, a function error),
// before an instance starts, a function whose Handler is
// not a relative path or whose entry file (the Node.js handler module, the
// provided runtime's bootstrap) resolves outside its code folder. A missing
// Node.js module is left to the bootstrap, which reports it as
// Runtime.ImportModuleError (and confines package resolution too).
func checkCode(fn *ferry.Function, root string) error {
	if err := ferry.ValidateHandler(fn.Handler); err != nil {
		return errors.New(ferry.ErrorMessage(err))
	}
	var candidates []string
	if isNodeRuntime(fn.Runtime) {
		dir, base := path.Split(fn.Handler)
		module, _, _ := strings.Cut(base, ".")
		if module == "" {
			return nil // malformed: the bootstrap says so
		}
		p := filepath.Join(root, filepath.FromSlash(dir), module)
		candidates = []string{p, p + ".js", p + ".mjs", p + ".cjs"}
	} else {
		candidates = []string{filepath.Join(root, "bootstrap")}
	}
	for _, c := range candidates {
		fi, err := os.Stat(c)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if !within(root, c) {
			return fmt.Errorf("%s resolves outside the function's code folder %s", c, root)
		}
		return nil
	}
	return nil
}

// within reports whether file's real path is inside root's real path.
func within(root, file string) bool {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		return false
	}
	return real == realRoot || strings.HasPrefix(real, realRoot+string(filepath.Separator))
}
