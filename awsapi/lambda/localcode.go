package lambdaapi

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferry-run/ferry"
)

// LocalCode returns fn with its code directory on this server. On a
// cluster the function catalog is shared, and a function created through
// another Ferry server names that server's code directory
// (<its CodeDir>/<function>/<revision>); this server runs the same revision
// from its own CodeDir, unpacking it from the CodeStore the first time. A
// function whose code lies elsewhere (a stack's project directory), or
// whose revision is not in the CodeStore, is returned as it is.
func (a *API) LocalCode(ctx context.Context, fn *ferry.Function) (*ferry.Function, error) {
	root := a.functionCodeRoot(fn.Name)
	if a.code == nil || root == "" || fn.CodeDir == "" || filepath.Dir(fn.CodeDir) == root ||
		filepath.Base(filepath.Dir(fn.CodeDir)) != fn.Name {
		return fn, nil
	}
	rev := filepath.Base(fn.CodeDir)
	local := *fn
	local.CodeDir = filepath.Join(root, rev)
	if _, err := os.Stat(local.CodeDir); err == nil {
		return &local, nil
	}
	a.localMu.Lock()
	defer a.localMu.Unlock()
	if _, err := os.Stat(local.CodeDir); err == nil {
		return &local, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	zipFile, err := a.code.Get(ctx, codeKey(fn.Name, rev))
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return fn, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := installRevision(root, rev, zipFile); err != nil {
		return nil, err
	}
	a.log.Info("function code unpacked from the code store", "function", fn.Name, "code", local.CodeDir)
	return &local, nil
}
