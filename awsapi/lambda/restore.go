package lambdaapi

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferry-run/ferry"
)

// Restore rebuilds the code directory of every function whose code this API
// unpacked (its CodeDir lies under Config.CodeDir) and whose directory is
// missing, from the zip kept in the CodeStore. It runs at start, before
// functions are invoked. A revision missing from the CodeStore (code
// uploaded before the store was configured) is logged and skipped; other
// failures are returned together once every function has been tried.
// Without a CodeStore or CodeDir it does nothing.
func (a *API) Restore(ctx context.Context) error {
	if a.code == nil || a.codeDir == "" {
		return nil
	}
	fns, err := a.fns.ListFunctions(ctx)
	if err != nil {
		return fmt.Errorf("restore function code: %w", err)
	}
	var errs []error
	for _, fn := range fns {
		restored, err := a.restoreFunction(ctx, fn)
		switch {
		case ferry.ErrorCode(err) == ferry.ENOTFOUND:
			a.log.Warn("function code lost and not in the code store", "function", fn.Name, "code", fn.CodeDir, "err", err)
		case err != nil:
			errs = append(errs, fmt.Errorf("restore code of function %s: %w", fn.Name, err))
		case restored:
			a.log.Info("function code restored", "function", fn.Name, "code", fn.CodeDir)
		}
	}
	return errors.Join(errs...)
}

// restoreFunction unpacks fn's current revision from the CodeStore when its
// directory is missing, and reports whether it did.
func (a *API) restoreFunction(ctx context.Context, fn *ferry.Function) (bool, error) {
	root := a.functionCodeRoot(fn.Name)
	if root == "" || fn.CodeDir == "" || filepath.Dir(fn.CodeDir) != root {
		return false, nil
	}
	if _, err := os.Stat(fn.CodeDir); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	rev := filepath.Base(fn.CodeDir)
	zipFile, err := a.code.Get(ctx, codeKey(fn.Name, rev))
	if err != nil {
		return false, err
	}
	if _, err := installRevision(root, rev, zipFile); err != nil {
		return false, err
	}
	return true, nil
}
